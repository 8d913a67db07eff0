"""Incident pages of a domain. Thin: restrict, validate, one service call,
render. Reading needs browse_domain; notes and milestones need manage_incidents."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from dashboard.domains import policy
from dashboard.domains.access import domain_view, may
from dashboard.domains.models import Domain
from incidents import selectors
from incidents.forms import MilestoneForm, NoteForm
from incidents.services.incidents import incident_note_add, milestone_add


@domain_view(policy.Action.BROWSE)
@require_GET
def incident_list(request: HttpRequest, domain: Domain) -> HttpResponse:
    context = {"domain": domain, "incidents": selectors.incidents_of(domain)[:200]}
    return render(request, "incidents/incident_list.html", context)


@domain_view(policy.Action.BROWSE, write_action=policy.Action.MANAGE_INCIDENTS)
def incident_detail(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    incident = get_object_or_404(selectors.incidents_of(domain), pk=pk)
    status = 200
    if request.method == "POST":
        actor = request.user.get_username()
        form = (MilestoneForm if request.POST.get("form") == "milestone" else NoteForm)(
            request.POST
        )
        if form.is_valid():
            if isinstance(form, MilestoneForm):
                milestone_add(
                    incident=incident,
                    name=form.cleaned_data["name"],
                    at=form.cleaned_data["at"],
                    actor=actor,
                )
            else:
                incident_note_add(
                    incident=incident, text=form.cleaned_data["text"], actor=actor
                )
            return redirect(incident.get_absolute_url())
        status = 422
    context = {
        "domain": domain,
        "incident": incident,
        "timeline": incident.timeline.all(),
        "milestones": incident.milestones.all(),
        "deployments": selectors.deployments_before(incident)[:50],
        "runs": selectors.runs_in_window(incident),
        "slo_alerts": selectors.slo_alerts_in_window(incident),
        "can_manage": may(request, policy.Action.MANAGE_INCIDENTS),
    }
    return render(request, "incidents/incident_detail.html", context, status=status)
