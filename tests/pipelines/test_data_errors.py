"""Data errors on the worker side: a value no column can hold is cleaned (with a
note) or fails its row at once with a reason; only a lost database connection
is retried; the sweeper gives up on a row it has enqueued too often."""

import json
import uuid
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.db import DataError, IntegrityError, OperationalError

from config.tasks import TransientError
from dashboard.models import OutboxState
from pipelines.ingest import tasks
from pipelines.ingest.services import junit, webhooks
from pipelines.models import Push, Run, TestReport, TestResult, WebhookDelivery
from tests.pipelines.conftest import deliver
from tests.pipelines.factories import RunFactory, TestReportFactory

pytestmark = pytest.mark.django_db

SHA = "3484a3fb816e0859fd6e1cea078d76385ff50625"


def stored(event: str, payload: dict) -> WebhookDelivery:
    """A delivery as the webhook endpoint stores it (signature already checked)."""
    body = json.dumps(payload).encode()
    delivery_id = str(uuid.uuid4())
    webhooks.delivery_accept(
        delivery_id=delivery_id, event=event, body=body, payload=payload
    )
    return WebhookDelivery.objects.get(delivery_id=delivery_id)


def processed(delivery: WebhookDelivery) -> WebhookDelivery:
    tasks.process_delivery_task(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def sample(testdata, name: str) -> dict:
    return json.loads((testdata / f"github_webhooks/octokit__{name}").read_text())


# --- timestamps -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "pushed_at",
    [1e20, -1e20, "2026-02-30T10:00:00Z", "2026-03-01T10:00:00+25:00", float("nan")],
)
def test_a_timestamp_that_is_no_instant_fails_the_delivery_at_once_with_a_reason(
    ci_domain, testdata, pushed_at
):
    payload = sample(testdata, "push_payload.json")
    payload["repository"]["pushed_at"] = pushed_at
    delivery = processed(stored("push", payload))
    if pushed_at != pushed_at:  # NaN is cleaned to null: the push is stored
        assert delivery.state == OutboxState.DONE
        return
    assert delivery.state == OutboxState.FAILED
    assert delivery.attempts == 1
    assert "timestamp" in delivery.reason and "timestamp" in delivery.error
    assert not Push.objects.exists()
    # Replayable after a fix: the same data fails the same way, once more.
    webhooks.delivery_replay(delivery=delivery)
    delivery = processed(delivery)
    assert (delivery.state, delivery.attempts) == (OutboxState.FAILED, 2)


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", True]
)
def test_timestamps_beyond_what_python_holds_are_payload_errors(value):
    with pytest.raises(webhooks.PayloadError):
        webhooks.ts(value)


# --- database errors in the task ----------------------------------------------------------
@pytest.mark.parametrize("error", [DataError, IntegrityError])
def test_a_database_data_error_fails_the_delivery_on_the_first_attempt(
    ci_domain, error
):
    delivery = stored("push", {"repository": {"full_name": "octo-org/octo-repo"}})
    with mock.patch.object(
        tasks, "delivery_process", side_effect=error('Token "NaN" is invalid')
    ):
        assert tasks.process_delivery_task(delivery.pk) == OutboxState.FAILED
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.FAILED
    assert delivery.reason.startswith("The database refused this data")
    assert delivery.can_replay


