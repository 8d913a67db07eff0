"""python manage.py seed_demo --scale small|default|N — production-shaped data, fast.

Deterministic: the same scale gives the same rows (pseudo-random choices come
from PostgreSQL's hashtext() of stable ids, never from random()), with times
relative to the hour the command runs, so the dashboard always shows "recent".
The big tables are generated inside PostgreSQL by INSERT … SELECT over
generate_series(): no row crosses the wire, which is what makes 10 million test
results a matter of minutes on two cores. Then the rollups are rebuilt and the
tables VACUUMed and ANALYZEd, so the planner (and the "≈" counts) see the real
sizes and index-only scans skip the heap.

Scales: `small` (5 domains, 5,000 runs, 100,000 test results, 30 days) for tests
and `make bench SCALE=small`; `default` (50 domains, 500,000 runs, 10,000,000
test results, a year of perf samples and plans); N = N domains of default size.
"""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from dashboard.board.rollups import floor_hour, rollups_rebuild_all
from dashboard.domains import services
from dashboard.domains.models import Domain

SLUG_PREFIX = "demo-"
BENCH_USERNAME = "bench-admin"
BENCH_ENGINEER = "bench-engineer"
BENCH_PASSWORD = "bench-password-123"  # noqa: S105  # nosec B105 # a published bench login
SCENARIOS = ["checkout", "search", "refund"]
QUERIES = ["orders_by_customer", "daily_revenue", "search_products"]
WORKFLOWS = ["CI", "Deploy", "Nightly"]
TABLES = [
    "pipelines_run",
    "pipelines_testreport",
    "pipelines_testresult",
    "pipelines_perfsample",
    "pipelines_queryplan",
    "pipelines_webhookdelivery",
    "pipelines_gateverdict",
    "pipelines_flakytest",
    "pipelines_pullrequest",
    "dashboard_cirollup",
    "pipelines_cirollupday",
    "dashboard_perfrollup",
    "dashboard_plancostrollup",
    "dashboard_ingestrollup",
]


# The tables whose plain indexes are rebuilt after the load instead of during it.
BIG_TABLES = ["pipelines_run", "pipelines_testreport", "pipelines_testresult"]


@dataclass(frozen=True)
class Scale:
    domains: int
    repos_per_domain: int
    runs_per_repo: int
    tests_per_run: int
    history_days: int  # runs, perf samples and plans reach this far back
    delivery_days: int  # webhook deliveries (one per run) only this far back

    @property
    def runs(self) -> int:
        return self.domains * self.repos_per_domain * self.runs_per_repo

    @property
    def results(self) -> int:
        return self.runs * self.tests_per_run


SCALES = {
    "small": Scale(5, 2, 500, 20, 30, 30),
    "default": Scale(50, 2, 5_000, 20, 365, 90),
}


def scale_from(raw: str) -> Scale:
    if raw in SCALES:
        return SCALES[raw]
    try:
        domains = int(raw)
    except ValueError:
        raise CommandError("--scale is small, default or a number of domains.")
    if not 1 <= domains <= 500:
        raise CommandError("--scale N takes 1–500 domains.")
    base = SCALES["default"]
    return Scale(
        domains, *[getattr(base, f) for f in list(Scale.__dataclass_fields__)[1:]]
    )


