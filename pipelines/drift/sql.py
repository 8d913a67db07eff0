"""The migration for a drift: SQL up and down for PostgreSQL, every identifier
and literal quoted with psycopg.sql, in a safe order.

Up runs in three phases (as `psql -f` runs the file):
1. one transaction: drop keys and indexes that go away, create tables, add
   columns, change types and defaults, add `CHECK (col IS NOT NULL) NOT VALID`
   for columns that become NOT NULL (after a backfill stub);
2. outside a transaction: `CREATE [UNIQUE] INDEX CONCURRENTLY` on existing
   tables (new unique columns and primary keys too), so writes are not blocked;
3. one transaction: unique and primary keys `USING INDEX`, foreign keys (`NOT
   VALID`, then `VALIDATE`), `VALIDATE` the NOT NULL checks, `SET NOT NULL`, drop
   the checks; last, the destructive drops.

Destructive steps are written commented out unless the target allows them;
`expected_after_up` is then the schema the up really produces, and down is the
migration from it back to the live schema. Defaults with no portable form
(`sql:` ones, e.g. `nextval(…)`) are never executed: written as comments.
"""

import copy
import hashlib
from dataclasses import dataclass, field

from psycopg import sql

from pipelines.drift.diff import DESTRUCTIVE, Change, schema_diff
from pipelines.drift.schema import NUMBER_RE, fk_key
from pipelines.drift.types import parse_type

MAX_NAME = 63


@dataclass
class Step:
    sql: str
    phase: int  # 1, 2 (no transaction) or 3
    active: bool = True
    comment: str = ""

    def as_json(self) -> dict:
        return {
            "sql": self.sql,
            "phase": self.phase,
            "active": self.active,
            "comment": self.comment,
        }


@dataclass
class Migration:
    up: list[Step]
    down: list[Step]
    expected: dict  # the schema up produces (the graph, unless steps are skipped)
    skipped: list[dict] = field(default_factory=list)  # changes left commented out

    def as_json(self) -> dict:
        return {
            "up": [s.as_json() for s in self.up],
            "down": [s.as_json() for s in self.down],
            "expected": self.expected,
            "skipped": self.skipped,
        }


def constraint_name(table: str, columns: list[str], suffix: str) -> str:
    """PostgreSQL's default-looking name (`orders_customer_id_fkey`), kept within
    63 bytes by a hash so it is never truncated differently by the server."""
    name = f"{table}_{'_'.join(columns)}_{suffix}"
    if len(name.encode()) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    head = name.encode()[: MAX_NAME - len(suffix) - 10].decode(errors="ignore")
    return f"{head}_{digest}_{suffix}"


def _q(schema: str, *names: str) -> sql.Identifier:
    return sql.Identifier(schema, *names)


def _text(composed: sql.Composable) -> str:
    return composed.as_string(None)


