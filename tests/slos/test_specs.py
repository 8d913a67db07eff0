"""SLO definitions in: the OpenSLO examples other projects publish (read from
../shared/testdata/openslo), and Sloth, Pyrra and OpenSLO v1alpha files written
from their documented shapes (tests/slos/fixtures/SOURCES.md)."""

from datetime import timedelta
from pathlib import Path

import pytest

from slos.specs import SpecsRefused, duration_parse, specs_parse

OPENSLO = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "openslo"
FIXTURES = Path(__file__).parent / "fixtures"


def openslo(name: str) -> str:
    path = OPENSLO / name
    if not OPENSLO.is_dir():
        pytest.fail(f"the shared test data is missing: {OPENSLO} (see its SOURCES.md)")
    return path.read_text()


def test_an_occurrences_slo_with_an_inline_threshold_indicator():
    (spec,) = specs_parse(
        openslo("openslo-spec__budgeting-method__occurences-slo.yaml")
    )
    assert (spec.name, spec.service, spec.objective) == ("search-slo", "web-shop", 0.99)
    assert spec.window == timedelta(weeks=2) and spec.rolling
    assert spec.budgeting == "occurrences"
    assert spec.indicator["kind"] == "threshold"
    assert spec.indicator["threshold"] == {"op": "lt", "value": 500}


def test_timeslices_keep_their_slice_target_and_window():
    (spec,) = specs_parse(
        openslo(
            "openslo-spec__treat-low-traffic-as-equally-important__timeslices-slo.yaml"
        )
    )
    assert spec.budgeting == "timeslices"
    assert (spec.objective, spec.slice_target) == (0.9995, 0.95)
    assert spec.slice_window == timedelta(minutes=1)
    assert spec.window == timedelta(weeks=1) and not spec.rolling  # calendar window
    assert spec.indicator["kind"] == "ratio" and spec.indicator["counts"] == "good"


def test_ratio_timeslices_need_no_slice_target():
    (spec,) = specs_parse(
        openslo("openslo-spec__budgeting-method__ratio-timeslices.yaml")
    )
    assert spec.budgeting == "ratio_timeslices"
    assert spec.slice_target is None and spec.slice_window == timedelta(minutes=1)


def test_the_sdk_examples_read_as_lists_of_documents():
    specs = specs_parse(openslo("openslo-go-sdk__v1__slos.yaml"))
    assert specs and all(0 < s.objective < 1 for s in specs)
    web = next(s for s in specs if s.name.startswith("web-availability"))
    assert "http_requests" in web.indicator["good"]
    # Documents of other kinds are read without making SLOs.
    for other in ["services", "slis", "data_sources", "alert_policies"]:
        assert specs_parse(openslo(f"openslo-go-sdk__v1__{other}.yaml")) == []


def test_sloth_objectives_are_percentages_and_queries_are_kept():
    availability, latency = specs_parse((FIXTURES / "sloth-two-slos.yaml").read_text())
    assert availability.objective == pytest.approx(0.999)
    assert availability.window == timedelta(days=30)  # Sloth's default period
    assert availability.indicator["counts"] == "bad"
    assert "{{.window}}" in availability.indicator["bad"]
    assert availability.alerting["page_alert"]["labels"]["severity"] == "critical"
    assert latency.indicator["kind"] == "raw" and latency.objective == pytest.approx(
        0.99
    )


def test_pyrra_ratio_and_latency():
    (ratio,) = specs_parse((FIXTURES / "pyrra-ratio.yaml").read_text())
    (latency,) = specs_parse((FIXTURES / "pyrra-latency.yaml").read_text())
    assert (ratio.objective, ratio.window, ratio.service) == (
        pytest.approx(0.995),
        timedelta(weeks=4),
        "search",
    )
    assert ratio.indicator["counts"] == "bad"
    assert latency.indicator["kind"] == "latency" and latency.window == timedelta(
        weeks=2
    )


def test_openslo_v1alpha_windows_and_ratio_metrics():
    (spec,) = specs_parse((FIXTURES / "openslo-v1alpha.yaml").read_text())
    assert spec.window == timedelta(days=28) and spec.objective == 0.98
    assert spec.indicator["good"] == "sum(rate(signup_ok_total[5m]))"


def test_a_refused_file_names_every_error_and_its_place():
    with pytest.raises(SpecsRefused) as refused:
        specs_parse((FIXTURES / "invalid-mixed.yaml").read_text())
    places = {(e.document, e.path) for e in refused.value.errors}
    assert (0, "kind") in places  # unknown kind
    assert (1, "spec.indicatorRef") in places  # missing referenced SLI
    assert (1, "spec.timeWindow[0].duration") in places  # "28 days"
    assert (1, "spec.objectives[0].target") in places  # 1.5
    assert "between 0 and 1" in str(refused.value)
    # Each problem once: the missing SLI is not also reported as a missing indicator.
    assert (1, "spec.indicator.spec") not in places
    assert len(refused.value.errors) == len(places)


def test_not_yaml_is_refused_with_its_line():
    with pytest.raises(SpecsRefused, match=r"line \d+, column \d+: not YAML"):
        specs_parse("apiVersion: openslo/v1\nkind: [unclosed\n")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("28d", timedelta(days=28)),
        ("2w", timedelta(weeks=2)),
        ("30m", timedelta(minutes=30)),
    ],
)
def test_durations(raw, expected):
    assert duration_parse(raw) == expected


@pytest.mark.parametrize("raw", ["28 days", "0d", "-1h", "1y", "", None, "1.5h"])
def test_not_durations(raw):
    assert duration_parse(raw) is None
