"""The SLO maths against the formulas of docs/slos.md, computed independently
(a plain loop over the points) at many instants, to 1e-9."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slos.maths import (
    ALERT_RULES,
    BURN_WINDOWS,
    Point,
    Series,
    alert_conditions,
    burn_rate,
    error_budget,
    timeslices,
)

T0 = datetime(2024, 2, 29, 23, 0, tzinfo=UTC)  # a leap day, on purpose
MIN = timedelta(minutes=1)


def brute(points, at, window):
    latest = {}
    for p in points:
        latest[p.ts] = p
    inside = [p for p in latest.values() if at - window < p.ts <= at]
    return sum(p.good for p in inside), sum(p.total for p in inside)


@pytest.mark.parametrize(
    ("days", "factors"),
    [(30, [14.4, 6.0, 3.0, 1.0]), (28, [13.44, 5.6, 2.8, 28 / 30])],
)
def test_alert_factors_follow_the_window(days, factors):
    got = [rule.factor(timedelta(days=days)) for rule in ALERT_RULES]
    assert got == pytest.approx(factors, abs=1e-12)


points_strategy = st.lists(
    st.builds(
        lambda minute, total, share: Point(
            ts=T0 + minute * MIN, good=float(int(total * share)), total=float(total)
        ),
        st.integers(min_value=-5000, max_value=5000),
        st.integers(min_value=0, max_value=10_000),
        st.floats(min_value=0, max_value=1),
    ),
    max_size=200,
)


@settings(max_examples=150, deadline=None)
@given(
    points=points_strategy,
    at_minute=st.integers(min_value=-6000, max_value=6000),
    window=st.sampled_from([*BURN_WINDOWS.values(), timedelta(days=28)]),
    objective=st.sampled_from([0.9, 0.99, 0.999, 0.9995]),
)
def test_window_sums_budget_and_burn_match_the_formulas(
    points, at_minute, window, objective
):
    at = T0 + at_minute * MIN
    counts = Series(points).counts(at=at, window=window)
    good, total = brute(points, at, window)
    assert counts.good == pytest.approx(good, abs=1e-9)
    assert counts.total == pytest.approx(total, abs=1e-9)
    burn = burn_rate(counts, objective)
    budget = error_budget(counts, objective)
    if total == 0:
        assert burn is None and budget.remaining is None
    else:
        assert burn == pytest.approx((1 - good / total) / (1 - objective), abs=1e-9)
        allowed = (1 - objective) * total
        assert budget.remaining == pytest.approx(1 - (total - good) / allowed, abs=1e-9)


def steady(minutes: int, *, total: float, good_share: float, start=T0) -> list[Point]:
    return [
        Point(ts=start + i * MIN, good=total * good_share, total=total)
        for i in range(minutes)
    ]


def test_an_outage_pages_then_resolves_at_the_right_minute():
    # Two hours of clean traffic, then 10 minutes of 50% errors, then clean again.
    clean = steady(120, total=100, good_share=1.0)
    outage = steady(10, total=100, good_share=0.5, start=T0 + 120 * MIN)
    after = steady(120, total=100, good_share=1.0, start=T0 + 130 * MIN)
    series = Series(clean + outage + after)
    window = timedelta(days=30)

    def page_fast(at):
        return alert_conditions(series, objective=0.999, slo_window=window, at=at)[0]

    assert not page_fast(T0 + 119 * MIN).firing
    # 5m burn at the first outage minute: (50/500)/0.001 = 100 > 14.4; the 1h
    # burn: 50 bad of 6000 → 8.33, not yet above 14.4.
    assert not page_fast(T0 + 120 * MIN).firing
    # After two outage minutes the hour holds 100 bad of 6000: burn 16.7 > 14.4.
    assert page_fast(T0 + 121 * MIN).firing
    # The last outage point is at minute 129: the 5m window (128, 133] still
    # holds it; (129, 134] is clean again, so the page resolves at minute 134.
    assert page_fast(T0 + 133 * MIN).firing
    assert not page_fast(T0 + 134 * MIN).firing


def test_the_low_traffic_guard_holds_an_alert_back():
    # 3 requests in the hour, all failing: burn 1000, but too few events.
    series = Series(steady(3, total=1, good_share=0.0, start=T0 + 57 * MIN))
    at = T0 + 59 * MIN
    held = alert_conditions(
        series, objective=0.999, slo_window=timedelta(days=30), at=at
    )[0]
    assert held.guarded and not held.firing and held.long_burn == pytest.approx(1000)
    fired = alert_conditions(
        series, objective=0.999, slo_window=timedelta(days=30), at=at, min_events=3
    )[0]
    assert fired.firing and not fired.guarded


def test_an_overspent_budget_is_negative_not_clamped():
    counts = Series(steady(10, total=100, good_share=0.9)).counts(
        at=T0 + 9 * MIN, window=timedelta(days=30)
    )
    assert error_budget(counts, 0.99).remaining == pytest.approx(1 - 100 / 10)


def test_timeslices_judge_slices_and_count_the_empty_ones():
    # 10 one-minute slices: 6 good (100%), 2 bad (50%), 2 without data.
    pts = steady(6, total=10, good_share=1.0) + steady(
        2, total=10, good_share=0.5, start=T0 + 6 * MIN
    )
    result = timeslices(
        Series(pts),
        at=T0 + 9 * MIN,
        window=10 * MIN,
        slice_window=MIN,
        slice_target=0.95,
    )
    assert (result.good_slices, result.slices_with_data) == (6, 8)
    assert result.slices_without_data == 2
    assert result.sli == pytest.approx(0.75)


def test_a_repeated_timestamp_replaces_the_earlier_point():
    series = Series([Point(T0, 0, 10), Point(T0, 10, 10)])
    assert series.counts(at=T0, window=MIN).sli == 1.0


@pytest.mark.parametrize(
    "bad",
    [Point(T0, 11, 10), Point(T0, -1, 10), Point(T0, float("nan"), 10)],
)
def test_impossible_counts_are_refused(bad):
    with pytest.raises(ValueError):
        Series([bad])