def _cols(names: list[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def default_sql(default: str | None) -> sql.Composable | None:
    """The SQL of a tagged default, or None when it must not be executed."""
    if default is None:
        return None
    kind, _, value = default.partition(":")
    if kind == "lit":
        return sql.Literal(value)
    if kind == "num" and NUMBER_RE.match(value):
        return sql.SQL(value)  # checked to be a plain decimal just above
    if kind == "bool" and value in ("true", "false"):
        return sql.SQL(value)
    if kind == "fn" and value in (
        "now()",
        "current_timestamp",
        "current_date",
        "gen_random_uuid()",
    ):
        return sql.SQL(value)
    return None


def _type(type_text: str) -> sql.SQL:
    # Only ever the portable table's own spelling (types.py), never input text.
    return sql.SQL(parse_type(type_text).postgres())


def _pk(entity: dict) -> list[str]:
    return [f["name"] for f in entity["fields"] if f["primary_key"]]


def _column_def(column: dict, *, with_not_null: bool = True) -> sql.Composed:
    parts = [sql.Identifier(column["name"]), _type(column["type"])]
    default = default_sql(column["default"])
    if default is not None:
        parts += [sql.SQL("DEFAULT"), default]
    if with_not_null and not column["nullable"]:
        parts.append(sql.SQL("NOT NULL"))
    return sql.SQL(" ").join(parts)


class _Plan:
    def __init__(self, schema: str, live: dict, graph: dict):
        self.schema = schema
        self.live = {e["name"]: e for e in live["entities"]}
        self.graph = {e["name"]: e for e in graph["entities"]}
        self.steps: list[Step] = []

    def add(self, phase: int, statement: sql.Composable, *, active=True, comment=""):
        self.steps.append(Step(_text(statement), phase, active, comment))

    def note(self, phase: int, comment: str) -> None:
        self.steps.append(Step("", phase, False, comment))

    def table(self, name: str) -> sql.Identifier:
        return _q(self.schema, name)

    def live_fk_name(self, table: str, fk: dict) -> str:
        return fk.get("name") or constraint_name(table, fk["fields"], "fkey")

    def pk_name(self, entity: dict) -> str:
        return entity.get("pk_name") or constraint_name(entity["name"], [], "pkey")

    def unique_name(self, table: str, column: dict) -> str:
        return column.get("unique_name") or constraint_name(
            table, [column["name"]], "key"
        )


def _column(entities: dict, table: str, name: str) -> dict:
    return next(f for f in entities[table]["fields"] if f["name"] == name)


def _pk_index_name(table: str) -> str:
    return (
        f"{table}_pkey"
        if len(f"{table}_pkey".encode()) <= MAX_NAME
        else (constraint_name(table, [], "pkey"))
    )


def migration_plan(
    *, schema: str, live: dict, graph: dict, allow_destructive: bool
) -> Migration:
    """Up (live → graph, destructive steps commented out unless allowed) and
    down (what up produces → live)."""
    changes = schema_diff(live, graph)
    skipped = [] if allow_destructive else _skipped(changes)
    expected = expected_after_up(live, graph, skipped)
    up = _steps(schema, live, graph, changes, skipped)
    down = _steps(schema, expected, live, schema_diff(expected, live), [])
    return Migration(up, down, expected, [c.as_json() for c in skipped])


def _skipped(changes: list[Change]) -> list[Change]:
    skipped = [c for c in changes if c.risk == DESTRUCTIVE]
    tables_keeping_pk = {c.table for c in skipped if c.kind == "drop_pk"}
    # A new primary key cannot be added while the old one stays.
    skipped += [
        c for c in changes if c.kind == "add_pk" and c.table in tables_keeping_pk
    ]
    return skipped


def expected_after_up(live: dict, graph: dict, skipped: list[Change]) -> dict:
    """The graph, with what the skipped changes would have removed or changed
    kept as it is live."""
    expected = copy.deepcopy(graph)
    entities = {e["name"]: e for e in expected["entities"]}
    live_entities = {e["name"]: e for e in live["entities"]}
    for change in skipped:
        if change.kind == "drop_table":
            kept = copy.deepcopy(live_entities[change.table])
            expected["entities"].append(kept)
            entities[change.table] = kept
        elif change.kind == "drop_column":
            # The column stays as it is live (its unique constraint with it).
            entities[change.table]["fields"].append(copy.deepcopy(change.before))
        elif change.kind == "alter_type":
            # The old type stays, and with it the old default (the graph's may
            # not even be a value of the old type).
            live_column = _column(live_entities, change.table, change.name)
            for column in entities[change.table]["fields"]:
                if column["name"] == change.name:
                    column["type"] = change.before
                    column["default"] = live_column["default"]
    for change in skipped:
        if change.kind in ("drop_pk", "add_pk"):
            live_pk = {
                f["name"]
                for f in live_entities[change.table]["fields"]
                if f["primary_key"]
            }
            for column in entities[change.table]["fields"]:
                column["primary_key"] = column["name"] in live_pk
                if column["primary_key"]:
                    column["nullable"], column["unique"] = False, False
    # A kept table keeps its foreign keys to every table that is still there
    # (its keys to tables that go away would have gone with those tables).
    for change in skipped:
        if change.kind == "drop_table":
            kept = entities[change.table]
            kept["foreign_keys"] = [
                k for k in kept["foreign_keys"] if k["references"]["entity"] in entities
            ]
    expected["entities"].sort(key=lambda e: e["name"])
    return expected


def _steps(
    schema: str, live: dict, graph: dict, changes: list[Change], skipped: list[Change]
) -> list[Step]:
    plan = _Plan(schema, live, graph)
    skip = {id(c) for c in skipped}
    by_kind: dict[str, list[Change]] = {}
    for change in changes:
        by_kind.setdefault(change.kind, []).append(change)

    def of(kind: str) -> list[Change]:
        return by_kind.get(kind, [])

    later_checks: list[tuple[str, str, str]] = []  # table, column, check name
    concurrent: list[tuple[str, sql.Composable]] = []
    using_index: list[tuple[sql.Composable, bool, str]] = []

    # --- Phase 1 ---------------------------------------------------------------
    for c in of("drop_fk"):
        plan.add(
            1,
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(
                plan.table(c.table),
                sql.Identifier(plan.live_fk_name(c.table, c.before)),
            ),
            comment=c.summary,
        )
    for c in of("drop_index"):
        plan.add(
            1,
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(
                plan.table(c.table), sql.Identifier(c.name)
            ),
            comment=c.summary,
        )
        plan.add(1, sql.SQL("DROP INDEX IF EXISTS {}").format(_q(schema, c.name)))
    for c in of("drop_unique"):
        column = next(f for f in plan.live[c.table]["fields"] if f["name"] == c.name)
        plan.add(
            1,
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(
                plan.table(c.table), sql.Identifier(plan.unique_name(c.table, column))
            ),
            comment=c.summary,
        )
    for c in of("drop_pk"):
        plan.add(
            1,
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                plan.table(c.table), sql.Identifier(plan.pk_name(plan.live[c.table]))
            ),
            active=id(c) not in skip,
            comment=c.summary + _skip_note(c, skip),
        )
    new_fks: list[tuple[str, dict]] = []
    for c in of("add_table"):
        entity = c.after
        parts = [_column_def(f) for f in entity["fields"]]
        pk = _pk(entity)
        if pk:
            parts.append(
                sql.SQL("CONSTRAINT {} PRIMARY KEY ({})").format(
                    sql.Identifier(_pk_index_name(entity["name"])), _cols(pk)
                )
            )
        for f in entity["fields"]:
            if f["unique"]:
                parts.append(
                    sql.SQL("CONSTRAINT {} UNIQUE ({})").format(
                        sql.Identifier(
                            constraint_name(entity["name"], [f["name"]], "key")
                        ),
                        sql.Identifier(f["name"]),
                    )
                )
        plan.add(
            1,
            sql.SQL("CREATE TABLE {} (\n    {}\n)").format(
                plan.table(entity["name"]), sql.SQL(",\n    ").join(parts)
            ),
            comment=c.summary,
        )
        for index in entity["indexes"]:
            # An empty table in this transaction: no need for CONCURRENTLY.
            plan.add(
                1,
                sql.SQL("CREATE {}INDEX {} ON {} ({})").format(
                    sql.SQL("UNIQUE " if index["unique"] else ""),
                    sql.Identifier(index["name"]),
                    plan.table(entity["name"]),
                    _cols(index["fields"]),
                ),
            )
        new_fks += [(entity["name"], fk) for fk in entity["foreign_keys"]]
    for c in of("add_column"):
        column = c.after
        tight = not column["nullable"] and column["default"] is None
        plan.add(
            1,
            sql.SQL("ALTER TABLE {} ADD COLUMN {}").format(
                plan.table(c.table), _column_def(column, with_not_null=not tight)
            ),
            comment=c.summary,
        )
        if tight:
            later_checks.append((c.table, column["name"], _backfill(plan, c)))
        if column["unique"]:
            _unique_later(plan, c.table, column["name"], concurrent, using_index)
    default_changes = {
        (c.table, c.name) for c in of("set_default") + of("drop_default")
    }
    for c in of("alter_type"):
        active = id(c) not in skip
        live_column = _column(plan.live, c.table, c.name)
        graph_column = _column(plan.graph, c.table, c.name)
        # A default of the old type may not cast: drop it, put the graph's back.
        if live_column["default"] is not None:
            plan.add(
                1,
                sql.SQL("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT").format(
                    plan.table(c.table), sql.Identifier(c.name)
                ),
                active=active,
                comment=f"{c.table}.{c.name}: the default goes while the type changes",
            )
        # Within a family no USING: the assignment cast refuses what does not
        # fit (an explicit cast to varchar(n) would cut values silently). Across
        # families through text, which every type writes and reads.
        using = sql.SQL("")
        if c.risk == DESTRUCTIVE:
            cast = (
                sql.SQL("")
                if parse_type(c.after).name in ("varchar", "char")
                else (sql.SQL("::") + _type(c.after))
            )
            using = sql.SQL(" USING {}::text{}").format(sql.Identifier(c.name), cast)
        plan.add(
            1,
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE {}{}").format(
                plan.table(c.table), sql.Identifier(c.name), _type(c.after), using
            ),
            active=active,
            comment=f"{c.summary} ({c.risk}: {c.note})" + _skip_note(c, skip),
        )
        value = default_sql(graph_column["default"])
        if (
            live_column["default"] is not None
            and value is not None
            and (c.table, c.name) not in default_changes
        ):
            plan.add(
                1,
                sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}").format(
                    plan.table(c.table), sql.Identifier(c.name), value
                ),
                active=active,
            )
    type_kept = {(c.table, c.name) for c in of("alter_type") if id(c) in skip}
    for c in of("set_default"):
        value = default_sql(c.after)
        if value is None:
            plan.note(1, f"{c.summary}: not portable, set it by hand")
            continue
        kept = (c.table, c.name) in type_kept
        plan.add(
            1,
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}").format(
                plan.table(c.table), sql.Identifier(c.name), value
            ),
            active=not kept,
            comment=c.summary + (" (left with its type change)" if kept else ""),
        )
    for c in of("drop_default"):
        kept = (c.table, c.name) in type_kept
        plan.add(
            1,
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT").format(
                plan.table(c.table), sql.Identifier(c.name)
            ),
            active=not kept,
            comment=c.summary + (" (left with its type change)" if kept else ""),
        )
    for c in of("drop_not_null"):
        plan.add(
            1,
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL").format(
                plan.table(c.table), sql.Identifier(c.name)
            ),
            comment=c.summary,
        )
    for c in of("set_not_null"):
        later_checks.append((c.table, c.name, _backfill(plan, c)))
    for c in of("add_unique"):
        _unique_later(plan, c.table, c.name, concurrent, using_index)
    for c in of("add_pk"):
        name = _pk_index_name(c.table)
        concurrent.append(
            (
                c.summary,
                sql.SQL(
                    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({})"
                ).format(sql.Identifier(name), plan.table(c.table), _cols(c.after)),
            )
        )
        using_index.append(
            (
                sql.SQL(
                    "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {}"
                ).format(
                    plan.table(c.table), sql.Identifier(name), sql.Identifier(name)
                ),
                id(c) not in skip,
                c.summary + _skip_note(c, skip),
            )
        )
    for c in of("add_index"):
        index = c.after
        concurrent.append(
            (
                c.summary,
                sql.SQL(
                    "CREATE {}INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({})"
                ).format(
                    sql.SQL("UNIQUE " if index["unique"] else ""),
                    sql.Identifier(index["name"]),
                    plan.table(c.table),
                    _cols(index["fields"]),
                ),
            )
        )

    # --- Phase 2: no transaction ---------------------------------------------
    for summary, statement in concurrent:
        active = True
        for _statement, ok, note in using_index:
            if not ok and note.startswith(summary):
                active = False
        plan.add(2, statement, active=active, comment=summary)

    # --- Phase 3 ---------------------------------------------------------------
    for statement, active, comment in using_index:
        plan.add(3, statement, active=active, comment=comment)
    fks = new_fks + [(c.table, c.after) for c in of("add_fk")]
    for table, fk in fks:
        name = constraint_name(table, fk["fields"], "fkey")
        plan.add(
            3,
            sql.SQL(
                "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) "
                "ON DELETE {} NOT VALID"
            ).format(
                plan.table(table),
                sql.Identifier(name),
                _cols(fk["fields"]),
                plan.table(fk["references"]["entity"]),
                _cols(fk["references"]["fields"]),
                sql.SQL(fk["on_delete"].upper()),  # one of schema.ON_DELETE
            ),
            comment=f"foreign key {table}{fk_key(fk)}",
        )
        plan.add(
            3,
            sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(
                plan.table(table), sql.Identifier(name)
            ),
        )
    for table, column, check in later_checks:
        target = plan.table(table)
        plan.add(
            3,
            sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(
                target, sql.Identifier(check)
            ),
            comment=f"{table}.{column} NOT NULL: validate, set, drop the check",
        )
        plan.add(
            3,
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL").format(
                target, sql.Identifier(column)
            ),
        )
        plan.add(
            3,
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                target, sql.Identifier(check)
            ),
        )
    for c in of("drop_column"):
        plan.add(
            3,
            sql.SQL("ALTER TABLE {} DROP COLUMN {}").format(
                plan.table(c.table), sql.Identifier(c.name)
            ),
            active=id(c) not in skip,
            comment=c.summary + _skip_note(c, skip),
        )
    drops = of("drop_table")
    if drops:
        active = [c for c in drops if id(c) not in skip]
        inactive = [c for c in drops if id(c) in skip]
        for group, on in ((active, True), (inactive, False)):
            if group:
                plan.add(
                    3,
                    sql.SQL("DROP TABLE {}").format(
                        sql.SQL(", ").join(plan.table(c.table) for c in group)
                    ),
                    active=on,
                    comment="; ".join(c.summary for c in group)
                    + ("" if on else _skip_note(group[0], {id(group[0])})),
                )
    return plan.steps


