"""No query string makes a page answer 500: garbage, NUL, lone surrogates, huge
values and forged cursors of the wrong types are a 4xx or a (filtered) 200."""

import base64
import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.models import AuditEntry

pytestmark = pytest.mark.django_db


def b64(value: object) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# A page per paginated list and per filter; {slug} is domain A's.
PAGES = [
    "/d/{slug}/runs/",
    "/d/{slug}/deliveries/",
    "/d/{slug}/flaky-tests/",
    "/d/{slug}/exports/",
    "/d/{slug}/audit/",
    "/d/{slug}/dashboard/",
    "/d/{slug}/dashboard/ci-health/",
    "/d/{slug}/dashboard/ingestion/",
    "/d/{slug}/commits/abc123/",
    "/ops/dead-letters/",
    "/ops/deliveries/unmapped/",
]
PARAMETERS = [
    "cursor",
    "page_size",
    "branch",
    "status",
    "workflow",
    "repository",
    "range",
]
FORGED_CURSORS = [
    '["garbage",1]',
    "[5,1]",
    b64(["garbage", 1]),
    b64([5, 1]),
    b64(["2025-01-01T00:00:00+00:00", "x"]),
    b64(["2025-01-01T00:00:00+00:00", True]),
    b64(["2025-01-01T00:00:00+00:00", 2**80]),
    b64(["2025-01-01T00:00:00", 1]),  # naive
    b64([None, 1]),
    b64([{"a": 1}, [1]]),
    b64(["2025-01-01T00:00:00+00:00\x00", 1]),
    b64([[[[[1]]]]]),
    base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode(),
    "%%%",
    "",
]
HOSTILE_VALUES = [
    "a\x00b",
    "\x00",
    "\ud800",
    "a\udfffb",
    "x" * 20_000,
    "-1",
    "0",
    "1e309",
    str(2**70),
    "[]",
    "{}",
    "' OR 1=1 --",
    "\u202e\ufeff",
]


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.superuser)
    return client


def get(client, path: str, params: dict) -> int:
    # Quoted by hand: a lone surrogate goes on the wire as the bytes a broken
    # client would send (%ED%A0%80), which the test client refuses to encode.
    query = "&".join(
        f"{quote(k, errors='surrogatepass')}={quote(v, errors='surrogatepass')}"
        for k, v in params.items()
    )
    response = client.get(f"{path}?{query}")
    assert response.status_code < 500, (path, params, response.content[:300])
    return response.status_code


# One test per page, looping inside: the world fixture is what costs.
@pytest.mark.parametrize("page", PAGES)
def test_a_forged_cursor_is_a_400_never_a_500(staff_client, world, page):
    for cursor in FORGED_CURSORS:
        status = get(staff_client, page.format(slug=world.a.slug), {"cursor": cursor})
        assert status in (200, 400), cursor


@pytest.mark.parametrize("page", PAGES)
def test_hostile_query_values_are_refused_or_filtered(staff_client, world, page):
    # The cursor alone (a bad one is refused before any filter is read), then
    # every filter at once: each request reaches every filter the page has.
    filters = [name for name in PARAMETERS if name != "cursor"]
    for value in HOSTILE_VALUES:
        get(staff_client, page.format(slug=world.a.slug), {"cursor": value})
        get(
            staff_client,
            page.format(slug=world.a.slug),
            dict.fromkeys(filters, value),
        )


def test_a_cursor_of_the_wrong_types_is_a_400_on_the_audit_page(staff_client, world):
    AuditEntry.objects.create(action="x", domain=world.a)
    for cursor in (b64(["garbage", 1]), b64([5, 1])):
        response = staff_client.get(f"/d/{world.a.slug}/audit/", {"cursor": cursor})
        assert response.status_code == 400
        assert b"start again without one" in response.content


def test_a_nul_in_a_filter_is_refused_with_a_400(staff_client, world):
    response = staff_client.get(f"/d/{world.a.slug}/runs/", {"branch": "a\x00b"})
    assert response.status_code == 400


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    page=st.sampled_from(PAGES),
    query=st.dictionaries(
        st.sampled_from([*PARAMETERS, "page"]),
        st.one_of(st.text(max_size=60), st.sampled_from(HOSTILE_VALUES)),
        max_size=4,
    ),
)
def test_any_query_string_is_a_4xx_or_200(staff_client, world, page, query):
    get(staff_client, page.format(slug=world.a.slug), query)
