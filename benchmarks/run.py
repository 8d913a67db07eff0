"""The benchmark suite (`make bench [SCALE=small|default|N]`), never part of make test.

Seeds a production-shaped dataset (seed_demo), starts gunicorn with several
workers on 127.0.0.1 against real PostgreSQL and Redis, and drives it from this
separate process with a bounded thread-pool load generator (http.client over
loopback). Every scenario prints throughput, p50/p95/p99 latency and the peak
memory of the server processes next to a baseline measured in the same run:
a bare Django view answering 204 for the HTTP scenarios, and the panels' own SQL
timed straight through psycopg for the dashboard. Figures go to
benchmarks/results/<timestamp>.json and a table on the terminal.
"""

import contextlib
import hashlib
import hmac
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TESTDATA = ROOT.parent / "shared" / "testdata"
HOST = "127.0.0.1"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
SECRET = "bench-webhook-secret"  # noqa: S105 (a local benchmark's secret)
SCALE = os.environ.get("SCALE", "small")
QUICK = SCALE == "small"
ENV = {
    "DATABASE_URL": os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/controlplane_bench"
    ),
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
    "CELERY_BROKER_URL": os.environ.get(
        "CELERY_BROKER_URL", "redis://127.0.0.1:6379/15"
    ),
    # Keys of this run carry these prefixes, and only they are deleted after it
    # (no FLUSHDB: other people's suites may share the Redis database).
    "CELERY_BROKER_PREFIX": os.environ.get("CELERY_BROKER_PREFIX", "bench:"),
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-" + "b" * 40,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "BENCHMARK_ENDPOINTS": "1",
    "GITHUB_WEBHOOK_SECRET": SECRET,
    "LOG_LEVEL": "WARNING",
    "CACHE_KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "bench"),
}


def log(message: str) -> None:
    print(message, flush=True)


def manage(*args: str) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**os.environ}, check=True
    )
    return time.monotonic() - started


def ensure_database() -> None:
    import psycopg

    url = ENV["DATABASE_URL"]
    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


# --- Load generation -------------------------------------------------------------------
Request = tuple[str, str, bytes | None, dict[str, str]]


def drive(
    make: Callable[[int], Request],
    *,
    requests: int,
    concurrency: int,
    expect: set[int],
    max_seconds: float = 120,
) -> dict:
    """Send `requests` requests (bounded also by time) from `concurrency` threads,
    each on its own keep-alive connection; latency per request in ms."""
    latencies, seconds, statuses = drive_raw(
        make,
        requests=requests,
        concurrency=concurrency,
        max_seconds=max_seconds,
    )
    return summary(latencies, seconds) | {
        "concurrency": concurrency,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "unexpected": sum(v for k, v in statuses.items() if k not in expect),
    }