def _skip_note(change: Change, skip: set) -> str:
    if id(change) not in skip:
        return ""
    return (
        " — DESTRUCTIVE, left commented out: the target does not allow "
        "destructive migrations"
    )


def _backfill(plan: _Plan, change: Change) -> str:
    """The backfill stub and the NOT VALID check; returns the check's name."""
    check = constraint_name(change.table, [change.name], "not_null")
    plan.note(
        1,
        f"BACKFILL {change.table}.{change.name} before it becomes NOT NULL, e.g.\n"  # noqa: S608 (a comment)
        + _text(
            sql.SQL("UPDATE {} SET {} = <value> WHERE {} IS NULL;").format(
                plan.table(change.table),
                sql.Identifier(change.name),
                sql.Identifier(change.name),
            )
        ),
    )
    plan.add(
        1,
        sql.SQL(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID"
        ).format(
            plan.table(change.table), sql.Identifier(check), sql.Identifier(change.name)
        ),
        comment=change.summary,
    )
    return check


def _unique_later(plan, table, column, concurrent, using_index) -> None:
    name = constraint_name(table, [column], "key")
    summary = f"make {table}.{column} unique"
    concurrent.append(
        (
            summary,
            sql.SQL(
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({})"
            ).format(sql.Identifier(name), plan.table(table), sql.Identifier(column)),
        )
    )
    using_index.append(
        (
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}").format(
                plan.table(table), sql.Identifier(name), sql.Identifier(name)
            ),
            True,
            summary,
        )
    )


