"""Properties of the regression maths and the numbers people read in reasons."""

import math

from hypothesis import assume, given
from hypothesis import strategies as st

from pipelines.gates.services.gates import fmt_number, fmt_pct, median, regression_pct

latencies = st.floats(min_value=0.001, max_value=1e7, allow_nan=False)
percent = st.floats(min_value=-99, max_value=1e4, allow_nan=False)


@given(baseline=latencies, pct=percent)
def test_a_value_raised_by_p_percent_regresses_by_p_percent(baseline, pct):
    current = baseline * (1 + pct / 100)
    assert math.isclose(regression_pct(current, baseline), pct, abs_tol=1e-6)


@given(current=latencies, baseline=latencies)
def test_the_sign_says_slower_or_faster(current, baseline):
    change = regression_pct(current, baseline)
    if current > baseline:
        assert change > 0
    elif current < baseline:
        assert change < 0
    else:
        assert change == 0


@given(a=latencies, b=latencies, baseline=latencies)
def test_slower_is_never_a_smaller_regression(a, b, baseline):
    low, high = sorted((a, b))
    assert regression_pct(low, baseline) <= regression_pct(high, baseline)


@given(current=latencies)
def test_it_never_goes_below_minus_100_percent(current):
    assert regression_pct(0.0, current) == -100
    assert regression_pct(current, current * 2) >= -100


@given(current=latencies, baseline=st.sampled_from([None, 0.0, -5.0]))
def test_no_baseline_means_no_percentage(current, baseline):
    assert regression_pct(current, baseline) is None


@given(values=st.lists(latencies, min_size=1, max_size=50), data=st.data())
def test_the_median_is_between_the_extremes_whatever_the_order(values, data):
    shuffled = data.draw(st.permutations(values))
    assert median(shuffled) == median(values)
    assert min(values) <= median(values) <= max(values)


@given(values=st.lists(latencies, min_size=1, max_size=51))
def test_as_many_values_lie_on_each_side_of_the_median(values):
    m = median(values)
    below = sum(v < m for v in values)
    above = sum(v > m for v in values)
    assert below <= len(values) // 2 and above <= len(values) // 2


def test_an_empty_history_has_no_median():
    assert median([]) is None


@given(pct=st.floats(min_value=-1000, max_value=1000, allow_nan=False))
def test_percentages_read_with_their_sign(pct):
    text = fmt_pct(pct)
    assume(round(pct) != 0)
    assert text.endswith("%")
    assert text.startswith("+") == (round(pct) > 0)
    assert text.startswith("-") == (round(pct) < 0)


def test_zero_percent_has_no_sign():
    assert fmt_pct(0.2) == "0%"


@given(n=st.integers(min_value=0, max_value=10**12))
def test_whole_numbers_read_with_thousands_separators(n):
    text = fmt_number(n)
    assert int(text.replace(",", "")) == n
    assert all(len(group) == 3 for group in text.split(",")[1:])


def test_numbers_as_people_read_them():
    assert fmt_number(1204) == "1,204"
    assert fmt_number(18400.4) == "18,400"
    assert fmt_number(3.25) == "3.2"
    assert fmt_number(312.0) == "312"
