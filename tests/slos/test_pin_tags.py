"""SLI points may carry the pin (and version) that served them: stored, part of
the point's identity, counted by the SLO (hourly sums and windows alike)
whatever their tags; malformed tags are a problem+json 422."""

from datetime import UTC, datetime, timedelta

import pytest

from slos import maths
from slos.models import SliHour, SliPoint
from slos.selectors import slo_series, window_counts
from tests.factories import DomainFactory
from tests.slos.test_api import SLOTH, auth, import_file

pytestmark = pytest.mark.django_db
T0 = datetime(2028, 2, 29, 10, 0, tzinfo=UTC)  # a leap day
STABLE, CANDIDATE = "a1b2c3d4e5f6", "0f" * 32


@pytest.fixture
def domain(client):
    domain = DomainFactory()
    import_file(client, domain, SLOTH)
    return domain


def send(client, domain, points):
    return client.post(
        "/api/v1/sli",
        {"slo": "requests-availability", "points": points},
        content_type="application/json",
        **auth(domain),
    )


def test_stable_and_candidate_points_of_one_ts_both_count(client, domain):
    ts = (T0 + timedelta(minutes=5)).isoformat()
    answer = send(
        client,
        domain,
        [
            {
                "ts": ts,
                "good": 95,
                "total": 100,
                "pin_id": "summary",
                "pin_version": STABLE,
            },
            {
                "ts": ts,
                "good": 3,
                "total": 5,
                "pin_id": "summary",
                "pin_version": CANDIDATE,
            },
            {"ts": ts, "good": 10, "total": 10},
        ],
    )
    assert answer.status_code == 200 and answer.json()["written"] == 3
    # A repeat of the candidate's point replaces only that one.
    send(
        client,
        domain,
        [
            {
                "ts": ts,
                "good": 4,
                "total": 5,
                "pin_id": "summary",
                "pin_version": CANDIDATE,
            }
        ],
    )
    assert sorted(SliPoint.objects.values_list("pin_version", "good", "total")) == [
        ("", 10, 10),
        (CANDIDATE, 4, 5),
        (STABLE, 95, 100),
    ]
    # The SLO counts every point: hourly sums, windows and the series agree.
    hour = SliHour.objects.get()
    assert (hour.good, hour.total) == (109, 115)
    slo = SliPoint.objects.first().slo
    at = T0 + timedelta(hours=1)
    assert window_counts([slo], at=at)[slo.pk]["1h"] == maths.Counts(109.0, 115.0)
    series = slo_series(slo, at=at)
    assert series.counts(at=at, window=timedelta(hours=1)) == maths.Counts(109.0, 115.0)


@pytest.mark.parametrize(
    ("tags", "field", "says"),
    [
        ({"pin_version": STABLE}, "points[0]", "pin_version was given without pin_id"),
        ({"pin_id": "-bad"}, "points[0].pin_id", "lowercase"),
        ({"pin_id": "ok\x00"}, "points[0].pin_id", "lowercase"),
        ({"pin_id": "ok", "pin_version": "xyz"}, "points[0].pin_version", "64 hex"),
    ],
)
def test_bad_tags_are_a_problem_422_naming_the_point(client, domain, tags, field, says):
    response = send(
        client, domain, [{"ts": T0.isoformat(), "good": 1, "total": 1, **tags}]
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert any(e["field"].startswith(field) and says in e["detail"] for e in errors), (
        errors
    )
    assert not SliPoint.objects.exists()
