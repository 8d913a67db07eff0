"""CI health: pass rate and p50/p95 run duration per workflow, latest failing runs."""

from collections import defaultdict
from datetime import datetime
from urllib.parse import urlencode

from django.contrib.postgres.aggregates import JSONBAgg
from django.db.models import QuerySet, Sum

from dashboard.board.panels.common import (
    TimeRange,
    between,
    iso,
    per_point,
    window,
)
from dashboard.domains.models import Repository
from dashboard.platform.compiled import compiled_once
from dashboard.platform.pagination import Page, keyset_page, page_from_rows
from pipelines.ingest.models import CIRollup, CIRollupDay, Deployment, Run
from pipelines.ingest.rollups import (
    DAY,
    DURATION_BOUNDS_S,
    FAILED,
    histogram_add,
    quantile_bucket,
)

FAILING_PAGE_SIZE = 10
DEPLOY_MARKS = 30


def deployment_marks(domain_id: int, time_range: TimeRange) -> list[dict]:
    """The domain's deployments in the range, drawn on the time charts (newest
    30); each links to its commit's page (relative to the domain's page)."""
    deployments = _deployments(
        domain_id=domain_id, since=window(time_range), until=time_range.until
    )
    return [
        {
            "t": iso(created_at),
            "label": f"deploy {environment} {sha[:7]}",
            "link": f"commits/{sha}/",
        }
        for environment, sha, created_at in deployments
    ]


@compiled_once
def _deployments(domain_id: int, since: datetime, until: datetime | None) -> QuerySet:
    return (
        Deployment.objects.filter(
            domain_id=domain_id, **between("created_at", since, until)
        )
        .order_by("-created_at", "-id")
        .values_list("environment", "sha", "created_at")[:DEPLOY_MARKS]
    )


FAILING_ORDER = ("-started_at", "-id")
FAILING_COLUMNS = (
    "id",
    "repository__full_name",
    "workflow",
    "branch",
    "pull_request_number",
    "head_sha",
    "conclusion",
    "url",
    "started_at",
)


def failing_runs(domain_id: int, time_range: TimeRange) -> QuerySet:
    """The failing runs in the range, as dicts of FAILING_COLUMNS."""
    return _failing(domain_id, window(time_range), time_range.until).values(
        *FAILING_COLUMNS
    )


def _failing(domain_id: int, since: datetime, until: datetime | None) -> QuerySet:
    return Run.objects.filter(
        domain_id=domain_id,
        conclusion__in=sorted(FAILED),
        **between("started_at", since, until),
    )


@compiled_once
def _failing_first(domain_id: int, since: datetime, until: datetime | None) -> QuerySet:
    """The first page and one more row: what every cold panel reads."""
    return (
        _failing(domain_id, since, until)
        .order_by(*FAILING_ORDER)
        .values_list(*FAILING_COLUMNS)[: FAILING_PAGE_SIZE + 1]
    )


def failing_runs_page(
    domain_id: int, time_range: TimeRange, cursor: str | None
) -> Page:
    """One page (newest first) of the failing runs in the range; keyset, no OFFSET."""
    if cursor is None:
        rows = _failing_first(
            domain_id=domain_id, since=window(time_range), until=time_range.until
        )
        return page_from_rows(
            [dict(zip(FAILING_COLUMNS, row, strict=True)) for row in rows],
            ordering=FAILING_ORDER,
            page_size=FAILING_PAGE_SIZE,
        )
    return keyset_page(
        failing_runs(domain_id, time_range),
        ordering=FAILING_ORDER,
        cursor=cursor,
        page_size=FAILING_PAGE_SIZE,
    )


def run_row(run: dict) -> dict:
    return {
        "id": run["id"],
        "repository": run["repository__full_name"],
        "workflow": run["workflow"] or "(unnamed)",
        "branch": run["branch"],
        "pull_request": run["pull_request_number"],
        "sha": run["head_sha"][:7],
        "full_sha": run["head_sha"],
        "conclusion": run["conclusion"],
        "url": run["url"],
        "started_at": iso(run["started_at"]),
    }


def failing_runs_more(domain_id: int, time_range: TimeRange, cursor: str) -> dict:
    """The panel's older failing runs, one keyset page after `cursor`."""
    page = failing_runs_page(domain_id, time_range, cursor)
    return {
        "failing": [run_row(run) for run in page.items],
        "failing_next": page.next_cursor,
    }


def _bound(index: int | None) -> float | None:
    if index is None:
        return None
    return DURATION_BOUNDS_S[min(index, len(DURATION_BOUNDS_S) - 1)]


