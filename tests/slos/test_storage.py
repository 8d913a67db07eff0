"""SLI storage: the hourly sums kept beside the points, and window sums read from
them, against brute force over the points themselves."""

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from slos import maths
from slos.models import SliHour, SliPoint, Slo
from slos.selectors import SLO_WINDOW, window_counts
from slos.services import SliCounts, sli_points_record
from tests.factories import DomainFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _slo(domain, name, days):
    return Slo.objects.create(
        domain=domain, name=name, objective=0.99, window_seconds=days * 86400
    )


def _feed(slo, rng, *, span, n):
    """n points at irregular instants (seconds apart, never on a grid) in
    (T0 − span, T0], sent in shuffled batches, some instants sent twice (the
    second replaces the first)."""
    stamps = [
        T0 - timedelta(seconds=rng.randrange(1, int(span.total_seconds())))
        for _ in range(n)
    ]
    stamps += rng.sample(stamps, n // 10)  # repeats
    stamps.append(T0 - timedelta(hours=5))  # exactly on an hour boundary
    rng.shuffle(stamps)
    for start in range(0, len(stamps), 97):
        total = rng.randrange(0, 500)
        sli_points_record(
            slo=slo,
            points=[
                SliCounts(ts=ts, good=rng.randrange(0, total + 1), total=total)
                for ts in stamps[start : start + 97]
            ],
        )


def _brute(slo, at, window):
    good = total = 0
    for ts, g, t in SliPoint.objects.filter(slo=slo).values_list("ts", "good", "total"):
        if at - window < ts <= at:
            good, total = good + g, total + t
    return float(good), float(total)


def test_hourly_sums_equal_the_points_after_replacements():
    rng = random.Random(7)
    slo = _slo(DomainFactory(), "checkout", 7)
    _feed(slo, rng, span=timedelta(days=2), n=600)
    expected = defaultdict(lambda: [0, 0])
    for ts, g, t in SliPoint.objects.filter(slo=slo).values_list("ts", "good", "total"):
        sums = expected[maths.hour_end(ts)]
        sums[0] += g
        sums[1] += t
    stored = {
        h: [g, t]
        for h, g, t in SliHour.objects.filter(slo=slo).values_list(
            "hour_end", "good", "total"
        )
    }
    assert stored == dict(expected)
    # A point exactly on the hour belongs to the hour that ends there.
    assert maths.hour_end(T0 - timedelta(hours=5)) == T0 - timedelta(hours=5)


def test_window_sums_equal_brute_force_at_many_instants():
    rng = random.Random(11)
    domain = DomainFactory()
    slos = [
        _slo(domain, "seven", 7),
        _slo(domain, "thirty", 30),
        _slo(domain, "empty", 28),
    ]
    _feed(slos[0], rng, span=timedelta(days=9), n=1500)
    _feed(slos[1], rng, span=timedelta(days=33), n=1500)
    instants = [T0, T0 - timedelta(days=3, seconds=1)] + [
        T0 - timedelta(seconds=rng.randrange(0, 40 * 86400)) for _ in range(12)
    ]
    for at in instants:
        counts = window_counts(slos, at=at)
        for slo in slos:
            windows = {
                **maths.BURN_WINDOWS,
                SLO_WINDOW: timedelta(seconds=slo.window_seconds),
            }
            for name, window in windows.items():
                got = counts[slo.pk][name]
                assert (got.good, got.total) == _brute(slo, at, window), (
                    slo.name,
                    at,
                    name,
                )


def test_window_sums_take_three_queries_however_many_slos(django_assert_num_queries):
    domain = DomainFactory()
    slos = [_slo(domain, f"slo-{i}", 7 + i) for i in range(12)]
    for slo in slos:
        sli_points_record(
            slo=slo,
            points=[
                SliCounts(ts=T0 - timedelta(minutes=m), good=9, total=10)
                for m in range(90)
            ],
        )
    with django_assert_num_queries(3):
        counts = window_counts(slos, at=T0 - timedelta(minutes=7))
    assert {c[SLO_WINDOW].total for c in counts.values()} == {830.0}


def test_pruning_deletes_what_is_older_than_the_retention_in_batches():
    slo = _slo(DomainFactory(), "old", 7)
    sli_points_record(
        slo=slo,
        points=[
            SliCounts(ts=T0 - timedelta(hours=h), good=1, total=1) for h in range(10)
        ],
    )
    from slos.services import sli_points_prune

    deleted = sli_points_prune(before=T0 - timedelta(hours=4, minutes=30), batch=2)
    assert deleted == 5  # hours 5..9
    assert SliPoint.objects.filter(slo=slo).count() == 5
    assert not SliHour.objects.filter(
        slo=slo, hour_end__lte=T0 - timedelta(hours=5)
    ).exists()
    assert SliHour.objects.filter(slo=slo).count() == 5