def test_only_a_lost_connection_is_retried(ci_domain):
    delivery = stored("push", {"repository": {"full_name": "octo-org/octo-repo"}})
    with (
        mock.patch.object(
            tasks, "delivery_process", side_effect=OperationalError("gone")
        ),
        pytest.raises(TransientError),
    ):
        tasks.process_delivery_task(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.PENDING


def test_a_junit_data_error_fails_the_report_without_retry():
    report = TestReportFactory(state=OutboxState.PENDING)
    with mock.patch.object(tasks, "report_parse", side_effect=DataError("bad")):
        assert tasks.parse_junit_task(report.pk) == OutboxState.FAILED
    report.refresh_from_db()
    assert report.state == OutboxState.FAILED and "refused" in report.error


# --- cleaned and cut, never a failed delivery ---------------------------------------------
def test_nul_surrogates_and_an_over_long_branch_are_cleaned_and_noted(
    ci_domain, testdata
):
    payload = sample(testdata, "workflow_run_completed.payload.json")
    run = payload["workflow_run"]
    run["head_branch"] = "feat/\x00" + "x" * 10_000
    run["name"] = "CI \ud800 build\x00"
    delivery = processed(stored("workflow_run", payload))
    assert delivery.state == OutboxState.DONE, delivery.error
    stored_run = Run.objects.get()
    assert stored_run.branch == ("feat/" + "x" * 10_000)[:255]
    assert stored_run.workflow == "CI \ufffd build"
    assert "Run.branch cut from 10,005 to 255 characters" in delivery.reason


def test_a_run_number_beyond_its_column_is_stored_as_unknown(ci_domain, testdata):
    payload = sample(testdata, "workflow_run_completed.payload.json")
    payload["workflow_run"]["run_number"] = 99_999_999_999
    delivery = processed(stored("workflow_run", payload))
    assert delivery.state == OutboxState.DONE
    assert Run.objects.get().run_number is None
    assert "run_number 99999999999 is out of range" in delivery.reason


def test_an_identity_beyond_its_column_fails_with_a_reason(ci_domain, testdata):
    payload = sample(testdata, "workflow_run_completed.payload.json")
    payload["workflow_run"]["run_attempt"] = 99_999_999_999
    delivery = processed(stored("workflow_run", payload))
    assert delivery.state == OutboxState.FAILED
    assert "Run.attempt 99999999999 is out of range" in delivery.reason
    assert not Run.objects.exists()


def test_a_payload_of_the_wrong_shape_fails_with_a_reason(ci_domain):
    payload = {"repository": {"full_name": "octo-org/octo-repo"}, "workflow_run": 7}
    delivery = processed(stored("workflow_run", payload))
    assert delivery.state == OutboxState.FAILED and delivery.reason


# --- JUnit --------------------------------------------------------------------------------
def parsed(xml: bytes) -> TestReport:
    report = TestReportFactory(
        run=RunFactory(head_sha=SHA), state=OutboxState.PENDING, tests=None
    )
    report.file.save("weird.xml", ContentFile(xml))
    junit.report_parse(report_id=report.pk)
    report.refresh_from_db()
    return report


def test_junit_non_finite_times_are_no_duration_and_the_report_still_parses():
    report = parsed(
        b'<testsuite name="s" time="1e400">'
        b'<testcase name="a" time="NaN"/><testcase name="b" time="Infinity"/>'
        b'<testcase name="c" time="-inf"/><testcase name="d" time="0.5"/>'
        b"</testsuite>"
    )
    assert (report.state, report.tests) == (OutboxState.DONE, 4)
    durations = dict(TestResult.objects.values_list("name", "duration_seconds"))
    assert durations == {"a": None, "b": None, "c": None, "d": 0.5}
    assert report.duration_seconds == 0.5


def test_junit_nul_bytes_and_an_out_of_range_line_are_cleaned():
    report = parsed(
        b'<testsuite name="s\x00uite"><testcase name="te\x00st" line="99999999999">'
        b'<failure message="bad\x00">boom\x00</failure></testcase></testsuite>'
    )
    assert report.state == OutboxState.DONE, report.error
    result = TestResult.objects.get()
    assert (result.suite, result.name, result.line) == ("suite", "test", None)
    assert (result.message, result.details) == ("bad", "boom")


@pytest.mark.parametrize(
    "payload",
    [
        {"action": "com\x00pleted", "repository": {"full_name": "octo-org/\x00x"}},
        {"action": {"a": 1}, "repository": "octo-org/octo-repo"},
        {"action": "\ud800", "repository": {"full_name": ["x"]}},
    ],
)
def test_a_signed_payload_with_unstorable_values_is_accepted_then_judged(
    client, ci_domain, payload
):
    body = json.dumps(payload).encode()
    assert deliver(client, "workflow_run", body).status_code == 202
    delivery = processed(WebhookDelivery.objects.get())
    assert delivery.state in (OutboxState.IGNORED, OutboxState.FAILED)
    assert delivery.reason
    assert "\x00" not in delivery.action + delivery.repository_full_name


def test_junit_names_longer_than_their_column_are_cut_and_logged(caplog):
    long_name = "test_" + "x" * 5_000
    report = parsed(
        f'<testsuite name="s"><testcase classname="c" name="{long_name}"/>'
        "</testsuite>".encode()
    )
    assert report.state == OutboxState.DONE
    name = TestResult.objects.get().name
    assert len(name) == 1000 and name.startswith("test_x") and name.endswith("…")
    assert "JUnit name cut from 5,005 to 1,000 characters" in caplog.text
