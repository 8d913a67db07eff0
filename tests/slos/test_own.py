"""The control plane's own SLOs: requests counted per minute in Redis by the
middleware, flushed into SLI points of three built-in SLOs, shown to staff."""

from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from slos import own
from slos.middleware import OwnSliMiddleware
from slos.models import SliPoint, Slo
from slos.selectors import slo_status
from tests.factories import DomainFactory, UserFactory, member

pytestmark = pytest.mark.django_db

LATER = timedelta(minutes=5)


@pytest.fixture(autouse=True)
def _nothing_counted_yet():
    """Other tests in this process made requests too: start from an empty count."""
    for _ in own.COUNTS.drain(before=timezone.now() + LATER):
        pass


def _sums(name):
    slo = Slo.objects.get(domain__slug=own.DOMAIN_SLUG, name=name)
    points = SliPoint.objects.filter(slo=slo)
    return sum(p.good for p in points), sum(p.total for p in points)


def _through_middleware(status, *, delay=0.0):
    def view(request):
        if delay:
            import time

            time.sleep(delay)
        return HttpResponse(status=status)

    OwnSliMiddleware(view)(RequestFactory().get("/d/x/"))


def test_requests_become_points_of_the_three_slos():
    _through_middleware(200)
    _through_middleware(200)
    _through_middleware(502)  # a server error
    _through_middleware(200, delay=0.6)  # too slow
    assert own.own_slis_flush(before=timezone.now() + LATER) >= 1
    assert _sums("control-plane-availability") == (3, 4)
    assert _sums("control-plane-latency") == (3, 4)
    # Nobody signed in: nothing for the denials SLO.
    assert _sums("control-plane-permission-denials") == (0, 0)
    # The SLOs are ordinary SLOs: their status reads the points.
    slo = Slo.objects.get(name="control-plane-availability")
    status = slo_status(slo, at=timezone.now() + LATER)
    assert status.window.total == 4 and status.sli == pytest.approx(0.75)


def test_denied_requests_of_signed_in_people_count_against_the_denials_slo(client):
    domain = DomainFactory()
    viewer = UserFactory()
    member(viewer, domain, "viewer")
    client.force_login(viewer)
    assert client.get(reverse("slos:slo-list", args=[domain.slug])).status_code == 200
    denied = client.get(reverse("slos:slo-create", args=[domain.slug]))
    assert denied.status_code in (403, 404)
    own.own_slis_flush(before=timezone.now() + LATER)
    assert _sums("control-plane-permission-denials") == (1, 2)


def test_a_minute_flushed_twice_adds_up():
    minute = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=3)
    for _ in range(2):
        own.request_count(
            at=minute, seconds=0.01, status=200, authenticated=False, denied=False
        )
        own.own_slis_flush(before=timezone.now())
    slo = Slo.objects.get(name="control-plane-availability")
    point = SliPoint.objects.get(slo=slo, ts=minute + timedelta(minutes=1))
    assert (point.good, point.total) == (2, 2)


def test_flushing_is_idempotent_and_creates_the_domain_once():
    own.own_slis_flush(before=timezone.now() + LATER)
    own.own_slis_flush(before=timezone.now() + LATER)
    own.own_slos_ensure()
    assert Slo.objects.filter(domain__slug=own.DOMAIN_SLUG).count() == 3


def test_staff_see_the_control_plane_page_others_do_not(client):
    _through_middleware(200)
    own.own_slis_flush(before=timezone.now() + LATER)
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    page = client.get(reverse("slos:control-plane")).content.decode()
    assert "control-plane-latency" in page and "control-plane-availability" in page
    client.force_login(UserFactory())
    assert client.get(reverse("slos:control-plane")).status_code in (302, 403, 404)


def test_the_page_says_when_nothing_was_recorded_yet(client):
    client.force_login(UserFactory(is_staff=True))
    page = client.get(reverse("slos:control-plane")).content.decode()
    assert "No minute has been recorded yet" in page
