"""The JUnit parser: published reports with their publishers' expected counts,
each dialect real tools write, 10,000 testcases, malformed files and XML bombs."""

import io
import json
import tracemalloc
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.ingest.services import junit
from pipelines.models import Outcome
from tests.pipelines.conftest import FIXTURES


def parse_all(source) -> tuple[list[junit.Case], junit.Totals]:
    totals = junit.Totals()
    cases = list(junit.parse(source, totals))
    return cases, totals


@pytest.mark.parametrize(
    "name",
    [
        "nested__testsuite-in-testsuite",
        "pytest-style__unsupported-unicode",
        "pytest__junit.fail",
    ],
)
def test_published_reports_match_their_publishers_expected_counts(testdata, name):
    expected = json.loads(
        (testdata / f"junit/{name}.expected-results.json").read_text()
    )
    stats = expected["stats"]
    cases, totals = parse_all(str(testdata / f"junit/{name}.xml"))
    assert totals.tests == stats["tests"]
    assert totals.passed == stats["tests_succ"]
    assert totals.skipped == stats["tests_skip"]
    assert totals.failures == stats["tests_fail"]
    assert totals.errors == stats["tests_error"]
    assert totals.suites == stats["suites"]
    assert int(totals.duration_seconds) == stats["duration"]
    assert len(cases) == stats["tests"]


def test_every_published_junit_file_parses_or_is_refused_with_a_position(testdata):
    files = sorted((testdata / "junit").glob("*.xml"))
    assert len(files) >= 5
    for path in files:
        if "MALFORMED" in path.name:
            with pytest.raises(junit.JUnitError) as error:
                junit.check(str(path))
            assert error.value.line is not None, path.name
        else:
            assert junit.check(str(path)).tests > 0, path.name


def test_the_edges_count_only_check_counts_what_the_worker_stores(testdata):
    """check() (at upload) skips building the testcases; its counts must still
    be the parse's (the worker's), file by file, outcome by outcome."""
    files = [
        p
        for p in sorted((testdata / "junit").glob("*.xml"))
        if "MALFORMED" not in p.name
    ]
    for path in files:
        checked = junit.check(str(path))
        parsed = junit.Totals()
        cases = list(junit.parse(str(path), parsed))
        counts = ("suites", "tests", "failures", "errors", "skipped")
        assert [getattr(checked, c) for c in counts] == [
            getattr(parsed, c) for c in counts
        ], path.name
        assert checked.duration_seconds == parsed.duration_seconds, path.name
        assert len(cases) == checked.tests
        # The upload's lighter check (testcases only) counts the same.
        assert junit.check(str(path), outcomes=False).tests == checked.tests


@pytest.mark.parametrize(
    "fixture",
    [
        "malformed-attribute.xml",
        "mismatched-tag.xml",
        "billion-laughs.xml",
        "external-entity.xml",
        "not-junit.xml",
    ],
)
def test_the_uploads_counting_check_refuses_what_the_full_check_refuses(fixture):
    """The upload counts testcases only (check(outcomes=False)); what it refuses
    and the words it says are the full check's."""
    errors = []
    for outcomes in (True, False):
        with pytest.raises(junit.JUnitError) as error:
            junit.check(str(FIXTURES / fixture), outcomes=outcomes)
        errors.append((error.value.detail, error.value.line, error.value.column))
    assert errors[0] == errors[1]


def test_a_corrupt_pytest_report_is_refused_at_the_line_and_column_the_publisher_names(
    testdata,
):
    expected = (
        testdata / "junit/pytest__corrupt-xml.MALFORMED.expected-exception.txt"
    ).read_text()
    assert "line 11, column 22" in expected
    with pytest.raises(junit.JUnitError) as error:
        junit.check(str(testdata / "junit/pytest__corrupt-xml.MALFORMED.xml"))
    assert (error.value.line, error.value.column) == (11, 22)
    assert "line 11, column 22" in error.value.detail


def test_predefined_xml_entities_are_decoded_not_refused(testdata):
    cases, totals = parse_all(str(testdata / "junit/with-xml-entities.xml"))
    assert [c.name for c in cases] == [
        'Test with "quotes" in the test name',
        "Test with 'apostrophe' in the test name",
        "Test with & in the test name",
        "Test with < and > in the test name",
    ]
    assert (totals.skipped, totals.failures, totals.errors) == (2, 1, 1)
    assert cases[2].message == "A message with &"


