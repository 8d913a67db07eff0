"""CI health: pass rate and p50/p95 run duration per workflow, latest failing runs."""

from collections import defaultdict
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import QuerySet

from dashboard.board.panels.common import (
    TimeRange,
    bucket_start,
    in_range,
    iso,
    window,
)
from dashboard.domains.models import Repository
from dashboard.platform.pagination import Page, keyset_page
from pipelines.ingest.models import CIRollup, Deployment, Run
from pipelines.ingest.rollups import FAILED, histogram_add, histogram_quantile

FAILING_PAGE_SIZE = 10
DEPLOY_MARKS = 30


def deployment_marks(domain_id: int, time_range: TimeRange) -> list[dict]:
    """The domain's deployments in the range, drawn on the time charts (newest
    30); each links to its commit's page (relative to the domain's page)."""
    deployments = (
        Deployment.objects.filter(
            domain_id=domain_id, **in_range(time_range, "created_at")
        )
        .only("environment", "sha", "created_at")
        .order_by("-created_at", "-id")[:DEPLOY_MARKS]
    )
    return [
        {
            "t": iso(d.created_at),
            "label": f"deploy {d.environment} {d.sha[:7]}",
            "link": f"commits/{d.sha}/",
        }
        for d in deployments
    ]


def failing_runs(domain_id: int, time_range: TimeRange) -> QuerySet:
    return (
        Run.objects.filter(
            domain_id=domain_id,
            conclusion__in=sorted(FAILED),
            **in_range(time_range, "started_at"),
        )
        .select_related("repository")
        .only(
            "id",
            "workflow",
            "branch",
            "head_sha",
            "conclusion",
            "url",
            "started_at",
            "completed_at",
            "pull_request_number",
            "repository__full_name",
        )
    )


def failing_runs_page(
    domain_id: int, time_range: TimeRange, cursor: str | None
) -> Page:
    """One page (newest first) of the failing runs in the range; keyset, no OFFSET."""
    return keyset_page(
        failing_runs(domain_id, time_range),
        ordering=("-started_at", "-id"),
        cursor=cursor,
        page_size=FAILING_PAGE_SIZE,
    )


def run_row(run) -> dict:
    return {
        "id": run.pk,
        "repository": run.repository.full_name,
        "workflow": run.workflow or "(unnamed)",
        "branch": run.branch,
        "pull_request": run.pull_request_number,
        "sha": run.head_sha[:7],
        "full_sha": run.head_sha,
        "conclusion": run.conclusion,
        "url": run.url,
        "started_at": iso(run.started_at),
    }


def failing_runs_more(domain_id: int, time_range: TimeRange, cursor: str) -> dict:
    """The panel's older failing runs, one keyset page after `cursor`."""
    page = failing_runs_page(domain_id, time_range, cursor)
    return {
        "failing": [run_row(run) for run in page.items],
        "failing_next": page.next_cursor,
    }


def build(domain_id: int, time_range: TimeRange) -> dict:
    since = window(time_range)
    repos = dict(
        Repository.objects.filter(domain_id=domain_id).values_list("id", "name")
    )
    rows = CIRollup.objects.filter(
        domain_id=domain_id, **in_range(time_range)
    ).values_list(
        "repository_id", "workflow", "hour", "runs", "passed", "failed", "duration_hist"
    )
    # (repository, workflow) -> bucket -> [runs, passed, failed, histogram]
    series: dict[tuple[int, str], dict[datetime, list]] = defaultdict(dict)
    for repository_id, workflow, hour, runs, passed, failed, hist in rows:
        bucket = bucket_start(hour, time_range.step)
        acc = series[(repository_id, workflow)].setdefault(bucket, [0, 0, 0, []])
        acc[0] += runs
        acc[1] += passed
        acc[2] += failed
        histogram_add(acc[3], hist)
    several_repos = len({repo for repo, _ in series}) > 1
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
        for bucket, (runs, passed, failed, hist) in sorted(buckets.items()):
            judged = passed + failed
            points.append(
                {
                    "t": iso(bucket),
                    "runs": runs,
                    "passed": passed,
                    "failed": failed,
                    "pass_rate": round(100 * passed / judged, 1) if judged else None,
                    "p50_s": histogram_quantile(hist, 0.5),
                    "p95_s": histogram_quantile(hist, 0.95),
                }
            )
            total_runs += runs
            total_passed += passed
            total_failed += failed
        workflows.append(
            {
                "name": name,
                "points": points,
                # Relative to the domain's page: its runs of this workflow.
                "link": f"runs/?{urlencode({'workflow': workflow})}",
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
