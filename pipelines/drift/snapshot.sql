-- A snapshot of one PostgreSQL schema, as the control plane reads it (its
-- tables, columns, types, NOT NULL, defaults, primary keys, unique columns,
-- indexes and foreign keys), printed as one JSON document: the `entities` of
-- POST /api/v1/schema/snapshots. Reads the catalogs only.
--
--   psql "$DATABASE_URL" -X -At -v schema=public -f pipelines/drift/snapshot.sql
--
-- (`python manage.py drift_snapshot` runs the same query and wraps it in the
-- request body.) Expression and partial indexes are left out.
SELECT json_build_object('entities', coalesce(json_agg(s.t ORDER BY s.t->>'name'), '[]'::json))
FROM (
  SELECT json_build_object(
    'name', c.relname,
    'pk_name', (SELECT p.conname FROM pg_constraint p
                WHERE p.conrelid = c.oid AND p.contype = 'p'),
    'fields', (
      SELECT coalesce(json_agg(json_build_object(
        'name', a.attname,
        'type', format_type(a.atttypid, a.atttypmod),
        'nullable', NOT a.attnotnull,
        'default_sql', pg_get_expr(d.adbin, d.adrelid),
        'primary_key', EXISTS (
          SELECT 1 FROM pg_constraint p
          WHERE p.conrelid = c.oid AND p.contype = 'p' AND a.attnum = ANY (p.conkey)),
        'unique', EXISTS (
          SELECT 1 FROM pg_constraint u
          WHERE u.conrelid = c.oid AND u.contype = 'u' AND u.conkey = ARRAY[a.attnum]),
        'unique_name', (
          SELECT min(u.conname) FROM pg_constraint u
          WHERE u.conrelid = c.oid AND u.contype = 'u' AND u.conkey = ARRAY[a.attnum])
      ) ORDER BY a.attnum), '[]'::json)
      FROM pg_attribute a
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
    'indexes', (
      SELECT coalesce(json_agg(json_build_object(
        'name', ic.relname,
        'unique', i.indisunique,
        'fields', (
          SELECT json_agg(att.attname ORDER BY k.ord)
          FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute att ON att.attrelid = c.oid AND att.attnum = k.attnum)
      ) ORDER BY ic.relname), '[]'::json)
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE i.indrelid = c.oid AND NOT i.indisprimary
        AND i.indexprs IS NULL AND i.indpred IS NULL
        AND NOT EXISTS (
          SELECT 1 FROM pg_constraint u
          WHERE u.conindid = i.indexrelid AND u.contype = 'u'
            AND cardinality(u.conkey) = 1)),
    'foreign_keys', (
      SELECT coalesce(json_agg(json_build_object(
        'name', f.conname,
        'fields', (
          SELECT json_agg(att.attname ORDER BY k.ord)
          FROM unnest(f.conkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute att ON att.attrelid = f.conrelid AND att.attnum = k.attnum),
        'references', json_build_object(
          'entity', rc.relname,
          'fields', (
            SELECT json_agg(att.attname ORDER BY k.ord)
            FROM unnest(f.confkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute att ON att.attrelid = f.confrelid AND att.attnum = k.attnum)),
        'on_delete', CASE f.confdeltype
          WHEN 'r' THEN 'restrict' WHEN 'c' THEN 'cascade'
          WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' ELSE 'no action' END
      ) ORDER BY f.conname), '[]'::json)
      FROM pg_constraint f
      JOIN pg_class rc ON rc.oid = f.confrelid
      WHERE f.conrelid = c.oid AND f.contype = 'f')
  ) AS t
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = :'schema' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
) AS s;