def build_steps(schema: str, target: dict) -> list[Step]:
    """The statements that create `target` from nothing (the proof's live schema)."""
    return _steps(
        schema, {"entities": []}, target, schema_diff({"entities": []}, target), []
    )


def render(steps: list[Step], *, title: str = "") -> str:
    """The steps as a file for `psql -v ON_ERROR_STOP=1 -f`: phases 1 and 3 each
    in a transaction, phase 2 (CONCURRENTLY) outside one."""
    lines: list[str] = []
    if title:
        lines += [f"-- {line}" for line in title.splitlines()] + [""]
    for phase in (1, 2, 3):
        mine = [s for s in steps if s.phase == phase]
        if not mine:
            continue
        transactional = phase != 2
        if transactional:
            lines.append("BEGIN;")
        else:
            lines.append(
                "-- CREATE INDEX CONCURRENTLY cannot run inside a transaction."
            )
        for step in mine:
            if step.comment:
                lines += [f"-- {line}" for line in step.comment.splitlines()]
            if step.sql:
                text = step.sql + ";"
                if not step.active:
                    text = "\n".join(f"-- {line}" for line in text.splitlines())
                lines.append(text)
        if transactional:
            lines.append("COMMIT;")
        lines.append("")
    return "\n".join(lines)


def migration_file(migration: Migration, *, title: str) -> str:
    """The file committed to the repository: up, then down commented out (run it
    by hand, or as its own file, to roll back)."""
    up = render(migration.up, title=title)
    down = render(migration.down)
    down_commented = "\n".join(
        f"-- {line}" if line else "--" for line in down.splitlines()
    )
    return f"{up}\n-- ==== DOWN (roll back) ====\n{down_commented}\n"
