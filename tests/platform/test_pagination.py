"""Keyset pagination: every row exactly once, in order, whatever the page size."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.models import AuditEntry
from dashboard.platform.pagination import (
    MAX_PAGE_SIZE,
    BadCursor,
    clamp_page_size,
    keyset_page,
)
from tests.factories import EDGE_TIMES


def walk(page_size: int) -> list[int]:
    seen, cursor = [], None
    while True:
        page = keyset_page(
            AuditEntry.objects.all(),
            ordering=("-created_at", "-id"),
            cursor=cursor,
            page_size=page_size,
        )
        seen.extend(e.pk for e in page.items)
        if not page.next_cursor:
            return seen
        cursor = page.next_cursor


@pytest.mark.django_db
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    stamps=st.lists(
        st.sampled_from([*EDGE_TIMES, dt.datetime(2025, 1, 1, tzinfo=dt.UTC)]),
        min_size=0,
        max_size=25,
    ),
    page_size=st.integers(min_value=1, max_value=7),
)
def test_pages_cover_every_row_once_in_order_even_with_equal_timestamps(
    stamps, page_size
):
    AuditEntry.objects.all().delete()
    for stamp in stamps:
        entry = AuditEntry.objects.create(action="x")
        AuditEntry.objects.filter(pk=entry.pk).update(created_at=stamp)
    expected = list(
        AuditEntry.objects.order_by("-created_at", "-id").values_list("pk", flat=True)
    )
    assert walk(page_size) == expected


def test_page_size_is_capped_and_validated():
    assert clamp_page_size("100000") == MAX_PAGE_SIZE
    assert clamp_page_size(None) == 50
    assert clamp_page_size("0") == 1
    with pytest.raises(BadCursor):
        clamp_page_size("ten")


@pytest.mark.django_db
def test_a_forged_cursor_is_refused_with_a_clear_error():
    with pytest.raises(BadCursor, match="start again without one"):
        keyset_page(
            AuditEntry.objects.all(),
            ordering=("-created_at", "-id"),
            cursor="not-a-cursor!!",
            page_size=5,
        )