class Command(BaseCommand):
    help = "Seed production-shaped demo data (deterministic, bulk, in PostgreSQL)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scale", default="small")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Empty the CI tables and the rollups first (a benchmark database).",
        )

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_demo generates rows inside PostgreSQL.")
        scale = scale_from(str(options["scale"]))
        started = time.monotonic()
        if options["reset"]:
            self._reset()
        elif Domain.objects.filter(slug__startswith=SLUG_PREFIX).exists():
            self.stdout.write("Demo data already seeded; use --reset to seed again.")
            return
        anchor = floor_hour(timezone.now())
        self._people_and_domains(scale)
        with connection.cursor() as cursor:
            # Bulk-load settings for this session only: index builds get memory,
            # commits do not wait for the WAL flush (a lost seed is just re-run).
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("SET synchronous_commit = off")
        dropped = self._drop_secondary_indexes()
        constraints = self._drop_foreign_keys()
        steps = [
            ("runs", self._runs),
            ("test reports", self._reports),
            ("test results", self._results),
            ("perf samples", self._perf),
            ("query plans", self._plans),
            ("webhook deliveries", self._deliveries),
            ("pull requests, verdicts, flaky tests, budgets", self._gates),
        ]
        for label, step in steps:
            t0 = time.monotonic()
            with transaction.atomic():
                rows = step(scale, anchor)
            self.stdout.write(
                f"  {label}: {rows:,} rows in {time.monotonic() - t0:.1f}s"
            )
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            # Inside an outer transaction (tests) deferred foreign-key checks are
            # still pending, and PostgreSQL will not build an index over them.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for definition in dropped:
                cursor.execute(definition)
            # Each checked once over the whole table (one join), not per row.
            for table in BIG_TABLES:
                cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
            for table, name, definition in constraints:
                cursor.execute(
                    f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
                )
        self.stdout.write(
            f"  {len(dropped)} indexes and {len(constraints)} foreign keys rebuilt "
            f"in {time.monotonic() - t0:.1f}s"
        )
        t0 = time.monotonic()
        rollups_rebuild_all()
        self.stdout.write(f"  rollups rebuilt in {time.monotonic() - t0:.1f}s")
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            # VACUUM too: a freshly loaded table has no visibility map, so
            # every index-only scan (the runs list, the rollups) would still
            # read the heap, as in no long-lived database. (Not inside an outer
            # transaction, as in tests: VACUUM cannot run there.)
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            for table in TABLES:
                cursor.execute(f"{command} {table}")
        self.stdout.write(f"  {command} in {time.monotonic() - t0:.1f}s")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {scale.domains} domains, {scale.runs:,} runs, "
                f"{scale.results:,} test results in "
                f"{time.monotonic() - started:.0f}s. Log in as {BENCH_USERNAME} "
                f"/ {BENCH_PASSWORD}."
            )
        )

    # --- steps ---------------------------------------------------------------------
    def _drop_secondary_indexes(self) -> list[str]:
        """Drop the plain (non-unique) indexes of the big tables and return their
        definitions: building an index once over 10 million rows is many times
        faster than maintaining it row by row. Unique ones stay (they are rules)."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                JOIN pg_class t ON t.oid = i.indrelid
                WHERE t.relname = ANY(%s) AND NOT i.indisunique
                  AND NOT i.indisprimary
                """,
                [BIG_TABLES],
            )
            found = cursor.fetchall()
            for name, _ in found:
                cursor.execute(f'DROP INDEX "{name}"')
        return [definition for _, definition in found]

    def _drop_foreign_keys(self) -> list[tuple[str, str, str]]:
        """Drop the foreign keys of the big tables and return them (table, name,
        definition): PostgreSQL checks a foreign key row by row as rows come (a
        query per row and key), but a key added over a full table is checked with
        one join."""
        with connection.cursor() as cursor:
            # Deferred checks still pending (an outer transaction, as in tests)
            # would forbid the ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                """
                SELECT t.relname, c.conname, pg_get_constraintdef(c.oid)
                FROM pg_constraint c
                JOIN pg_class t ON t.oid = c.conrelid
                WHERE t.relname = ANY(%s) AND c.contype = 'f'
                ORDER BY t.relname, c.conname
                """,
                [BIG_TABLES],
            )
            found = cursor.fetchall()
            for table, name, _ in found:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            # The results' keys are statement triggers (pipelines/0011), which
            # would keep all 10 million rows for one check: the rows are made
            # from the reports and runs they name, so the load goes without.
            for table in BIG_TABLES:
                cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        return found

    def _reset(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
            cursor.execute("DELETE FROM dashboard_rollupwatermark")
        for domain in Domain.objects.filter(slug__startswith=SLUG_PREFIX):
            domain.repositories.all().delete()
            domain.delete()

    @transaction.atomic
    def _people_and_domains(self, scale: Scale) -> None:
        User = get_user_model()
        admin, _ = User.objects.get_or_create(
            username=BENCH_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        admin.set_password(BENCH_PASSWORD)
        admin.save()
        engineer, _ = User.objects.get_or_create(username=BENCH_ENGINEER)
        engineer.set_password(BENCH_PASSWORD)
        engineer.save()
        for d in range(scale.domains):
            slug = f"{SLUG_PREFIX}{d:02d}"
            domain = services.domain_create(slug=slug, name=f"Demo domain {d:02d}").obj
            for kind in ["api", "web", "jobs", "ml"][: scale.repos_per_domain]:
                services.repository_map(
                    full_name=f"demo-org/{slug}-{kind}", domain=domain
                )
            if d < 3:
                services.membership_set(user=engineer, domain=domain, role="engineer")

    def _execute(self, sql: str, params: dict) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def _runs(self, scale: Scale, anchor) -> int:
        return self._execute(
            """
            INSERT INTO pipelines_run (provider, repository_id, domain_id, external_id,
                attempt, head_sha, branch, pull_request_number, workflow, event,
                run_number, status, conclusion, url, started_at, completed_at,
                source_updated_at, created_at, updated_at)
            SELECT 'github_actions', r.id, r.domain_id, g::text, 1,
                md5(r.id || ':' || g) || substr(md5(g || ':' || r.id), 1, 8),
                CASE WHEN g %% 3 = 0 THEN 'feature/change-' || (g %% 40)
                     ELSE r.default_branch END,
                CASE WHEN g %% 3 = 0 THEN g %% 40 + 1 END,
                (ARRAY['CI', 'Deploy', 'Nightly'])[1 + g %% 3],
                CASE WHEN g %% 3 = 0 THEN 'pull_request' ELSE 'push' END,
                g, 'completed',
                CASE WHEN abs(hashtext(r.id || '-' || g)) %% 100
                          < 6 + 6 * (1 + sin(g / 300.0)) THEN 'failure'
                     WHEN abs(hashtext(r.id || '-' || g)) %% 100 = 99 THEN 'cancelled'
                     ELSE 'success' END,
                'https://github.com/' || r.full_name || '/actions/runs/' || g,
                t.started, t.started + t.duration, t.started + t.duration,
                t.started, t.started + t.duration
            FROM dashboard_repository r
            JOIN dashboard_domain d ON d.id = r.domain_id AND d.slug LIKE 'demo-%%'
            CROSS JOIN generate_series(1, %(per_repo)s) g
            CROSS JOIN LATERAL (SELECT
                %(anchor)s - make_interval(secs => (%(per_repo)s - g)::float
                    / %(per_repo)s * %(days)s * 86400 + abs(hashtext(r.full_name)) %% 3600)
                    AS started,
                make_interval(secs => 120 + abs(hashtext(g || r.full_name)) %% 900
                    + CASE WHEN g %% 3 = 2 THEN 1800 ELSE 0 END) AS duration) t
            """,
            {
                "per_repo": scale.runs_per_repo,
                "anchor": anchor,
                "days": scale.history_days,
            },
        )

    def _reports(self, scale: Scale, anchor) -> int:
        return self._execute(
            """
            INSERT INTO pipelines_testreport (state, received_at, enqueued_at,
                enqueue_count, processed_at, error, request_id, file, filename,
                size_bytes, sha256, suites, tests, failures, errors, skipped,
                duration_seconds, domain_id, run_id)
            SELECT 'done', run.completed_at, run.completed_at, 1, run.completed_at, '',
                '', 'junit/seed/' || run.id || '.xml', 'junit.xml', 4096,
                md5(run.id::text) || md5(run.head_sha), 1, %(tests)s,
                CASE WHEN run.conclusion = 'failure' THEN 1 ELSE 0 END, 0,
                %(tests)s / 10, 42.0, run.domain_id, run.id
            FROM pipelines_run run
            """,
            {"tests": scale.tests_per_run},
        )

    def _results(self, scale: Scale, anchor) -> int:
        return self._execute(
            """
            INSERT INTO pipelines_testresult (test_key, suite, classname, name, file,
                line, outcome, duration_seconds, message, details, system_out,
                report_id, run_id)
            SELECT md5(run.repository_id || '::test_' || t) || substr(md5(t::text), 1, 8),
                'suite', 'tests.test_module_' || (t %% 7), 'test_case_' || t,
                'tests/test_module_' || (t %% 7) || '.py', t * 10,
                CASE WHEN run.conclusion = 'failure' AND t = 1 + run.id %% %(tests)s
                       THEN 'failed'
                     WHEN t %% 10 = 0 THEN 'skipped'
                     ELSE 'passed' END,
                (abs(hashtext(run.id || ':' || t)) %% 5000) / 1000.0,
                CASE WHEN run.conclusion = 'failure' AND t = 1 + run.id %% %(tests)s
                       THEN 'AssertionError: expected 200, got 500' ELSE '' END,
                '', '', rep.id, run.id
            FROM pipelines_testreport rep
            JOIN pipelines_run run ON run.id = rep.run_id
            CROSS JOIN generate_series(1, %(tests)s) t
            """,
            {"tests": scale.tests_per_run},
        )

    def _perf(self, scale: Scale, anchor) -> int:
        # Four measurements a day per scenario, with a regression now and then.
        return self._execute(
            """
            INSERT INTO pipelines_perfsample (service, scenario, commit_sha, branch,
                base_branch, p50_ms, p95_ms, p99_ms, peak_memory_mb, sample_count,
                created_at, updated_at, domain_id, repository_id, run_id)
            SELECT '', s.scenario, md5(r.id || s.scenario || g), r.default_branch, '',
                40 + s.n * 10 + (g %% 7),
                180 + s.n * 40 + 40 * sin(g / 20.0)
                    + CASE WHEN abs(hashtext(r.id || s.scenario || g)) %% 40 = 0
                           THEN 150 ELSE 0 END,
                400 + s.n * 60, 300 + s.n * 50 + (g %% 30), 200,
                %(anchor)s - make_interval(hours => g * 6),
                %(anchor)s - make_interval(hours => g * 6), r.domain_id, r.id, NULL
            FROM dashboard_repository r
            JOIN dashboard_domain d ON d.id = r.domain_id AND d.slug LIKE 'demo-%%'
            CROSS JOIN (SELECT scenario, n FROM unnest(%(scenarios)s::text[])
                        WITH ORDINALITY AS x(scenario, n)) s
            CROSS JOIN generate_series(0, %(days)s * 4 - 1) g
            WHERE r.full_name LIKE '%%-api'
            """,
            {"anchor": anchor, "days": scale.history_days, "scenarios": SCENARIOS},
        )

    def _plans(self, scale: Scale, anchor) -> int:
        return self._execute(
            """
            INSERT INTO pipelines_queryplan (service, query_name, commit_sha, branch,
                plan, analyzed, buffers, startup_cost, total_cost, plan_rows, nodes,
                seq_scan_relations, created_at, updated_at, domain_id, repository_id)
            SELECT '', q.query_name, md5(r.id || q.query_name || g), r.default_branch,
                jsonb_build_object('Plan', jsonb_build_object('Node Type', 'Index Scan',
                    'Relation Name', 'orders', 'Total Cost', c.cost)),
                false, false, 0.42, c.cost, 100, '[["Index Scan", "orders"]]'::jsonb,
                '[]'::jsonb, %(anchor)s - make_interval(days => g),
                %(anchor)s - make_interval(days => g), r.domain_id, r.id
            FROM dashboard_repository r
            JOIN dashboard_domain d ON d.id = r.domain_id AND d.slug LIKE 'demo-%%'
            CROSS JOIN (SELECT query_name, n FROM unnest(%(queries)s::text[])
                        WITH ORDINALITY AS x(query_name, n)) q
            CROSS JOIN generate_series(0, %(days)s - 1) g
            CROSS JOIN LATERAL (SELECT 200.0 * q.n + 50 * sin(g / 9.0)
                + CASE WHEN abs(hashtext(r.id || q.query_name || g)) %% 25 = 0
                       THEN 900 ELSE 0 END AS cost) c
            WHERE r.full_name LIKE '%%-api'
            """,
            {"anchor": anchor, "days": scale.history_days, "queries": QUERIES},
        )

    def _deliveries(self, scale: Scale, anchor) -> int:
        mapped = self._execute(
            """
            INSERT INTO pipelines_webhookdelivery (state, received_at, enqueued_at,
                enqueue_count, processed_at, error, request_id, delivery_id, event,
                action, hook_id, repository_full_name, body, body_size, signature,
                duplicate_count, reason, attempts, replay_count, domain_id,
                repository_id)
            SELECT CASE WHEN run.id %% 97 = 0 THEN 'failed' ELSE 'done' END,
                run.completed_at, run.completed_at, 1, run.completed_at,
                CASE WHEN run.id %% 97 = 0 THEN 'TransientError: GitHub 502' ELSE '' END,
                '', 'seed-' || run.id, 'workflow_run', 'completed', '1',
                repo.full_name, '\\x7b7d'::bytea, 2, 'sha256',
                CASE WHEN run.id %% 13 = 0 THEN 1 ELSE 0 END, '', 1, 0,
                run.domain_id, run.repository_id
            FROM pipelines_run run
            JOIN dashboard_repository repo ON repo.id = run.repository_id
            WHERE run.started_at >= %(since)s
            """,
            {"since": anchor - timedelta(days=scale.delivery_days)},
        )
        unmapped = self._execute(
            """
            INSERT INTO pipelines_webhookdelivery (state, received_at, enqueued_at,
                enqueue_count, processed_at, error, request_id, delivery_id, event,
                action, hook_id, repository_full_name, body, body_size, signature,
                duplicate_count, reason, attempts, replay_count, domain_id,
                repository_id)
            SELECT 'ignored', %(anchor)s - make_interval(mins => g * 37),
                NULL, 0, NULL, '', '', 'seed-unmapped-' || g, 'push', '', '1',
                'stranger/repo-' || (g %% 5), '\\x7b7d'::bytea, 2, 'sha256', 0,
                'repository stranger/repo-' || (g %% 5) || ' is not mapped to a domain',
                1, 0, NULL, NULL
            FROM generate_series(1, %(n)s) g
            """,
            {"anchor": anchor, "n": scale.delivery_days * 24 * 60 // 37},
        )
        return mapped + unmapped

    def _gates(self, scale: Scale, anchor) -> int:
        rows = self._execute(
            """
            INSERT INTO pipelines_pullrequest (number, title, state, merged, head_sha,
                head_ref, base_ref, author, url, source_updated_at, updated_at,
                domain_id, repository_id)
            SELECT run.pull_request_number, 'Change ' || run.pull_request_number,
                'open', false, run.head_sha, run.branch, 'main', 'dev',
                'https://github.com/' || repo.full_name || '/pull/'
                    || run.pull_request_number,
                run.started_at, run.started_at, run.domain_id, run.repository_id
            FROM (SELECT DISTINCT ON (repository_id, pull_request_number) *
                  FROM pipelines_run WHERE pull_request_number <= 5
                  ORDER BY repository_id, pull_request_number, started_at DESC) run
            JOIN dashboard_repository repo ON repo.id = run.repository_id
            """,
            {},
        )
        # Verdicts for the latest 200 runs per repository, three gates each.
        rows += self._execute(
            """
            INSERT INTO pipelines_gateverdict (sha, context, state, description,
                details, evaluated_at, changed_at, posted_state, posted_description,
                posted_at, post_error, domain_id, repository_id)
            SELECT run.head_sha, c.context,
                CASE WHEN c.context = 'controlplane/tests' AND run.conclusion = 'failure'
                       THEN 'failure'
                     WHEN c.context <> 'controlplane/tests'
                          AND abs(hashtext(run.head_sha || c.context)) %% 15 = 0
                       THEN 'failure'
                     ELSE 'success' END,
                CASE WHEN c.context = 'controlplane/perf'
                       THEN 'p95 ' || (250 + run.id %% 90) || ' ms vs budget 300 ms'
                     WHEN c.context = 'controlplane/query-plans'
                       THEN 'orders_by_customer cost ' || (900 + run.id %% 400)
                            || ' vs budget 1000'
                     ELSE '20 tests, ' || CASE WHEN run.conclusion = 'failure'
                          THEN '1 failed' ELSE 'all passed' END END,
                '{}'::jsonb, run.completed_at, run.completed_at, '', '', NULL, '',
                run.domain_id, run.repository_id
            FROM (SELECT *, row_number() OVER (PARTITION BY repository_id
                                               ORDER BY started_at DESC) AS rn
                  FROM pipelines_run) run
            CROSS JOIN unnest(ARRAY['controlplane/tests', 'controlplane/perf',
                                    'controlplane/query-plans']) c(context)
            WHERE run.rn <= 200
            ON CONFLICT DO NOTHING
            """,
            {},
        )
        rows += self._execute(
            """
            INSERT INTO pipelines_flakytest (test_key, classname, name, flip_count,
                first_seen_at, last_seen_at, last_sha, domain_id, repository_id)
            SELECT md5(r.id || '::flaky_' || g), 'tests.test_module_' || (g %% 7),
                'test_sometimes_' || g, 1 + abs(hashtext(r.full_name || g)) %% 30,
                %(anchor)s - make_interval(days => 60 + g),
                %(anchor)s - make_interval(hours => g * 7), md5(r.full_name || g),
                r.domain_id, r.id
            FROM dashboard_repository r
            JOIN dashboard_domain d ON d.id = r.domain_id AND d.slug LIKE 'demo-%%'
            CROSS JOIN generate_series(1, 30) g
            """,
            {"anchor": anchor},
        )
        rows += self._execute(
            """
            INSERT INTO pipelines_perfbudget (domain_id, service, scenario, p95_ms_max,
                memory_mb_max, max_regression_pct, updated_at)
            SELECT d.id, '', '', 300, 480, 20, now() FROM dashboard_domain d
            WHERE d.slug LIKE 'demo-%%'
            ON CONFLICT DO NOTHING
            """,
            {},
        )
        rows += self._execute(
            """
            INSERT INTO pipelines_queryplanbudget (domain_id, service, query_name,
                max_total_cost, no_seq_scan_tables, updated_at)
            SELECT d.id, '', '', 1000, '[]'::jsonb, now() FROM dashboard_domain d
            WHERE d.slug LIKE 'demo-%%'
            ON CONFLICT DO NOTHING
            """,
            {},
        )
        return rows
