"""SLO pages: the list and one SLO, as a member of the domain sees them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from slos.models import SliPoint, Slo, SloAlert
from slos.services import slos_evaluate
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
    SliPoint.objects.bulk_create(
        SliPoint(
            slo=slo,
            ts=T0 - timedelta(minutes=m),
            good=int(1000 * (1 - bad_share)),
            total=1000,
        )
        for m in range(minutes)
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
        SliPoint.objects.bulk_create(
            SliPoint(
                slo=slo,
                ts=T0 - timedelta(hours=2, minutes=added[0] + i),
                good=9,
                total=10,
            )
            for i in range(n * 10)
        )
        added[0] += n * 10

    viewer_client.get(url)
    assert_constant_queries(
        more, lambda: viewer_client.get(url, {"at": T0.isoformat()})
    )
