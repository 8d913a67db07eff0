"""SLO pages: the list and one SLO, as a member of the domain sees them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from slos.models import Slo, SloAlert
from slos.services import SliCounts, sli_points_record, slos_evaluate
from tests.factories import DomainFactory, UserFactory, member
from tests.support.queries import assert_constant_queries

pytestmark = pytest.mark.django_db
T0 = datetime(2024, 2, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def domain():
    return DomainFactory()


@pytest.fixture
def viewer_client(client, domain):
    user = UserFactory()
    member(user, domain, "viewer")
    client.force_login(user)
    return client


def make_slo(domain, name, *, bad_share=0.0, minutes=120):
    slo = Slo.objects.create(
        domain=domain,
        name=name,
        objective=0.99,
        window_seconds=86400,
        indicator={"kind": "ratio", "good": "sum(ok)", "total": "sum(all)"},
        source_format="openslo/v1",
    )
    sli_points_record(
        slo=slo,
        points=[
            SliCounts(
                ts=T0 - timedelta(minutes=m),
                good=int(1000 * (1 - bad_share)),
                total=1000,
            )
            for m in range(minutes)
        ],
    )
    return slo


def test_the_list_links_each_slo_and_puts_firing_first(viewer_client, domain):
    make_slo(domain, "a-healthy")
    burning = make_slo(domain, "z-burning", bad_share=0.5)
    slos_evaluate(at=T0)
    html = viewer_client.get(
        reverse("slos:slo-list", args=[domain.slug]), {"at": T0.isoformat()}
    ).content.decode()
    assert html.index("z-burning") < html.index("a-healthy")
    assert reverse("slos:slo-detail", args=[domain.slug, burning.pk]) in html
    assert "As of" in html and "2024-02-29" in html


def test_one_slo_shows_status_charts_history_and_definition(viewer_client, domain):
    slo = make_slo(domain, "checkout", bad_share=0.5)
    slos_evaluate(at=T0)
    html = viewer_client.get(
        reverse("slos:slo-detail", args=[domain.slug, slo.pk]), {"at": T0.isoformat()}
    ).content.decode()
    assert "0.500000" in html  # the SLI over the window
    assert "SLI per hour" in html and "Error budget left in the window" in html
    assert SloAlert.objects.filter(slo=slo).exists()
    assert "firing" in html and "sum(ok)" in html  # history and the definition


def test_a_bad_instant_is_a_400(viewer_client, domain):
    slo = make_slo(domain, "checkout")
    url = reverse("slos:slo-detail", args=[domain.slug, slo.pk])
    response = viewer_client.get(url, {"at": "yesterday"})
    assert response.status_code == 400
    assert "ISO 8601" in response.content.decode()


def test_another_domains_slo_is_a_404(viewer_client, domain):
    other = make_slo(DomainFactory(), "theirs")
    url = reverse("slos:slo-detail", args=[domain.slug, other.pk])
    assert viewer_client.get(url).status_code == 404


def test_the_list_costs_the_same_with_twice_the_slos(viewer_client, domain):
    made = []

    def more(n):
        for _ in range(n):
            made.append(make_slo(domain, f"slo-{len(made)}", minutes=10))

    url = reverse("slos:slo-list", args=[domain.slug])
    viewer_client.get(url)
    assert_constant_queries(
        more, lambda: viewer_client.get(url, {"at": T0.isoformat()})
    )


def test_one_slo_page_costs_the_same_with_twice_the_points(viewer_client, domain):
    slo = make_slo(domain, "checkout", minutes=1)
    url = reverse("slos:slo-detail", args=[domain.slug, slo.pk])
    added = [0]

    def more(n):
        sli_points_record(
            slo=slo,
            points=[
                SliCounts(
                    ts=T0 - timedelta(hours=2, minutes=added[0] + i),
                    good=9,
                    total=10,
                )
                for i in range(n * 10)
            ],
        )
        added[0] += n * 10

    viewer_client.get(url)
    assert_constant_queries(
        more, lambda: viewer_client.get(url, {"at": T0.isoformat()})
    )


@pytest.fixture
def admin_client(client, domain):
    user = UserFactory()
    member(user, domain, "admin")
    client.force_login(user)
    return client


def test_a_domain_admin_creates_and_edits_an_slo_and_it_is_audited(
    admin_client, domain
):
    from dashboard.models import AuditEntry

    response = admin_client.post(
        reverse("slos:slo-create", args=[domain.slug]),
        {
            "name": "search-latency",
            "objective_percent": "99.5",
            "window_days": "28",
            "min_events": "50",
        },
    )
    slo = Slo.objects.get(domain=domain, name="search-latency")
    assert response.status_code == 302 and response["Location"].endswith(f"/{slo.pk}/")
    assert (slo.objective, slo.window_seconds, slo.min_events) == (
        pytest.approx(0.995),
        28 * 86400,
        50,
    )
    edit = reverse("slos:slo-edit", args=[domain.slug, slo.pk])
    admin_client.post(
        edit,
        {
            "name": "ignored",
            "objective_percent": "99.9",
            "window_days": "28",
            "min_events": "50",
        },
    )
    slo.refresh_from_db()
    assert slo.name == "search-latency" and slo.objective == pytest.approx(0.999)
    change = AuditEntry.objects.get(domain=domain, action="slo.update")
    assert change.before == {"objective": pytest.approx(0.995)}
    assert change.after == {"objective": pytest.approx(0.999)}


@pytest.mark.parametrize("objective", ["100", "0", "nan", "abc"])
def test_an_impossible_objective_is_refused_on_the_form(
    admin_client, domain, objective
):
    response = admin_client.post(
        reverse("slos:slo-create", args=[domain.slug]),
        {
            "name": "x",
            "objective_percent": objective,
            "window_days": "30",
            "min_events": "1",
        },
    )
    assert response.status_code == 422
    assert not Slo.objects.exists()


def test_viewers_may_read_but_not_change_slos(viewer_client, domain):
    slo = make_slo(domain, "checkout")
    detail = viewer_client.get(reverse("slos:slo-detail", args=[domain.slug, slo.pk]))
    assert "Edit this SLO" not in detail.content.decode()
    response = viewer_client.post(
        reverse("slos:slo-edit", args=[domain.slug, slo.pk]),
        {"objective_percent": "50", "window_days": "1", "min_events": "0"},
    )
    assert response.status_code == 403
    slo.refresh_from_db()
    assert slo.objective == 0.99