def side_by_side(
    pairs: dict[str, Callable[[int], Request]],
    *,
    requests: int,
    concurrency: int,
    expect: dict[str, set[int]],
    rounds: int = 4,
) -> dict[str, dict]:
    """Drive several scenarios in alternating rounds (A, B, A, B, …), so that
    whatever else the machine does at the time weighs on each alike; each
    scenario's figures are over all its rounds."""
    raw = {name: ([], 0.0, Counter()) for name in pairs}
    per_round = max(1, requests // rounds)
    for _ in range(rounds):
        for name, make in pairs.items():
            latencies, seconds, statuses = drive_raw(
                make, requests=per_round, concurrency=concurrency
            )
            done, spent, seen = raw[name]
            raw[name] = (done + latencies, spent + seconds, seen + statuses)
    return {
        name: summary(latencies, seconds)
        | {
            "concurrency": concurrency,
            "rounds": rounds,
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "unexpected": sum(v for k, v in statuses.items() if k not in expect[name]),
        }
        for name, (latencies, seconds, statuses) in raw.items()
    }


def drive_raw(
    make: Callable[[int], Request],
    *,
    requests: int,
    concurrency: int,
    max_seconds: float = 120,
) -> tuple[list[float], float, Counter]:
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    counter = iter(range(requests))
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
        while time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            method, path, body, headers = make(i)
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
                status = 0
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - started
    return latencies, seconds, statuses


def summary(latencies: list[float], seconds: float) -> dict:
    if not latencies:
        return {"requests": 0}
    count = len(latencies)
    # quantiles() needs two samples: a single one is its own every percentile.
    cuts = statistics.quantiles(
        latencies * (2 if count == 1 else 1), n=100, method="inclusive"
    )
    return {
        "requests": count,
        "seconds": round(seconds, 2),
        "throughput_rps": round(count / seconds, 1),
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
    }


# --- Server ----------------------------------------------------------------------------
class Server:
    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.log = open(ROOT / "benchmarks" / "results" / "gunicorn.log.tmp", "w")  # noqa: SIM115

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "-w",
                str(WORKERS),
                "-b",
                f"{HOST}:{PORT}",
                "--timeout",
                "120",
                "--keep-alive",
                "30",
            ],
            cwd=ROOT,
            env={**os.environ},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection(HOST, PORT, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200 and len(self.pids()) > WORKERS:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(
            "gunicorn did not start; see benchmarks/results/gunicorn.log.tmp"
        )

    def pids(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        kids = (
            [int(p) for p in children.read_text().split()] if children.exists() else []
        )
        return [self.proc.pid, *kids]

    def peak_rss_mb(self) -> dict:
        """VmHWM (peak resident set) of the master and each worker, from /proc."""
        peaks = {}
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[pid] = int(line.split()[1]) / 1024
            except FileNotFoundError:
                continue
        return {
            "total_mb": round(sum(peaks.values()), 1),
            "max_process_mb": round(max(peaks.values(), default=0), 1),
            "processes": len(peaks),
        }

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
        self.log.close()


# --- Fixtures for the scenarios --------------------------------------------------------
def webhook_bodies() -> list[tuple[str, bytes]]:
    events = [
        "workflow_run",
        "workflow_job",
        "check_suite",
        "check_run",
        "pull_request",
        "deployment_status",
        "deployment",
        "push",
        "status",
    ]
    found = []
    for path in sorted((TESTDATA / "github_webhooks").glob("octokit__*.json")):
        stem = path.name.removeprefix("octokit__")
        event = next((e for e in events if stem.startswith(e)), None)
        if event:
            found.append((event, path.read_bytes()))
    if not found:
        raise SystemExit(f"No webhook payloads under {TESTDATA}/github_webhooks")
    return found


def junit_lines(cases: int) -> Iterator[str]:
    """A JUnit report of `cases` testcases (1 in 100 failing), line by line."""
    yield '<?xml version="1.0" encoding="utf-8"?>\n<testsuites>'
    yield (
        f'<testsuite name="bench" tests="{cases}" failures="{cases // 100}" '
        'errors="0" skipped="0" time="123.4">'
    )
    for i in range(cases):
        name = (
            f'classname="bench.test_module_{i % 50}" name="test_case_{i}" time="0.012"'
        )
        if i % 100 == 0:
            yield (
                f'<testcase {name}><failure message="assert 1 == 2">'
                "AssertionError: ü ≠ u</failure></testcase>"
            )
        else:
            yield f"<testcase {name}/>"
    yield "</testsuite></testsuites>"


def junit_report(cases: int = 10_000) -> bytes:
    return "\n".join(junit_lines(cases)).encode()


def junit_file(cases: int) -> Path:
    """The same report written to a file (streamed: 500,000 testcases is 50 MB)."""
    path = RESULTS / f"junit-{cases}.xml.tmp"
    with open(path, "w", encoding="utf-8") as out:
        for line in junit_lines(cases):
            out.write(line)
            out.write("\n")
    return path


def own_peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def child(*args: str) -> dict:
    """Run this file in a fresh process (its own peak RSS) and read its JSON."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        cwd=ROOT,
        env={**os.environ},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def child_parse_report(report_id: str) -> None:
    """The worker's job, timed in a fresh process: parse a stored report."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    # Booted as a worker boots, outside the timed part (as the floor's imports
    # are): the Celery app with its tasks, which a worker loads once at start
    # and report_parse's after-commit publish would otherwise load here.
    from config.celery import app
    from pipelines.ingest.services import junit

    app.tasks  # noqa: B018

    t0 = time.perf_counter()
    state = junit.report_parse(report_id=int(report_id))
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {"seconds": seconds, "state": state, "peak_rss_mb": own_peak_rss_mb()}
        )
    )


