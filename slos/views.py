"""SLO pages of a domain: the list, and one SLO's status, charts and alerts.
Thin: restrict, read through selectors, render."""

from datetime import datetime

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from dashboard.domains import policy
from dashboard.domains.access import domain_view, may
from dashboard.domains.models import Domain
from slos import charts, own, selectors, services
from slos.forms import SloForm


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
    context = {
        "domain": domain,
        "data": selectors.slo_overview(domain.pk, at=at),
        "can_manage": may(request, policy.Action.MANAGE_SLOS),
    }
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
        "can_manage": may(request, policy.Action.MANAGE_SLOS),
    }
    return render(request, "slos/slo_detail.html", context)


@domain_view(policy.Action.MANAGE_SLOS)
def slo_create(request: HttpRequest, domain: Domain) -> HttpResponse:
    """A domain admin defines an SLO by hand (files come in by import_slos)."""
    form = SloForm(request.POST or None, domain=domain)
    if request.method == "POST" and form.is_valid():
        saved = services.slo_save(
            domain=domain,
            name=form.cleaned_data["name"],
            definition=form.definition(),
            actor=request.user,
        )
        return redirect("slos:slo-detail", slug=domain.slug, pk=saved.obj.pk)
    status = 422 if request.method == "POST" else 200
    context = {"domain": domain, "form": form, "slo": None}
    return render(request, "slos/slo_form.html", context, status=status)


@domain_view(policy.Action.MANAGE_SLOS)
def slo_edit(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    slo = get_object_or_404(selectors.slos_of(domain), pk=pk)
    if request.method == "POST":
        form = SloForm(request.POST, domain=domain, slo=slo)
        if form.is_valid():
            services.slo_save(
                domain=domain,
                name=slo.name,
                definition=form.definition(),
                actor=request.user,
                slo=slo,
            )
            return redirect("slos:slo-detail", slug=domain.slug, pk=slo.pk)
        status = 422
    else:
        form, status = SloForm.for_slo(slo), 200
    context = {"domain": domain, "form": form, "slo": slo}
    return render(request, "slos/slo_form.html", context, status=status)


@staff_member_required
def control_plane(request: HttpRequest) -> HttpResponse:
    """The control plane's own SLOs (staff): latency, availability, denials."""
    at = _at(request)
    domain = Domain.objects.filter(slug=own.DOMAIN_SLUG).first()
    context = {
        "domain": domain,
        "data": selectors.slo_overview(domain.pk, at=at) if domain else None,
        "own_slos": own.OWN_SLOS,
    }
    return render(request, "slos/control_plane.html", context)