def test_unicode_outside_the_bmp_survives(testdata):
    cases, _ = parse_all(str(testdata / "junit/pytest-style__unsupported-unicode.xml"))
    assert cases[0].name == "test 1 헴䜝헱홐㣇㿷䔭𒍺𡓿𠄉㦓"
    assert cases[3].outcome == Outcome.FAILED
    assert "헴䜝헱홐" in cases[3].message


def test_pytest_failure_keeps_message_details_file_and_line(testdata):
    cases, _ = parse_all(str(testdata / "junit/pytest__junit.fail.xml"))
    failed = [c for c in cases if c.outcome == Outcome.FAILED]
    assert len(failed) == 1
    case = failed[0]
    assert case.classname == "test.test_spark.SparkTests"
    assert case.name == "test_rsh_events"
    assert (case.file, case.line) == ("test/test_spark.py", 819)
    assert case.message.startswith("self = <test_spark.SparkTests")
    assert "AssertionError: 143 != 0" in case.details
    assert case.duration_seconds == pytest.approx(7.541)


def test_maven_surefire_counts_flaky_reruns_as_passed_and_reads_locale_times():
    cases, totals = parse_all(str(FIXTURES / "surefire.xml"))
    outcomes = {c.name: c.outcome for c in cases}
    assert outcomes == {
        "refundsPartialAmount": "passed",
        "rejectsNegativeAmount": "failed",
        "talksToLedger": "error",
        "slowReconciliation": "skipped",
        "retriesTimeoutOnce": "passed",  # <flakyFailure> then a pass
    }
    assert (totals.tests, totals.failures, totals.errors, totals.skipped) == (
        5,
        1,
        1,
        1,
    )
    assert totals.duration_seconds == pytest.approx(1234.5)  # "1,234.5"
    failed = next(c for c in cases if c.outcome == "failed")
    assert failed.message == (
        "org.opentest4j.AssertionFailedError: expected: <400> but was: <200>"
    )
    assert "RefundServiceTest.java:48" in failed.details
    assert "amount=-5" in failed.system_out
    assert next(c for c in cases if c.outcome == "error").message == (
        "java.net.ConnectException: Connection refused"
    )


def test_gradle():
    cases, totals = parse_all(str(FIXTURES / "gradle.xml"))
    assert (totals.tests, totals.failures, totals.errors, totals.skipped) == (
        4,
        1,
        0,
        1,
    )
    failed = next(c for c in cases if c.outcome == "failed")
    assert failed.name == "handlesUnicode(String)[1]"
    assert "Zoë Ångström" in failed.message
    assert totals.duration_seconds == pytest.approx(0.41)


def test_jest_junit_failure_without_a_message_attribute_uses_its_first_line():
    cases, totals = parse_all(str(FIXTURES / "jest-junit.xml"))
    assert (totals.tests, totals.failures, totals.skipped) == (4, 1, 1)
    failed = next(c for c in cases if c.outcome == "failed")
    assert (
        failed.message == "Error: expect(received).toBe(expected) // Object.is equality"
    )
    assert "Received: 100" in failed.details
    assert failed.suite == "checkout cart"
    assert totals.duration_seconds == pytest.approx(2.317)  # <testsuites time>


def test_go_junit_report_with_properties_and_several_packages():
    cases, totals = parse_all(str(FIXTURES / "go-junit-report.xml"))
    assert (totals.suites, totals.tests, totals.failures, totals.skipped) == (
        2,
        4,
        1,
        1,
    )
    assert [c.suite for c in cases] == [
        "github.com/acme/onboarding/kyc",
        "github.com/acme/onboarding/kyc",
        "github.com/acme/onboarding/kyc",
        "github.com/acme/onboarding/signup",
    ]
    failed = next(c for c in cases if c.outcome == "failed")
    assert failed.name == "TestVerify/expired_document"
    assert failed.message == "Failed"
    assert "want expired" in failed.details
    # No <testsuites time>: the suites' own times add up.
    assert totals.duration_seconds == pytest.approx(0.215)


def test_nested_suites_name_the_innermost_suite(testdata):
    cases, _ = parse_all(str(testdata / "junit/nested__testsuite-in-testsuite.xml"))
    assert [(c.name, c.suite) for c in cases] == [
        ("TestCase1", "TestSuite1"),
        ("TestCase2", "TestSuite1"),
        ("TestCase3", "TestSuite2.1"),
        ("TestCase4", "TestSuite2"),
        ("TestCase5", "Project Test Suite"),
    ]