FLOOR_COLUMNS = (
    "report_id, run_id, test_key, suite, classname, name, file, line, outcome, "
    "duration_seconds, message, details, system_out"
)


def child_floor_junit(path: str, run_id: str) -> None:
    """The JUnit floor: defusedxml's iterparse over the file and one COPY row per
    testcase into a copy of the results table (same columns and indexes, no
    foreign keys); the least that storing these rows can cost here."""
    import psycopg
    from defusedxml.ElementTree import iterparse

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    t0 = time.perf_counter()
    with (
        psycopg.connect(ENV["DATABASE_URL"]) as conn,
        conn.cursor() as cur,
        open(path, "rb") as fh,
    ):
        cur.execute("TRUNCATE bench_floor_testresult")
        rows = 0
        with cur.copy(
            f"COPY bench_floor_testresult ({FLOOR_COLUMNS}) FROM STDIN"
        ) as copy:
            stack: list = []
            suite = ""
            for event, elem in iterparse(fh, events=("start", "end")):
                if event == "start":
                    if local(elem.tag) == "testsuite":
                        suite = elem.get("name") or ""
                    stack.append(elem)
                    continue
                stack.pop()
                if local(elem.tag) != "testcase":
                    continue
                outcome, message, details = "passed", "", ""
                for problem in elem:
                    kind = local(problem.tag)
                    if kind in ("failure", "error", "skipped"):
                        outcome = {"failure": "failed"}.get(kind, kind)
                        message = problem.get("message") or ""
                        details = problem.text or ""
                classname, name = elem.get("classname") or "", elem.get("name") or ""
                key = hashlib.sha1(
                    f"{classname}::{name}".encode(), usedforsecurity=False
                ).hexdigest()
                time_ = elem.get("time")
                copy.write_row(
                    (
                        0,
                        int(run_id),
                        key,
                        suite,
                        classname,
                        name,
                        "",
                        None,
                        outcome,
                        float(time_) if time_ else None,
                        message,
                        details,
                        "",
                    )
                )
                rows += 1
                if stack:
                    stack[-1].remove(elem)
        conn.commit()
    seconds = time.perf_counter() - t0
    print(
        json.dumps({"seconds": seconds, "rows": rows, "peak_rss_mb": own_peak_rss_mb()})
    )


def upload_report(path: Path, run_id: int, token: str) -> tuple[float, int]:
    """POST a report (one request); seconds and the new report's id."""
    body = path.read_bytes()
    conn = http.client.HTTPConnection(HOST, PORT, timeout=300)
    t0 = time.perf_counter()
    conn.request(
        "POST",
        f"/api/v1/ci/runs/{run_id}/junit",
        body=body,
        headers={
            "Content-Type": "application/xml",
            "Authorization": f"Bearer {token}",
        },
    )
    response = conn.getresponse()
    answer = response.read()
    seconds = time.perf_counter() - t0
    conn.close()
    if response.status != 202:
        raise RuntimeError(f"JUnit upload answered {response.status}: {answer[:300]}")
    return seconds, json.loads(answer)["id"]


