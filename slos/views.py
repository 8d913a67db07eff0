"""SLO pages of a domain: the list, and one SLO's status, charts and alerts.
Thin: restrict, read through selectors, render."""

from datetime import datetime

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from dashboard.domains import policy
from dashboard.domains.access import domain_view
from dashboard.domains.models import Domain
from slos import charts, selectors


def _at(request: HttpRequest) -> datetime:
    raw = request.GET.get("at", "").strip()
    if not raw:
        return timezone.now()
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise BadRequest(
            "?at= takes an ISO 8601 time with its offset, e.g. 2026-03-01T12:00:00Z."
        )
    return at


@domain_view(policy.Action.BROWSE)
def slo_list(request: HttpRequest, domain: Domain) -> HttpResponse:
    at = _at(request)
    context = {"domain": domain, "data": selectors.slo_overview(domain.pk, at=at)}
    return render(request, "slos/slo_list.html", context)


@domain_view(policy.Action.BROWSE)
def slo_detail(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    slo = get_object_or_404(selectors.slos_of(domain), pk=pk)
    at = _at(request)
    history = selectors.slo_history(slo, at=at)
    context = {
        "domain": domain,
        "slo": slo,
        "at": at,
        "status": selectors.slo_status(slo, at=at),
        "charts": [charts.sli_chart(slo, history), charts.budget_chart(slo, history)],
        "alerts": selectors.alerts_of(slo)[:50],
    }
    return render(request, "slos/slo_detail.html", context)