def test_a_bare_testsuite_root_and_a_namespace_are_read():
    xml = b'<testsuite xmlns="urn:x" name="s"><testcase name="a"><skipped/></testcase></testsuite>'
    cases, totals = parse_all(io.BytesIO(xml))
    assert totals.skipped == 1 and cases[0].suite == "s"


def generated_report(n: int, *, fail_every: int = 10) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n<testsuite name="big">\n'
    ]
    for i in range(n):
        if i % fail_every == 0:
            parts.append(
                f'<testcase classname="pkg.mod{i % 97}" name="test_{i}" time="0.001">'
                f'<failure message="boom {i}">{"trace line " * 20}</failure>'
                "<system-out>captured</system-out></testcase>\n"
            )
        else:
            parts.append(
                f'<testcase classname="pkg.mod{i % 97}" name="test_{i}" time="0.001"/>\n'
            )
    parts.append("</testsuite>\n</testsuites>\n")
    return "".join(parts).encode()


def test_ten_thousand_testcases_are_counted_exactly():
    report = generated_report(10_000)
    assert report.count(b"\n") > 10_000  # a 10,000-line file
    totals = junit.check(io.BytesIO(report))
    assert (totals.tests, totals.failures, totals.suites) == (10_000, 1_000, 1)


def test_the_parser_streams_memory_does_not_grow_with_the_report():
    def peak(n: int) -> int:
        report = generated_report(n)
        source = io.BytesIO(report)
        tracemalloc.start()
        try:
            for _ in junit.parse(source):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2_000), peak(20_000)
    # Ten times the testcases, nowhere near ten times the memory: finished
    # elements are dropped as they are read.
    assert large < small * 2


@pytest.mark.parametrize(
    ("fixture", "line", "column"),
    [("malformed-attribute.xml", 5, 3), ("mismatched-tag.xml", 6, 3)],
)
def test_malformed_xml_is_refused_with_line_and_column(fixture, line, column):
    with pytest.raises(junit.JUnitError) as error:
        junit.check(str(FIXTURES / fixture))
    assert (error.value.line, error.value.column) == (line, column)
    assert f"line {line}, column {column}" in error.value.detail


def test_a_billion_laughs_bomb_is_refused_without_expansion():
    tracemalloc.start()
    try:
        with pytest.raises(junit.JUnitError) as error:
            junit.check(str(FIXTURES / "billion-laughs.xml"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "entity declarations are refused" in error.value.detail
    assert "'lol'" in error.value.detail
    assert peak < 5_000_000  # expanded, it would be gigabytes


def test_an_external_entity_is_refused():
    with pytest.raises(junit.JUnitError, match="entity declarations are refused"):
        junit.check(str(FIXTURES / "external-entity.xml"))


def test_a_document_that_is_not_junit_is_refused():
    with pytest.raises(junit.JUnitError, match="root element is <html>"):
        junit.check(str(FIXTURES / "not-junit.xml"))


# --- Property: whatever testcases a report holds, the counts are theirs. --------
names = st.text(
    # What XML 1.0 can carry: no surrogates, no controls, not U+FFFE or U+FFFF.
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"
    ),
    min_size=1,
    max_size=40,
)
testcases = st.lists(
    st.tuples(
        names, names, st.sampled_from(["passed", "failure", "error", "skipped"]), names
    ),
    max_size=40,
)


@settings(max_examples=75, deadline=None)
@given(testcases, st.integers(min_value=0, max_value=3))
def test_counts_equal_the_testcases_written(cases, depth):
    body = []
    for classname, name, outcome, message in cases:
        inner = (
            ""
            if outcome == "passed"
            else f"<{outcome} message={quoteattr(message)}>{escape(message)}</{outcome}>"
        )
        body.append(
            f"<testcase classname={quoteattr(classname)} name={quoteattr(name)}>{inner}</testcase>"
        )
    xml = "".join(body)
    for level in range(depth + 1):
        xml = f'<testsuite name="level{level}">{xml}</testsuite>'
    xml = f"<testsuites>{xml}</testsuites>"

    parsed, totals = parse_all(io.BytesIO(xml.encode()))
    assert totals.tests == len(cases)
    assert totals.suites == depth + 1
    assert totals.failures == sum(1 for c in cases if c[2] == "failure")
    assert totals.errors == sum(1 for c in cases if c[2] == "error")
    assert totals.skipped == sum(1 for c in cases if c[2] == "skipped")
    assert [(p.classname, p.name) for p in parsed] == [
        (c[0].strip()[:500], c[1].strip()[:1000] or "(unnamed)") for c in cases
    ]
