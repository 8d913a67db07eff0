"""The SLO API: definitions in, SLI points in, status out — through HTTP with a
real ingest token, on PostgreSQL."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dashboard.domains.services import ingest_token_create
from dashboard.models import AuditEntry
from slos.models import SliPoint, Slo
from tests.factories import DomainFactory

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"
SLOTH = (FIXTURES / "sloth-two-slos.yaml").read_text()
T0 = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # the EU's DST night


@pytest.fixture
def domain():
    return DomainFactory()


def auth(domain, scopes=("slo",)):
    token = ingest_token_create(domain=domain, name="slo", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {token.plaintext}"}


def import_file(client, domain, text, **query):
    url = "/api/v1/slos/import" + ("?dry_run=true" if query.get("dry_run") else "")
    return client.post(
        url, text, content_type="application/yaml", **auth(domain, ("slo_definitions",))
    )


def test_feeding_points_does_not_allow_changing_definitions(client, domain):
    response = client.post(
        "/api/v1/slos/import", SLOTH, content_type="application/yaml", **auth(domain)
    )
    assert response.status_code == 403
    assert "slo_definitions" in response.json()["detail"]
    assert not Slo.objects.exists()


def test_import_is_idempotent_and_a_change_shows_its_diff(client, domain):
    first = import_file(client, domain, SLOTH)
    assert first.status_code == 200, first.content
    assert (first.json()["created"], first.json()["unchanged"]) == (2, 0)
    again = import_file(client, domain, SLOTH).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    changed = import_file(
        client, domain, SLOTH.replace("objective: 99.9", "objective: 99.5")
    )
    body = changed.json()
    assert body["updated"] == 1
    before, after = body["diffs"]["requests-availability"]["objective"]
    assert (before, after) == (pytest.approx(0.999), pytest.approx(0.995))
    assert Slo.objects.get(name="requests-availability").objective == pytest.approx(
        0.995
    )
    assert AuditEntry.objects.filter(action="slo.update", domain=domain).count() == 1


def test_a_dry_run_stores_nothing(client, domain):
    body = import_file(client, domain, SLOTH, dry_run=True).json()
    assert body["dry_run"] and body["created"] == 2
    assert not Slo.objects.exists()


def test_a_refused_file_stores_nothing_and_lists_every_error(client, domain):
    response = import_file(
        client, domain, (FIXTURES / "invalid-mixed.yaml").read_text()
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    places = {(e["document"], e["path"]) for e in response.json()["errors"]}
    assert (1, "spec.objectives[0].target") in places and (0, "kind") in places
    assert not Slo.objects.exists()


def test_a_ci_token_may_not_touch_slos(client, domain):
    response = client.get("/api/v1/slos", **auth(domain, scopes=("ci",)))
    assert response.status_code == 403


def test_points_in_then_status_at_an_instant(client, domain):
    import_file(client, domain, SLOTH)
    slo = Slo.objects.get(name="requests-availability")  # 99.9%, 30 days
    points = [
        {"ts": (T0 + timedelta(minutes=i)).isoformat(), "good": 1000, "total": 1000}
        for i in range(60)
    ] + [  # a 10-minute outage: half the requests fail
        {"ts": (T0 + timedelta(minutes=60 + i)).isoformat(), "bad": 500, "total": 1000}
        for i in range(10)
    ]
    written = client.post(
        "/api/v1/sli",
        {"slo": slo.name, "points": points},
        content_type="application/json",
        **auth(domain),
    )
    assert written.json() == {"slo": slo.name, "written": 70}
    at = (T0 + timedelta(minutes=69)).isoformat()
    status = client.get(f"/api/v1/slos/{slo.pk}/status", {"at": at}, **auth(domain))
    body = status.json()
    assert status.status_code == 200, body
    assert (body["good"], body["total"]) == (65_000, 70_000)
    assert body["sli"] == pytest.approx(65 / 70)
    allowed = 0.001 * 70_000
    assert body["error_budget"]["remaining"] == pytest.approx(1 - 5_000 / allowed)
    assert body["burn_rates"]["5m"] == pytest.approx(0.5 / 0.001)
    fast_page = body["alerts"][0]
    assert (fast_page["severity"], fast_page["factor"]) == ("page", pytest.approx(14.4))
    assert fast_page["firing"] and not fast_page["guarded"]
    # The same instant gives the same answer.
    again = client.get(f"/api/v1/slos/{slo.pk}/status", {"at": at}, **auth(domain))
    assert again.json() == body


def test_a_repeated_point_replaces_the_earlier(client, domain):
    import_file(client, domain, SLOTH)
    send = {
        "slo": "requests-availability",
        "points": [{"ts": T0.isoformat(), "good": 1, "total": 2}],
    }
    client.post("/api/v1/sli", send, content_type="application/json", **auth(domain))
    send["points"][0]["good"] = 2
    client.post("/api/v1/sli", send, content_type="application/json", **auth(domain))
    assert list(SliPoint.objects.values_list("good", "total")) == [(2, 2)]


def test_a_point_repeated_within_one_call_keeps_the_last(client, domain):
    import_file(client, domain, SLOTH)
    ts = T0.isoformat()
    send = {
        "slo": "requests-availability",
        "points": [
            {"ts": ts, "good": 1, "total": 2},
            {"ts": ts, "good": 7, "total": 9},
        ],
    }
    answer = client.post(
        "/api/v1/sli", send, content_type="application/json", **auth(domain)
    )
    assert answer.status_code < 300, answer.content
    assert list(SliPoint.objects.values_list("good", "total")) == [(7, 9)]


@pytest.mark.parametrize(
    ("point", "field"),
    [
        ({"ts": "2026-01-01T00:00:00Z", "good": 3, "total": 2}, "points[0]"),
        ({"ts": "2026-01-01T00:00:00", "good": 1, "total": 2}, "points[0].ts"),
        ({"ts": "2026-01-01T00:00:00Z", "good": -1, "total": 2}, "points[0].good"),
        ({"ts": "2026-01-01T00:00:00Z", "total": 2}, "points[0]"),
        (
            {"ts": "2026-01-01T00:00:00Z", "good": 2**63, "total": 2**63},
            "points[0].good",
        ),
    ],
)
def test_bad_points_are_a_422_naming_the_point(client, domain, point, field):
    import_file(client, domain, SLOTH)
    response = client.post(
        "/api/v1/sli",
        {"slo": "requests-availability", "points": [point]},
        content_type="application/json",
        **auth(domain),
    )
    assert response.status_code == 422
    assert any(e["field"].startswith(field) for e in response.json()["errors"]), (
        response.json()
    )
    assert not SliPoint.objects.exists()


def test_points_for_an_unknown_slo_are_a_404(client, domain):
    response = client.post(
        "/api/v1/sli",
        {"slo": "nope", "points": [{"ts": T0.isoformat(), "good": 1, "total": 1}]},
        content_type="application/json",
        **auth(domain),
    )
    assert response.status_code == 404 and "import" in response.json()["detail"]


def test_another_domains_slo_is_a_404(client, domain):
    other = DomainFactory()
    import_file(client, other, SLOTH)
    slo = Slo.objects.get(domain=other, name="requests-availability")
    assert (
        client.get(f"/api/v1/slos/{slo.pk}/status", **auth(domain)).status_code == 404
    )


def test_the_command_imports_and_refuses_like_the_api(domain, capsys):
    call_command("import_slos", str(FIXTURES / "pyrra-ratio.yaml"), domain=domain.slug)
    assert Slo.objects.filter(domain=domain, name="search-errors").exists()
    with pytest.raises(CommandError, match="refused"):
        call_command(
            "import_slos", str(FIXTURES / "invalid-mixed.yaml"), domain=domain.slug
        )
    assert "spec.objectives[0].target" in capsys.readouterr().err


def minutes(start, count, *, good, total=1000):
    return [
        {"ts": (start + timedelta(minutes=i)).isoformat(), "good": good, "total": total}
        for i in range(count)
    ]


def test_alerts_fire_and_resolve_at_the_right_minutes_and_keep_history(client, domain):
    from slos.services import slos_evaluate

    import_file(client, domain, SLOTH)
    slo = Slo.objects.get(name="requests-availability")
    points = (
        minutes(T0, 60, good=1000)
        + minutes(T0 + timedelta(minutes=60), 10, good=500)  # outage 60..69
        + minutes(T0 + timedelta(minutes=70), 30, good=1000)
    )
    client.post(
        "/api/v1/sli",
        {"slo": slo.name, "points": points},
        content_type="application/json",
        **auth(domain),
    )
    fired, resolved = {}, {}
    for minute in range(55, 100):
        at = T0 + timedelta(minutes=minute)
        slos_evaluate(at=at)
        for alert in slo.alerts.all():
            key = (alert.severity, alert.long_window)
            fired.setdefault(key, alert.fired_at)
            if alert.resolved_at:
                resolved.setdefault(key, alert.resolved_at)
    # 1h/5m page: the hour holds 500 bad of 60,000 after the outage's first
    # minute (burn 8.3), 1,000 bad after its second (burn 16.7 > 14.4).
    assert fired[("page", "1h")] == T0 + timedelta(minutes=61)
    # Resolved when the 5m window no longer holds an outage minute.
    assert resolved[("page", "1h")] == T0 + timedelta(minutes=74)
    history = client.get(f"/api/v1/slos/{slo.pk}/alerts", **auth(domain)).json()
    page = next(a for a in history["items"] if a["long_window"] == "1h")
    assert page["fired_short_burn"] > 14.4 and not page["firing"]


def test_the_low_traffic_guard_keeps_alerts_quiet(client, domain):
    from slos.services import slos_evaluate

    import_file(client, domain, SLOTH)
    slo = Slo.objects.get(name="requests-availability")
    # 30 requests in the hour, all failing: burn 1000, under min_events (100).
    client.post(
        "/api/v1/sli",
        {"slo": slo.name, "points": minutes(T0, 30, good=0, total=1)},
        content_type="application/json",
        **auth(domain),
    )
    assert slos_evaluate(at=T0 + timedelta(minutes=30)) == 0
    status = client.get(
        f"/api/v1/slos/{slo.pk}/status",
        {"at": (T0 + timedelta(minutes=30)).isoformat()},
        **auth(domain),
    ).json()
    assert status["alerts"][0]["guarded"] and not status["alerts"][0]["firing"]


def test_the_dashboard_panel_shows_budget_left_and_firing_alerts_first(client, domain):
    from django.urls import reverse
    from django.utils import timezone

    from slos.services import slos_evaluate
    from tests.factories import UserFactory, member

    import_file(client, domain, SLOTH)
    now = timezone.now().replace(second=0, microsecond=0)
    start = now - timedelta(minutes=59)
    client.post(
        "/api/v1/sli",
        {
            "slo": "requests-latency-raw",  # 99%: 50% errors burns 50×
            "points": minutes(start, 60, good=500),
        },
        content_type="application/json",
        **auth(domain),
    )
    slos_evaluate(at=now)
    viewer = UserFactory()
    member(viewer, domain, "viewer")
    client.force_login(viewer)
    html = client.get(
        reverse("dash:dashboard-panel", args=[domain.slug, "slos"]),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    latency = html.index("requests-latency-raw")
    availability = html.index("requests-availability")
    assert latency < availability  # firing first
    assert "page (1h)" in html and "-4900.0%" in html  # 1 − 30,000 bad / 600 allowed
    assert "no data" in html  # the availability SLO has no points yet


def test_evaluating_an_earlier_instant_never_rewrites_history(client, domain):
    from slos.services import slos_evaluate

    import_file(client, domain, SLOTH)
    slo = Slo.objects.get(name="requests-availability")
    client.post(
        "/api/v1/sli",
        {"slo": slo.name, "points": minutes(T0, 60, good=500)},
        content_type="application/json",
        **auth(domain),
    )
    slos_evaluate(at=T0 + timedelta(minutes=59))
    fired = set(slo.alerts.values_list("pk", "fired_at"))
    assert fired
    slos_evaluate(at=T0 + timedelta(minutes=30))  # late, out of order
    assert set(slo.alerts.values_list("pk", "fired_at")) == fired


def test_a_timeslices_slo_counts_its_sli_and_budget_in_slices(client, domain):
    from pathlib import Path as _Path

    from slos.selectors import slo_status

    shared = _Path(__file__).resolve().parents[3] / "shared" / "testdata" / "openslo"
    if not shared.is_dir():
        pytest.fail(f"the shared test data is missing: {shared}")
    text = (
        shared
        / "openslo-spec__treat-low-traffic-as-equally-important__timeslices-slo.yaml"
    ).read_text()
    assert import_file(client, domain, text).status_code == 200
    slo = Slo.objects.get(name="service-availability")  # 99.95%, slices of 1m at 95%
    # 100 minutes with data, two of them below the slice target.
    points = minutes(T0, 98, good=1000) + minutes(
        T0 + timedelta(minutes=98), 2, good=900
    )
    client.post(
        "/api/v1/sli",
        {"slo": slo.name, "points": points},
        content_type="application/json",
        **auth(domain),
    )
    status = slo_status(slo, at=T0 + timedelta(minutes=99))
    assert status.sli == pytest.approx(98 / 100)
    assert status.timeslices.slices_with_data == 100
    # (1 − 0.9995) × 100 slices may be bad; 2 were.
    assert status.budget.remaining == pytest.approx(1 - 2 / (0.0005 * 100))


def test_an_oversized_definition_file_is_a_413_before_it_is_read(client, domain):
    response = client.post(
        "/api/v1/slos/import",
        "#" * 1_000_001,
        content_type="application/yaml",
        **auth(domain, ("slo_definitions",)),
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