def junit_pair(
    cases: int, *, rounds: int, run_id: int, token: str
) -> tuple[dict, dict]:
    """Upload → parsed (HTTP upload, then the worker's parse in a fresh
    process) beside the floor (iterparse + COPY in a fresh process), alternating."""
    path = junit_file(cases)
    real_ms, floor_ms, real_rss, floor_rss, states = [], [], [], [], Counter()
    upload_ms, parse_ms = [], []
    started = time.monotonic()
    try:
        for _ in range(rounds):
            floor = child("floor-junit", str(path), str(run_id))
            floor_ms.append(floor["seconds"] * 1000)
            floor_rss.append(floor["peak_rss_mb"])
            upload_s, report_id = upload_report(path, run_id, token)
            parsed = child("parse-report", str(report_id))
            states[parsed["state"]] += 1
            real_ms.append((upload_s + parsed["seconds"]) * 1000)
            upload_ms.append(upload_s * 1000)
            parse_ms.append(parsed["seconds"] * 1000)
            real_rss.append(parsed["peak_rss_mb"])
    finally:
        size_kb = path.stat().st_size // 1024
        path.unlink()
    seconds = time.monotonic() - started
    real = summary(real_ms, seconds) | {
        "testcases": cases,
        "body_kb": size_kb,
        "states": dict(states),
        # The two parts of upload → parsed (medians): the 202, the worker.
        "upload_ms": round(statistics.median(upload_ms), 1),
        "parse_ms": round(statistics.median(parse_ms), 1),
        "unexpected": sum(v for k, v in states.items() if k != "done"),
        "memory": {"total_mb": max(real_rss), "what": "the parsing process"},
    }
    floor = summary(floor_ms, seconds) | {
        "testcases": cases,
        "unexpected": 0,
        "memory": {"total_mb": max(floor_rss), "what": "the floor process"},
    }
    return real, floor