def series_points(domain_id: int, time_range: TimeRange) -> list[tuple]:
    """(repository, workflow, point start, runs, passed, failed, p50 s, p95 s)
    per chart point. A day-wide point is one day row (CIRollupDay), its p50
    and p95 stored with it: read as they are, no histogram. Shorter points:
    the database folds the hourly rows into points (`date_bin`, `GROUP BY`),
    gathering each point's histograms (sparse, a key or two each) in a list
    that merge_points() adds up. (Adding the buckets in SQL too needs
    jsonb_each(), whose row estimate of 100 per call turns a 5 ms query into a
    parallel, JIT-compiled one.)"""
    if reads_days(time_range):
        days = _day_points(
            domain_id=domain_id, since=window(time_range), until=time_range.until
        )
        return [(*row[:6], _bound(row[6]), _bound(row[7])) for row in days]
    return merge_points(
        per_point(
            _hours, time_range, POINT_KEYS, point_aggregates(), domain_id=domain_id
        )
    )


POINT_KEYS = ("repository_id", "workflow")


def point_aggregates() -> dict:
    """What a point adds up of its hourly rows."""
    return {
        "runs_total": Sum("runs"),
        "passed_total": Sum("passed"),
        "failed_total": Sum("failed"),
        "histograms": JSONBAgg("duration_hist"),
    }


def reads_days(time_range: TimeRange) -> bool:
    """Whether the range's points are read from the day rows (CIRollupDay):
    when a point is a whole UTC day (every such range starts and ends on one:
    window() aligns a preset to its step, a custom range is whole days), so a
    90-day point is one row per series, not 24 hours to merge."""
    return time_range.step == DAY


def _hours(domain_id: int, since: datetime, until: datetime | None) -> QuerySet:
    return CIRollup.objects.filter(domain_id=domain_id, **between("hour", since, until))


@compiled_once
def _day_points(domain_id: int, since: datetime, until: datetime | None) -> QuerySet:
    return (
        CIRollupDay.objects.filter(domain_id=domain_id, **between("day", since, until))
        .order_by()
        .values_list(
            *POINT_KEYS, "day", "runs", "passed", "failed", "p50_bucket", "p95_bucket"
        )
    )


def merge_points(rows: list[tuple]) -> list[tuple]:
    """Each point's histograms added up and read as p50 and p95 (seconds)."""
    points = []
    for repository_id, workflow, point, runs, passed, failed, hists in rows:
        merged: dict[int, int] = {}
        for hist in hists:
            histogram_add(merged, hist)
        counts = sorted(merged.items())
        points.append(
            (
                repository_id,
                workflow,
                point,
                runs,
                passed,
                failed,
                _bound(quantile_bucket(counts, 0.5)),
                _bound(quantile_bucket(counts, 0.95)),
            )
        )
    return points


def build(domain_id: int, time_range: TimeRange) -> dict:
    since = window(time_range)
    named = Repository.objects.filter(domain_id=domain_id)
    full_names = dict(named.values_list("id", "full_name"))
    repos = {pk: full.rsplit("/", 1)[-1] for pk, full in full_names.items()}
    # (repository, workflow) -> [(point, runs, passed, failed, p50, p95)]
    series: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    for repository_id, workflow, *point in series_points(domain_id, time_range):
        series[(repository_id, workflow)].append(tuple(point))
    several_repos = len({repo for repo, _ in series}) > 1
    stamps: dict = {}  # every series repeats the same point starts: iso() once
    workflows = []
    total_runs = total_passed = total_failed = 0
    for (repository_id, workflow), buckets in sorted(
        series.items(), key=lambda item: (repos.get(item[0][0], ""), item[0][1])
    ):
        name = (
            f"{repos.get(repository_id, '?')} · {workflow}"
            if several_repos
            else workflow
        )
        points = []
        for bucket, runs, passed, failed, p50, p95 in sorted(buckets):
            judged = passed + failed
            stamp = stamps.get(bucket)
            if stamp is None:
                stamp = stamps[bucket] = iso(bucket)
            points.append(
                {
                    "t": stamp,
                    "runs": runs,
                    "passed": passed,
                    "failed": failed,
                    "pass_rate": round(100 * passed / judged, 1) if judged else None,
                    "p50_s": p50,
                    "p95_s": p95,
                }
            )
            total_runs += runs
            total_passed += passed
            total_failed += failed
        workflows.append(
            {
                "name": name,
                "points": points,
                # Relative to the domain's page: its runs of this workflow
                # in this repository (a point narrows it to its bucket).
                "link": "runs/?"
                + urlencode(
                    {
                        "workflow": workflow,
                        "repository": full_names.get(repository_id, ""),
                    }
                ),
            }
        )
    page = failing_runs_page(domain_id, time_range, None)
    judged = total_passed + total_failed
    return {
        "since": iso(since),
        "workflows": workflows,
        "totals": {
            "runs": total_runs,
            "failed": total_failed,
            "pass_rate": round(100 * total_passed / judged, 1) if judged else None,
        },
        "failing": [run_row(run) for run in page.items],
        "failing_next": page.next_cursor,
        "marks": deployment_marks(domain_id, time_range),
    }
