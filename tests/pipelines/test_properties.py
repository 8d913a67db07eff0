"""Property tests for what the workers read from outside: the JUnit parser, the
EXPLAIN summarizer and the webhook event handlers, fed the real published files
(../shared/testdata, read at test time) mutated by hypothesis. Every value
either stores (cleaned, cut to its column) or is refused with a reason; the
worker never raises and never leaves a row pending."""

import copy
import io
import json
import math
import uuid
from xml.sax.saxutils import quoteattr

import pytest
from django.core.files.base import ContentFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.models import OutboxState
from pipelines.ingest import tasks
from pipelines.ingest.services import junit, plans, webhooks
from pipelines.models import TestResult, WebhookDelivery
from tests.pipelines.conftest import event_of, sample_payloads
from tests.pipelines.factories import RunFactory, TestReportFactory

LINE_MAX = 2_147_483_647
PROPERTY = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Values a sender may put anywhere: NUL, lone surrogates, very long text, numbers
# beyond every column, NaN and Infinity, timestamps that are no instant, and
# values of the wrong type.
hostile_text = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=20),
    st.text(max_size=5).map(lambda s: s + "\x00" + "é" * 300),
    st.sampled_from(["\ud800", "a\x00b", "x" * 10_000, "", " "]),
)
hostile_timestamps = st.sampled_from(
    [
        1e20,
        -1e20,
        "2026-02-30T10:00:00Z",
        "2026-03-01T10:00:00+25:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2026-02-28T23:59:59Z",
    ]
)
hostile_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=2**31 - 2, max_value=2**70),
    st.floats(),
    st.sampled_from([0, -1, 99_999_999_999, 10**400, 1e308]),
)
hostile = st.one_of(
    hostile_text,
    hostile_numbers,
    hostile_timestamps,
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def unstorable(text: str) -> bool:
    return "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text)


# --- JUnit --------------------------------------------------------------------------------
numberish = st.one_of(
    st.sampled_from(["NaN", "Infinity", "-inf", "1e400", "1,234.5", "", "99999999999"]),
    st.floats().map(repr),
    st.integers().map(str),
    hostile_text,
)


def junit_document(cases: list[dict]) -> bytes:
    body = []
    for case in cases:
        attributes = " ".join(
            f"{name}={quoteattr(value)}"
            for name, value in case.items()
            if name != "failure"
        )
        failure = case.get("failure")
        inner = f"<failure message={quoteattr(failure)}/>" if failure else ""
        body.append(f"<testcase {attributes}>{inner}</testcase>")
    xml = f'<testsuite name="s" time="1e400">{"".join(body)}</testsuite>'
    # Lone surrogates are written as the bytes a broken reporter would write.
    return xml.encode("utf-8", errors="surrogatepass")


junit_cases = st.lists(
    st.fixed_dictionaries(
        {"name": hostile_text, "time": numberish, "line": numberish},
        optional={
            "classname": hostile_text,
            "file": hostile_text,
            "failure": hostile_text,
        },
    ),
    min_size=1,
    max_size=4,
)


@PROPERTY
@given(cases=junit_cases)
def test_junit_cases_are_storable_or_the_report_is_refused_with_a_position(cases):
    try:
        parsed = list(junit.parse(io.BytesIO(junit_document(cases))))
    except junit.JUnitError as exc:
        assert exc.detail
        return
    assert len(parsed) == len(cases)
    for case in parsed:
        for text, limit in (
            (case.name, 1000),
            (case.classname, 500),
            (case.suite, 500),
            (case.file, 500),
            (case.message, junit.MESSAGE_MAX),
        ):
            assert len(text) <= limit and not unstorable(text)
        assert case.duration_seconds is None or math.isfinite(case.duration_seconds)
        assert case.line is None or 0 <= case.line <= LINE_MAX


@pytest.mark.django_db
def test_a_junit_report_of_hostile_values_is_parsed_or_failed_never_pending():
    run = RunFactory()

    @PROPERTY
    @given(cases=junit_cases)
    def parse_stored(cases):
        report = TestReportFactory(run=run, state=OutboxState.PENDING, tests=None)
        report.file.save("hostile.xml", ContentFile(junit_document(cases)))
        state = tasks.parse_junit_task(report.pk)
        report.refresh_from_db()
        assert state == report.state
        if report.state == OutboxState.FAILED:
            assert report.error
        else:
            assert report.state == OutboxState.DONE
            assert TestResult.objects.filter(report=report).count() == len(cases)

    parse_stored()


# --- EXPLAIN plans ------------------------------------------------------------------------
def plan_nodes(document) -> list[dict]:
    found, stack = [], [document[0]["Plan"]]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.get("Plans") or [])
    return found


