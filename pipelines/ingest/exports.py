"""CSV exports of CI runs and test results, registered with the dashboard's
export machinery (dashboard.board.exports) in PipelinesConfig.ready()."""

from collections.abc import Iterator

from django.db.models import QuerySet, Sum

from dashboard.board.exports import Exporter
from dashboard.board.models import ExportJob
from pipelines.ingest.models import Run, TestReport, TestResult

CHUNK = 2_000
RUN_BATCH = 200  # runs whose test results are read in one query

RUN_COLUMNS = [
    ("id", "id"),
    ("repository", "repository__full_name"),
    ("workflow", "workflow"),
    ("branch", "branch"),
    ("pull_request", "pull_request_number"),
    ("head_sha", "head_sha"),
    ("event", "event"),
    ("status", "status"),
    ("conclusion", "conclusion"),
    ("started_at", "started_at"),
    ("completed_at", "completed_at"),
    ("url", "url"),
]
RESULT_COLUMNS = [
    ("run_id", "run_id"),
    ("repository", "run__repository__full_name"),
    ("branch", "run__branch"),
    ("head_sha", "run__head_sha"),
    ("suite", "suite"),
    ("classname", "classname"),
    ("name", "name"),
    ("outcome", "outcome"),
    ("duration_seconds", "duration_seconds"),
    ("message", "message"),
]


def export_rows(job: ExportJob) -> tuple[list[str], QuerySet]:
    """The header and the rows of an export, as one values_list queryset (what the
    row estimate is taken from; export_stream reads the same rows in batches)."""
    if job.kind == "runs":
        qs = _runs_in_range(job)
        columns = RUN_COLUMNS
    else:
        qs = TestResult.objects.filter(
            run__domain_id=job.domain_id,
            run__started_at__gte=job.since,
            run__started_at__lt=job.until,
        ).order_by()
        columns = RESULT_COLUMNS
    return [c[0] for c in columns], qs.values_list(*[c[1] for c in columns])


def _runs_in_range(job: ExportJob) -> QuerySet:
    return Run.objects.filter(
        domain_id=job.domain_id, started_at__gte=job.since, started_at__lt=job.until
    ).order_by("started_at", "id")


def results_of_runs(run_ids: list[int]) -> QuerySet:
    """Test results of a batch of runs: an index lookup per run, whatever the size
    of the table (a join over the whole range could turn into a Seq Scan)."""
    return (
        TestResult.objects.filter(run_id__in=run_ids)
        .order_by("run_id", "id")
        .values_list(*[c[1] for c in RESULT_COLUMNS])
    )


def _stream_results(job: ExportJob) -> Iterator[tuple]:
    """The test results of the range's runs, a batch of runs at a time."""
    run_ids = list(_runs_in_range(job).values_list("id", flat=True))
    for start in range(0, len(run_ids), RUN_BATCH):
        yield from results_of_runs(run_ids[start : start + RUN_BATCH]).iterator(
            chunk_size=CHUNK
        )


def _stream_runs(job: ExportJob) -> Iterator[tuple]:
    _, rows = export_rows(job)
    yield from rows.iterator(chunk_size=CHUNK)


def _estimate_runs(job: ExportJob) -> int:
    return _runs_in_range(job).count()


def _estimate_results(job: ExportJob) -> int:
    """The sum of the parsed reports' test counts (one row per run, not one per
    test)."""
    total = TestReport.objects.filter(
        run__domain_id=job.domain_id,
        run__started_at__gte=job.since,
        run__started_at__lt=job.until,
    ).aggregate(total=Sum("tests"))["total"]
    return total or 0


RUNS = Exporter(
    kind="runs",
    label="CI runs",
    header=[c[0] for c in RUN_COLUMNS],
    stream=_stream_runs,
    estimate=_estimate_runs,
)
TEST_RESULTS = Exporter(
    kind="test_results",
    label="Test results",
    header=[c[0] for c in RESULT_COLUMNS],
    stream=_stream_results,
    estimate=_estimate_results,
)
