"""Queries compiled once and run with new values (dashboard.platform.compiled):
the same rows as the ORM's for every value, no second compile, and a loud
error for a value that is not a parameter of its own."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import QuerySet
from django.db.models.sql import compiler

from dashboard.domains.models import Domain
from dashboard.platform.compiled import compiled_once
from tests.factories import DomainFactory


@compiled_once
def created_between(since: datetime, until: datetime | None, prefix: str) -> QuerySet:
    rows = Domain.objects.filter(created_at__gte=since, slug__startswith=prefix)
    if until is not None:
        rows = rows.filter(created_at__lt=until)
    return rows.order_by("slug").values_list("slug", "created_at")


def _domains(prefix: str, *days_ago: int) -> datetime:
    now = datetime.now(UTC)
    for i, days in enumerate(days_ago):
        domain = DomainFactory(slug=f"{prefix}-{i}")
        Domain.objects.filter(pk=domain.pk).update(
            created_at=now - timedelta(days=days)
        )
    return now


@pytest.mark.django_db
def test_each_call_gets_the_rows_of_its_own_values_as_the_orm_would(
    settings, monkeypatch
):
    now = _domains("cmp", 1, 5, 9)
    week_ago, three_days_ago = now - timedelta(days=7), now - timedelta(days=3)

    def orm(since, until, prefix):
        return list(created_between.build(since, until, prefix))

    first = created_between(since=week_ago, until=None, shape={"prefix": "cmp"})
    assert [slug for slug, _ in first] == ["cmp-0", "cmp-1"]
    assert first == orm(week_ago, None, "cmp")
    # Another value, the same statement: no compile at all (the check, which
    # compiles the ORM's to compare, is off as in production).
    settings.COMPILED_SQL_CHECK = False
    compiles = []
    original = compiler.SQLCompiler.as_sql
    monkeypatch.setattr(
        compiler.SQLCompiler,
        "as_sql",
        lambda self, *a, **k: compiles.append(1) or original(self, *a, **k),
    )
    longer = created_between(
        since=now - timedelta(days=30), until=None, shape={"prefix": "cmp"}
    )
    assert [slug for slug, _ in longer] == ["cmp-0", "cmp-1", "cmp-2"]
    assert compiles == []
    # The timestamps come back as the ORM gives them: aware, equal.
    assert longer == orm(now - timedelta(days=30), None, "cmp")
    assert all(at.tzinfo is not None for _, at in longer)
    # A bound that is None on one call and set on another is another statement.
    bounded = created_between(
        since=week_ago, until=three_days_ago, shape={"prefix": "cmp"}
    )
    assert [slug for slug, _ in bounded] == ["cmp-1"]
    # And a different shape another again.
    assert created_between(since=week_ago, until=None, shape={"prefix": "x"}) == []


@pytest.mark.django_db
def test_a_value_that_is_not_a_parameter_of_its_own_is_refused_on_first_use():
    @compiled_once
    def contains(text: str) -> QuerySet:
        return Domain.objects.filter(name__icontains=text).values_list("slug")

    with pytest.raises(TypeError, match="text did not become a parameter"):
        contains(text="pay")

    @compiled_once
    def newest(count: int) -> QuerySet:
        return Domain.objects.order_by("-id").values_list("slug")[:count]

    with pytest.raises(TypeError, match="count did not become a parameter"):
        newest(count=3)

    @compiled_once
    def newest_from(pk: int) -> QuerySet:
        # A parameter in the filter, and written into the LIMIT as well.
        return Domain.objects.filter(pk__gte=pk).values_list("slug")[:pk]

    with pytest.raises(TypeError, match="pk did not become a parameter"):
        newest_from(pk=3)

    @compiled_once
    def among(slugs: list) -> QuerySet:
        return Domain.objects.filter(slug__in=slugs).values_list("slug")

    with pytest.raises(TypeError, match="pass it in shape="):
        among(slugs=["a", "b"])


@pytest.mark.django_db
def test_the_check_catches_a_statement_that_depends_on_a_value():
    """A builder that branches on a value (not on its None-ness) would reuse
    the branch its first call took; the test suite's check refuses it."""

    @compiled_once
    def branching(pk: int) -> QuerySet:
        rows = Domain.objects.filter(pk__gte=pk)
        if pk > 1_000_000:
            rows = rows.filter(name="")
        return rows.values_list("slug")

    with pytest.raises(AssertionError, match="differs from the ORM's"):
        branching(pk=1)