PLAN_KEYS = [*plans.NUMERIC_KEYS, "Node Type", "Relation Name", "Plans"]


def test_mutated_published_plans_summarize_to_finite_numbers_or_are_refused(
    testdata,
):
    documents = [
        json.loads(path.read_text())
        for path in sorted((testdata / "explain").glob("*.json"))
    ]
    assert documents, f"no EXPLAIN files in {testdata / 'explain'}"

    @PROPERTY
    @given(
        data=st.data(),
        key=st.sampled_from(PLAN_KEYS),
        value=st.one_of(
            hostile,
            st.sampled_from(["NaN", "Infinity", "1e400", "-Infinity", "12.5"]),
        ),
    )
    def summarize(data, key, value):
        document = copy.deepcopy(data.draw(st.sampled_from(documents)))
        nodes = plan_nodes(document)
        node = data.draw(st.sampled_from(nodes))
        node[key] = value
        try:
            summary = plans.plan_summarize(document)
        except plans.PlanError as exc:
            assert str(exc)
            return
        for number in (
            summary.startup_cost,
            summary.total_cost,
            summary.plan_rows,
            summary.actual_total_time_ms,
            summary.execution_time_ms,
        ):
            assert number is None or math.isfinite(number)
        assert not (
            key in plans.NUMERIC_KEYS
            and value is not None
            and not isinstance(value, bool)
            and isinstance(value, int | float | str)
            and str(value).lower() in ("nan", "infinity", "-infinity", "1e400", "inf")
        ), "a non-finite number was accepted"

    summarize()


# --- webhooks -----------------------------------------------------------------------------
def paths_of(value, prefix=()) -> list[tuple]:
    """Every place in a payload a value sits: keys of objects, items of lists."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found.extend(paths_of(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            found.append((*prefix, index))
            found.extend(paths_of(item, (*prefix, index)))
    return found


def replaced(payload: dict, path: tuple, value) -> None:
    target = payload
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def test_mutated_published_payloads_store_or_fail_with_a_reason_never_pending(
    testdata, ci_domain
):
    samples = [
        (event_of(path), json.loads(path.read_text()))
        for path in sample_payloads(testdata)
    ]
    assert samples, f"no GitHub payloads in {testdata / 'github_webhooks'}"

    @PROPERTY
    @given(data=st.data())
    def process(data):
        event, original = data.draw(st.sampled_from(samples))
        payload = copy.deepcopy(original)
        paths = paths_of(payload)
        for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
            path = data.draw(st.sampled_from(paths))
            try:
                replaced(payload, path, data.draw(hostile))
            except (KeyError, IndexError, TypeError):
                continue  # an earlier mutation removed the place
        body = json.dumps(payload).encode()
        delivery_id = str(uuid.uuid4())
        webhooks.delivery_accept(
            delivery_id=delivery_id, event=event, body=body, payload=payload
        )
        delivery = WebhookDelivery.objects.get(delivery_id=delivery_id)
        state = tasks.process_delivery_task(delivery.pk)
        delivery = WebhookDelivery.objects.get(pk=delivery.pk)
        assert state == delivery.state
        assert delivery.state in (
            OutboxState.DONE,
            OutboxState.IGNORED,
            OutboxState.FAILED,
        ), delivery.state
        if delivery.state != OutboxState.DONE:
            assert delivery.reason, delivery.error
        assert delivery.attempts == 1

    process()