def prepare() -> dict:
    """Session cookie, an ingest token, a run, deep cursors: straight from Django."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from dashboard.domains import services
    from dashboard.domains.models import Domain
    from dashboard.platform.pagination import _encode
    from pipelines.ingest.models import Run
    from pipelines.management.commands.seed_demo import BENCH_USERNAME

    client = Client()
    # force_login: django-axes' backend wants a request, which login() lacks.
    client.force_login(get_user_model().objects.get(username=BENCH_USERNAME))
    session = client.cookies["sessionid"].value
    domains = list(
        Domain.objects.filter(slug__startswith="demo-").values_list("slug", "pk")
    )
    first_slug, first_pk = domains[0]
    token = services.ingest_token_create(
        domain=Domain.objects.get(pk=first_pk),
        name=f"bench {uuid.uuid4()}",
        scopes=["ci"],
    ).plaintext
    run = Run.objects.filter(domain_id=first_pk).order_by("-started_at", "-id").first()
    runs = Run.objects.filter(domain_id=first_pk).order_by("-started_at", "-id")
    total = runs.count()
    depths = [d for d in (total // 4, total // 2, (3 * total) // 4) if d > 0]
    cursors = []
    for depth in depths:
        at = runs.values_list("started_at", "id")[depth]
        cursors.append(_encode([at[0], at[1]]))
    from dashboard.board.panels.common import approximate_counts

    sizes = approximate_counts(
        ["pipelines_run", "pipelines_testresult", "pipelines_perfsample"],
        using="default",
    )
    return {
        "dataset": {"domains": len(domains), **sizes},
        "session": session,
        "domains": [s for s, _ in domains],
        "token": token,
        "run_id": run.pk,
        "runs_slug": first_slug,
        "runs_total": total,
        "cursors": cursors,
    }


def panel_sql_baseline(
    domains: list[str], ranges: list[str], panels: list[str], *, concurrency: int
) -> dict:
    """The same panels' SQL, captured from what a cold panel runs to build its
    data (its selectors and the annotation sources it draws) and replayed
    through psycopg: what the database alone costs, without Django, HTTP or the
    cache. The same (domain, panel, range) requests as the cold scenario, no
    others, from as many threads, each on its own connection, as the cold
    scenario sends at once: the same load on the same cores."""
    import psycopg
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from dashboard.board.panels import PANELS, panel_build
    from dashboard.board.panels.common import RANGES
    from dashboard.domains.models import Domain

    statements: list[list[str]] = []
    for slug in domains:
        domain_id = Domain.objects.get(slug=slug).pk
        for range_key in ranges:
            for panel in (PANELS[slug] for slug in panels):
                contexts = [
                    CaptureQueriesContext(connections[a])
                    for a in ("default", "replica")
                ]
                for c in contexts:
                    c.__enter__()
                panel_build(panel, domain_id, RANGES[range_key])
                for c in contexts:
                    c.__exit__(None, None, None)
                statements.append(
                    [q["sql"] for c in contexts for q in c.captured_queries]
                )
    latencies: list[float] = []
    lock = threading.Lock()
    work = iter(statements)

    def worker() -> None:
        with psycopg.connect(ENV["DATABASE_URL"]) as conn:
            while True:
                with lock:
                    sqls = next(work, None)
                if sqls is None:
                    return
                t0 = time.perf_counter()
                for sql in sqls:
                    conn.execute(sql).fetchall()
                with lock:
                    latencies.append((time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - started
    return summary(latencies, seconds) | {"concurrency": concurrency, "unexpected": 0}


# --- Main ------------------------------------------------------------------------------
NOOP = "baseline: GET /bench/noop (204)"
FLOOR_WEBHOOK = "floor: HMAC + INSERT … RETURNING + LPUSH"
PANEL_CONCURRENCY = 4
RAW_SQL = f"floor: panels' raw SQL, {PANEL_CONCURRENCY} concurrent"
RAW_SQL_ONE = "panels' raw SQL, one at a time (reference)"
FIRST_PAGE = "runs list, first page"


def floor_tables() -> None:
    """The tables the floors write to: the delivery floor's (one row per
    delivery, unique id, raw body) and a copy of the test results table."""
    import psycopg

    with psycopg.connect(ENV["DATABASE_URL"]) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor_delivery ("
            " id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
            " delivery_id varchar(100) NOT NULL UNIQUE,"
            " event varchar(64) NOT NULL,"
            " body bytea NOT NULL,"
            " received_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.execute("TRUNCATE bench_floor_delivery")
        conn.execute("DROP TABLE IF EXISTS bench_floor_testresult")
        conn.execute(
            "CREATE TABLE bench_floor_testresult "
            "(LIKE pipelines_testresult INCLUDING ALL)"
        )


def delete_prefixed(client, prefix: str) -> int:
    """Delete the keys that start with `prefix` (SCAN, never FLUSHDB)."""
    deleted = 0
    batch = []
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            deleted += client.delete(*batch)
            batch = []
    if batch:
        deleted += client.delete(*batch)
    return deleted


# BENCH_ONLY=webhook,junit50k (comma-separated) runs only those scenarios:
# noop, webhook, junit10k, junit50k, junit500k, panels, shell, runs (`junit`
# names the three JUnit ones); the noop baseline also runs with panels or
# shell, whose floor it is. Empty: all of them.
# BENCH_ROUNDS=N repeats the repeated scenarios N times (small: 1, default: 3).
SCENARIOS = (
    "noop",
    "webhook",
    "junit10k",
    "junit50k",
    "junit500k",
    "panels",
    "shell",
    "runs",
)
ONLY = {k.strip() for k in os.environ.get("BENCH_ONLY", "").split(",") if k.strip()}
if "junit" in ONLY:
    ONLY |= {"junit10k", "junit50k", "junit500k"}
    ONLY.discard("junit")


def wanted(*keys: str) -> bool:
    return not ONLY or any(k in ONLY for k in keys)


def add_ratios(results: dict[str, dict]) -> None:
    """Each scenario with a floor gets its figures divided by the floor's:
    latency and time (× floor: 1.0 is the floor, higher is slower), throughput
    (fraction of the floor's), peak memory."""
    for r in results.values():
        floor = results.get(r.get("floor", ""))
        if not floor or not r.get("requests") or not floor.get("requests"):
            continue
        ratio = {}
        for key in ("p50_ms", "p95_ms", "p99_ms"):
            if floor.get(key):
                ratio[key.removesuffix("_ms")] = round(r[key] / floor[key], 2)
        if r.get("concurrency") and floor.get("throughput_rps"):
            ratio["throughput"] = round(
                r["throughput_rps"] / floor["throughput_rps"], 2
            )
        mine = r.get("memory", {}).get("total_mb")
        theirs = floor.get("memory", {}).get("total_mb")
        if mine and theirs and "testcases" in r:
            ratio["peak_rss"] = round(mine / theirs, 2)
        r["ratio_to_floor"] = ratio


def main() -> int:
    if ONLY - set(SCENARIOS):
        raise SystemExit(
            f"BENCH_ONLY names unknown scenarios {sorted(ONLY - set(SCENARIOS))}; "
            f"choose from junit, {', '.join(SCENARIOS)}."
        )
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    machine = machine_info()
    log(
        f"Benchmark at scale {SCALE} on {machine['cpus']} CPUs, {machine['memory_gb']} GB"
    )
    ensure_database()
    timings = {"migrate_s": round(manage("migrate", "--noinput", "-v0"), 1)}
    if os.environ.get("BENCH_SKIP_SEED") != "1":
        timings["seed_s"] = round(manage("seed_demo", "--scale", SCALE, "--reset"), 1)
    timings["collectstatic_s"] = round(manage("collectstatic", "--noinput", "-v0"), 1)
    facts = prepare()
    import redis

    floor_tables()
    cache = redis.Redis.from_url(ENV["REDIS_URL"])
    server = Server()
    server.start()
    results: dict[str, dict] = {}
    cookie = {"Cookie": f"sessionid={facts['session']}"}
    n = int(os.environ.get("BENCH_ROUNDS") or (1 if QUICK else 3))
    try:
        if wanted("noop", "panels", "shell"):
            results[NOOP] = drive(
                lambda i: ("GET", "/bench/noop", None, {}),
                requests=2000 * n,
                concurrency=8,
                expect={204},
            ) | {"memory": server.peak_rss_mb()}

        if wanted("webhook"):
            bodies = webhook_bodies()

            def webhook_to(path: str) -> Callable[[int], Request]:
                def make(i: int) -> Request:
                    event, body = bodies[i % len(bodies)]
                    signature = hmac.new(
                        SECRET.encode(), body, hashlib.sha256
                    ).hexdigest()
                    return (
                        "POST",
                        path,
                        body,
                        {
                            "Content-Type": "application/json",
                            "X-GitHub-Event": event,
                            "X-GitHub-Delivery": str(uuid.uuid4()),
                            "X-Hub-Signature-256": f"sha256={signature}",
                            "User-Agent": "GitHub-Hookshot/bench",
                        },
                    )

                return make

            ingest = side_by_side(
                {
                    FLOOR_WEBHOOK: webhook_to("/bench/floor/webhook"),
                    "webhook ingest (signed, unique ids)": webhook_to(
                        "/api/v1/webhooks/github"
                    ),
                },
                requests=2000 * n,
                concurrency=8,
                expect={
                    FLOOR_WEBHOOK: {202},
                    "webhook ingest (signed, unique ids)": {200, 202},
                },
            )
            results[FLOOR_WEBHOOK] = ingest[FLOOR_WEBHOOK] | {
                "memory": server.peak_rss_mb()
            }
            results["webhook ingest (signed, unique ids)"] = ingest[
                "webhook ingest (signed, unique ids)"
            ] | {"memory": server.peak_rss_mb(), "floor": FLOOR_WEBHOOK}

        if wanted("junit10k"):
            report = junit_report()
            results["JUnit upload, 10,000 testcases"] = drive(
                lambda i: (
                    "POST",
                    f"/api/v1/ci/runs/{facts['run_id']}/junit",
                    report,
                    {
                        "Content-Type": "application/xml",
                        "Authorization": f"Bearer {facts['token']}",
                    },
                ),
                requests=20 * n,
                concurrency=2,
                expect={200, 201, 202},
            ) | {"memory": server.peak_rss_mb(), "body_kb": len(report) // 1024}

        for cases, rounds in ((50_000, n), (500_000, 1)):
            if wanted(f"junit{cases // 1000}k"):
                label = f"{cases:,}"
                real, floor = junit_pair(
                    cases, rounds=rounds, run_id=facts["run_id"], token=facts["token"]
                )
                floor_name = f"floor: iterparse + COPY, {label} testcases"
                results[floor_name] = floor
                results[f"JUnit {label} testcases, upload → parsed"] = real | {
                    "floor": floor_name
                }
        if wanted("junit50k") and wanted("junit500k"):
            results["JUnit 500,000 testcases, upload → parsed"]["memory_vs_50k"] = (
                round(
                    results["JUnit 500,000 testcases, upload → parsed"]["memory"][
                        "total_mb"
                    ]
                    / results["JUnit 50,000 testcases, upload → parsed"]["memory"][
                        "total_mb"
                    ],
                    2,
                )
            )

        ranges = ["24h", "7d", "30d", "90d"]
        domains = facts["domains"][: 5 if QUICK else 20]
        panels = ["ci-health", "perf", "query-plans", "gates", "flaky", "ingestion"]
        combos = [(d, p, r) for d in domains for r in ranges for p in panels]

        def panel_request(i: int) -> Request:
            slug, panel, range_key = combos[i % len(combos)]
            return (
                "GET",
                f"/d/{slug}/dashboard/{panel}/?{urlencode({'range': range_key})}",
                None,
                {**cookie, "HX-Request": "true"},
            )

        if wanted("panels"):
            # The floor at the cold scenario's concurrency, and (for reference:
            # what one query stream costs on an idle machine) at one. Each of
            # the three starts from an empty cache: a page's annotated panels
            # share one read of its events (panel.annotations), so each capture
            # sees the queries the cold scenario runs, and the cold scenario
            # finds nothing the captures left.
            delete_prefixed(cache, ENV["CACHE_KEY_PREFIX"])
            results[RAW_SQL_ONE] = panel_sql_baseline(
                domains, ranges, panels, concurrency=1
            )
            delete_prefixed(cache, ENV["CACHE_KEY_PREFIX"])
            results[RAW_SQL] = panel_sql_baseline(
                domains, ranges, panels, concurrency=PANEL_CONCURRENCY
            )
            delete_prefixed(cache, ENV["CACHE_KEY_PREFIX"])
            results["dashboard panels, cold cache"] = drive(
                panel_request,
                requests=len(combos),
                concurrency=PANEL_CONCURRENCY,
                expect={200},
            ) | {
                "memory": server.peak_rss_mb(),
                "distinct_panels": len(combos),
                "floor": RAW_SQL,
            }
            results["dashboard panels, warm cache"] = drive(
                panel_request,
                requests=len(combos) * 3,
                concurrency=PANEL_CONCURRENCY,
                expect={200},
            ) | {"memory": server.peak_rss_mb(), "floor": NOOP}
        if wanted("shell"):
            results["dashboard page shell"] = drive(
                lambda i: (
                    "GET",
                    f"/d/{domains[i % len(domains)]}/dashboard/?range=7d",
                    None,
                    cookie,
                ),
                requests=300 * n,
                concurrency=4,
                expect={200},
            ) | {"memory": server.peak_rss_mb(), "floor": NOOP}
        if wanted("runs"):
            cursors = facts["cursors"]
            runs_url = f"/d/{facts['runs_slug']}/runs/"
            deep = f"runs list, deep pages (of {facts['runs_total']:,} runs)"
            pages = side_by_side(
                {
                    FIRST_PAGE: lambda i: ("GET", runs_url, None, cookie),
                    deep: lambda i: (
                        "GET",
                        f"{runs_url}?cursor={cursors[i % len(cursors)]}",
                        None,
                        cookie,
                    ),
                },
                requests=300 * n,
                concurrency=4,
                expect={FIRST_PAGE: {200}, deep: {200}},
            )
            results[FIRST_PAGE] = pages[FIRST_PAGE] | {
                "memory": server.peak_rss_mb(),
                "floor": NOOP,
            }
            results[deep] = pages[deep] | {
                "memory": server.peak_rss_mb(),
                "floor": FIRST_PAGE,
            }
    finally:
        server.stop()
        # The scenarios queued tasks no worker ran: drop them (this run's keys only).
        with contextlib.suppress(redis.exceptions.RedisError):
            delete_prefixed(
                redis.Redis.from_url(ENV["CELERY_BROKER_URL"]),
                ENV["CELERY_BROKER_PREFIX"],
            )
    add_ratios(results)
    machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": SCALE,
        "machine": machine,
        "gunicorn_workers": WORKERS,
        "only": sorted(ONLY) or "all",
        "setup": timings,
        "dataset_approx_rows": facts["dataset"],
        "scenarios": results,
    }
    out = ROOT / "benchmarks" / "results" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(document, indent=2) + "\n")
    print_table(document)
    log(f"\nWritten to {out.relative_to(ROOT)}")
    bad = {k: v["unexpected"] for k, v in results.items() if v.get("unexpected")}
    if bad:
        log(f"Unexpected statuses: {bad}")
        return 1
    return 0


