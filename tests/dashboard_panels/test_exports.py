"""CSV exports: requested on the page, written by a real Celery worker, progress
polled through htmx, downloaded; 10,000+ rows, UTF-8 with or without BOM."""

import csv
import io
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.board.exports import export_request, export_write
from dashboard.models import ExportJob
from tests.support.worker import WorkerProcess, purge_broker

HX = {"HTTP_HX_REQUEST": "true"}


def _download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return b"".join(response.streaming_content)


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_worker_writes_a_10k_row_export_the_page_polls_and_offers(
    client, engineer, domain, build, tmp_path, settings, worker_log
):
    settings.MEDIA_ROOT = tmp_path
    runs = build.runs(10_500, hours_ago=30)
    # A value a spreadsheet would run as a formula, and some Unicode.
    from pipelines.models import Run

    Run.objects.filter(pk=runs[0].pk).update(workflow='=HYPERLINK("x") ✓ «ü»')
    purge_broker()
    worker = WorkerProcess(worker_log, extra_env={"MEDIA_ROOT": str(tmp_path)}).start()
    try:
        client.force_login(engineer)
        today = timezone.now().date()
        response = client.post(
            reverse("dash:export-list", args=[domain.slug]),
            {
                "kind": "runs",
                "since": (today - timedelta(days=3)).isoformat(),
                "until": today.isoformat(),
                "excel_bom": "on",
            },
        )
        assert response.status_code == 302
        detail = response["Location"]
        job = ExportJob.objects.get()
        assert job.rows_estimated == 10_500  # for the progress bar
        page = client.get(detail).content.decode()
        assert 'hx-trigger="every 1s"' in page or "Download" in page
        deadline = time.monotonic() + 120
        while True:
            poll = client.get(detail, **HX)
            if poll.status_code == 286 or time.monotonic() > deadline:
                break
            assert poll.status_code == 200
            time.sleep(0.3)
        assert poll.status_code == 286, worker.output()[-3000:]  # htmx stops polling
        html = poll.content.decode()
        assert "hx-trigger" not in html
        assert "10500 rows" in html
        download = reverse("dash:export-download", args=[domain.slug, job.pk])
        assert download in html
        body = _download(client, download)
    finally:
        worker.stop()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "repository", "workflow"]
    assert len(rows) == 1 + 10_500
    assert len({r[0] for r in rows[1:]}) == 10_500
    workflows = {r[2] for r in rows[1:]}
    assert '\'=HYPERLINK("x") ✓ «ü»' in workflows  # kept as text, not a formula
    # Oldest first, as the range reads.
    assert rows[1][9] <= rows[-1][9]


@pytest.mark.django_db
def test_test_results_export_without_bom(domain, build, tmp_path, settings, engineer):
    from pipelines.models import TestReport, TestResult

    settings.MEDIA_ROOT = tmp_path
    runs = build.runs(3, hours_ago=5)
    for run in runs:
        report = TestReport.objects.create(
            run=run, domain=domain, file="junit/x.xml", sha256="0" * 64
        )
        TestResult.objects.bulk_create(
            TestResult(
                report=report,
                run=run,
                test_key=f"{run.pk}-{i}",
                classname="tests.test_ünï",
                name=f"test_{i}",
                outcome="failed" if i == 0 else "passed",
                message="AssertionError: 1 != 2" if i == 0 else "",
            )
            for i in range(250)
        )
    now = timezone.now()
    job = export_request(
        domain=domain,
        user=engineer,
        kind="test_results",
        since=now - timedelta(days=1),
        until=now,
        excel_bom=False,
    )
    job = export_write(export_id=job.pk)
    assert job.state == "done" and job.rows_written == 750
    assert export_write(export_id=job.pk) is None  # finished: left alone
    from dashboard.board.exports import export_path

    text = export_path(job).read_text(encoding="utf-8")
    assert not text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 750
    assert {r["outcome"] for r in rows} == {"failed", "passed"}
    assert rows[0]["classname"] == "tests.test_ünï"


@pytest.mark.django_db
def test_export_form_refuses_bad_ranges_and_other_domains(
    client, engineer, domain, build
):
    client.force_login(engineer)
    url = reverse("dash:export-list", args=[domain.slug])
    response = client.post(
        url, {"kind": "runs", "since": "2026-02-10", "until": "2026-01-01"}
    )
    assert response.status_code == 422
    assert "is before" in response.content.decode()
    response = client.post(
        url, {"kind": "runs", "since": "2024-02-29", "until": "2026-01-01"}
    )
    assert response.status_code == 422
    assert ExportJob.objects.count() == 0
    from tests.factories import DomainFactory

    other = DomainFactory(slug="elsewhere")
    assert client.get(reverse("dash:export-list", args=[other.slug])).status_code == 404


def _ask(client, domain):
    return client.post(
        reverse("dash:export-list", args=[domain.slug]),
        {"kind": "runs", "since": "2026-01-01", "until": "2026-01-31"},
    )


@pytest.mark.django_db
def test_exports_per_user_are_limited_per_hour_with_retry_after(
    client, engineer, domain, build, settings
):
    settings.EXPORTS_PER_HOUR = 3
    client.force_login(engineer)
    for _ in range(3):
        assert _ask(client, domain).status_code == 302
    refused = _ask(client, domain)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    text = refused.content.decode()
    assert "You have asked for 3 exports this hour" in text
    assert "Try again in" in text
    assert ExportJob.objects.filter(requested_by=engineer).count() == 3
    # An invalid form is still a 422, not counted as a request.
    bad = client.post(
        reverse("dash:export-list", args=[domain.slug]),
        {"kind": "runs", "since": "2026-02-10", "until": "2026-01-01"},
    )
    assert bad.status_code == 422
    # The limit is per user: a colleague still may.
    from tests.factories import UserFactory, member

    colleague = UserFactory()
    member(colleague, domain, "viewer")
    client.force_login(colleague)
    assert _ask(client, domain).status_code == 302


@pytest.mark.django_db
def test_without_redis_the_limit_counts_the_last_hours_export_rows(
    client, engineer, domain, build, settings
):
    settings.EXPORTS_PER_HOUR = 2
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
        }
    }
    client.force_login(engineer)
    assert _ask(client, domain).status_code == 302
    # A job older than an hour does not count.
    ExportJob.objects.update(received_at=timezone.now() - timedelta(hours=2))
    assert _ask(client, domain).status_code == 302
    assert _ask(client, domain).status_code == 302
    refused = _ask(client, domain)
    assert refused.status_code == 429
    assert 3000 < int(refused["Retry-After"]) <= 3600
    assert ExportJob.objects.count() == 3
