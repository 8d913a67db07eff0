"""SLO evaluation at scale (`make bench`, after benchmarks/run.py; never part of
make test).

Seeds N SLOs (SCALE=small: 100; default: 1,000) with one SLI point per minute
over 31 days (44,640 points per SLO; 44.6 million at the default scale) and
their hourly sums, then times, side by side in one run:

- `slos_evaluate`: the beat task's work, every SLO's seven burn-rate windows and
  its 30-day window, alert conditions and transitions (a few SLOs burn);
- the same SQL statements it sends, straight through psycopg (the floor of this
  design: what the database needs);
- the naive SQL without hourly sums: the same windows summed from the points.

Each figure is the median of several runs; results go to
benchmarks/results/slos-<timestamp>.json.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALE = os.environ.get("SCALE", "small")
COUNT = {"small": 100, "default": 1000}.get(SCALE) or int(SCALE)
DAYS = 31
REPEAT = 5
DOMAIN = "bench-slos"
os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/controlplane_bench_slos"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("DEBUG", "0")
sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(f"[slo-bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def ensure_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        check=True,
    )


def seed() -> datetime:
    """The bench domain's SLOs and points (kept between runs); returns the
    instant the points end at."""
    from django.db import connection
    from django.db.models import Max

    from dashboard.domains.models import Domain
    from slos.models import SliPoint, Slo

    domain, _ = Domain.objects.get_or_create(slug=DOMAIN, defaults={"name": DOMAIN})
    per_slo = DAYS * 24 * 60
    with connection.cursor() as cursor:
        # A run killed while seeding left the index dropped.
        cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = 'uniq_sli_point'")
        if cursor.fetchone() is None:
            Slo.objects.filter(domain=domain).delete()
            cursor.execute(
                "ALTER TABLE slos_slipoint ADD CONSTRAINT uniq_sli_point "
                "UNIQUE (slo_id, ts, pin_id, pin_version)"
            )
    points = SliPoint.objects.filter(slo__domain=domain)
    if (
        Slo.objects.filter(domain=domain).count() == COUNT
        and points.count() == COUNT * per_slo
    ):
        at = points.aggregate(at=Max("ts"))["at"]
        log(f"{COUNT} SLOs already seeded, points up to {at:%Y-%m-%d %H:%M}")
        return at
    at = datetime.now(UTC).replace(second=0, microsecond=0)
    Slo.objects.filter(domain=domain).delete()
    Slo.objects.bulk_create(
        Slo(
            domain=domain,
            name=f"slo-{i:04d}",
            objective=0.999,
            window_seconds=30 * 86400,
            min_events=100,
        )
        for i in range(COUNT)
    )
    ids = list(Slo.objects.filter(domain=domain).values_list("pk", flat=True))
    log(f"seeding {COUNT} SLOs x {per_slo:,} points (one a minute over {DAYS} days)")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Loading is faster without the index; it is built again afterwards.
        cursor.execute("ALTER TABLE slos_slipoint DROP CONSTRAINT uniq_sli_point")
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            # 1 SLO in 100 burns: a third of its requests fail in the last hour.
            cursor.execute(
                """
                INSERT INTO slos_slipoint (slo_id, ts, good, total)
                SELECT s, %(at)s - make_interval(mins => m),
                       CASE WHEN s %% 100 = 0 AND m < 60 THEN 666
                            ELSE 1000 - (m %% 3) END,
                       1000
                  FROM unnest(%(ids)s::bigint[]) AS s,
                       generate_series(0, %(n)s - 1) AS m
                """,
                {"at": at, "ids": chunk, "n": per_slo},
            )
            log(f"  {start + len(chunk)}/{COUNT} SLOs")
        cursor.execute(
            "ALTER TABLE slos_slipoint ADD CONSTRAINT uniq_sli_point "
            "UNIQUE (slo_id, ts, pin_id, pin_version)"
        )
        cursor.execute(
            """
            INSERT INTO slos_slihour (slo_id, hour_end, good, total)
            SELECT slo_id,
                   date_trunc('hour', ts - interval '1 microsecond', 'UTC') + interval '1 hour',
                   sum(good), sum(total)
              FROM slos_slipoint WHERE slo_id = ANY(%s)
             GROUP BY 1, 2
            """,
            [ids],
        )
    with connection.cursor() as cursor:  # VACUUM cannot run in a transaction
        cursor.execute("VACUUM ANALYZE slos_slipoint")
        cursor.execute("VACUUM ANALYZE slos_slihour")
    log(f"seeded in {time.perf_counter() - started:.0f} s")
    return at


def timed(call, repeat: int = REPEAT) -> list[float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        runs.append(time.perf_counter() - started)
    return runs


def main() -> None:
    ensure_database()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from slos import maths
    from slos.models import Slo, SloAlert
    from slos.selectors import window_counts
    from slos.services import slos_evaluate

    at = seed()
    evaluate_at = at + timedelta(seconds=17)  # not on a minute: heads are read too
    slos = list(Slo.objects.filter(domain__slug=DOMAIN))
    SloAlert.objects.filter(slo__domain__slug=DOMAIN).delete()
    transitions = slos_evaluate(at=evaluate_at)
    log(f"first evaluation: {transitions} alert transitions")

    evaluate = timed(lambda: slos_evaluate(at=evaluate_at))
    with CaptureQueriesContext(connection) as captured:
        window_counts(slos, at=evaluate_at)
    statements = [q["sql"] for q in captured.captured_queries]

    def floor() -> None:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()

    columns = ", ".join(
        f"sum(good) FILTER (WHERE ts > %(at)s - interval '{int(w.total_seconds())} seconds'), "
        f"sum(total) FILTER (WHERE ts > %(at)s - interval '{int(w.total_seconds())} seconds')"
        for w in [*maths.BURN_WINDOWS.values(), timedelta(days=30)]
    )
    naive_sql = (
        f"SELECT slo_id, {columns} FROM slos_slipoint "  # noqa: S608 (constants)
        "WHERE slo_id = ANY(%(ids)s) AND ts > %(at)s - interval '30 days' "
        "AND ts <= %(at)s GROUP BY slo_id"
    )

    def naive() -> None:
        with connection.cursor() as cursor:
            cursor.execute(naive_sql, {"at": evaluate_at, "ids": [s.pk for s in slos]})
            cursor.fetchall()

    floor_runs = timed(floor)
    naive_runs = timed(naive, repeat=2)
    figures = {
        "slos": COUNT,
        "points": COUNT * DAYS * 24 * 60,
        "evaluate_s": statistics.median(evaluate),
        "floor_sql_s": statistics.median(floor_runs),
        "naive_sql_s": statistics.median(naive_runs),
        "statements": len(statements),
        "machine": f"{os.cpu_count()} cores",
        "at": evaluate_at.isoformat(),
    }
    figures["evaluate_vs_floor"] = figures["evaluate_s"] / figures["floor_sql_s"]
    figures["naive_vs_evaluate"] = figures["naive_sql_s"] / figures["evaluate_s"]
    print()
    print(
        f"SLO evaluation, {COUNT:,} SLOs x 30-day windows, {figures['points']:,} points"
    )
    print(
        f"  slos_evaluate (beat task)      {figures['evaluate_s'] * 1000:9.1f} ms   "
        f"{figures['evaluate_vs_floor']:.2f}x its SQL"
    )
    print(
        f"  its {len(statements)} SQL statements (floor)  {figures['floor_sql_s'] * 1000:9.1f} ms"
    )
    print(
        f"  naive SQL over the points      {figures['naive_sql_s'] * 1000:9.1f} ms   "
        f"{figures['naive_vs_evaluate']:.1f}x slos_evaluate"
    )
    out = (
        ROOT
        / "benchmarks"
        / "results"
        / f"slos-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    )
    out.write_text(json.dumps(figures, indent=2) + "\n")
    log(f"figures in {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