def machine_info() -> dict:
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    import psycopg

    with psycopg.connect(ENV["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres") as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "postgresql": pg,
        # Other people's work on a shared machine weighs on every figure.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def print_table(document: dict) -> None:
    log(f"\nDataset (≈ rows): {document['dataset_approx_rows']}")
    log(
        f"\n{'scenario':<46} {'req':>6} {'req/s':>8} {'p50 ms':>9} {'p95 ms':>9} "
        f"{'p99 ms':>9} {'peak RSS MB':>12}  ratio to its floor"
    )
    for name, r in document["scenarios"].items():
        memory = r.get("memory", {}).get("total_mb", "")
        ratio = r.get("ratio_to_floor", {})
        shown = ", ".join(
            f"{key} {value}×" for key, value in ratio.items() if key != "throughput"
        )
        if "throughput" in ratio:
            shown = f"req/s {ratio['throughput']}× (of floor's), " + shown
        if "memory_vs_50k" in r:
            shown += f"; peak RSS {r['memory_vs_50k']}× the 50,000's"
        log(
            f"{name[:46]:<46} {r.get('requests', 0):>6} {r.get('throughput_rps', 0):>8} "
            f"{r.get('p50_ms', 0):>9} {r.get('p95_ms', 0):>9} {r.get('p99_ms', 0):>9} "
            f"{memory:>12}  {shown}"
        )
        if r.get("floor"):
            log(f"{'':<46}   (÷ {r['floor']})")


if __name__ == "__main__":
    if len(sys.argv) > 1:  # a measured child process (see child())
        os.environ.update(ENV)
        {"parse-report": child_parse_report, "floor-junit": child_floor_junit}[
            sys.argv[1]
        ](*sys.argv[2:])
        sys.exit(0)
    sys.exit(main())
