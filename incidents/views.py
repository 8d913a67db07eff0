"""Incident pages of a domain. Thin: restrict, validate, one service call,
render. Reading needs browse_domain; every write (notes, milestones, the
postmortem, action items, learnings) needs manage_incidents."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from dashboard.domains import policy
from dashboard.domains.access import domain_view, may
from dashboard.domains.models import Domain
from dashboard.platform.pagination import page_of
from incidents import selectors
from incidents.forms import (
    ActionItemForm,
    ActionItemStateForm,
    LearningForm,
    MilestoneForm,
    NoteForm,
    PostmortemForm,
)
from incidents.models import POSTMORTEM_SECTIONS, ActionItem, Incident, MonitorDelivery
from incidents.services import monitors, postmortems
from incidents.services.incidents import incident_note_add, milestone_add

FORMS = {
    "note": NoteForm,
    "milestone": MilestoneForm,
    "postmortem": PostmortemForm,
    "action_item": ActionItemForm,
    "action_item_state": ActionItemStateForm,
    "learning": LearningForm,
}


@domain_view(policy.Action.BROWSE)
@require_GET
def incident_list(request: HttpRequest, domain: Domain) -> HttpResponse:
    context = {"domain": domain, "incidents": selectors.incidents_of(domain)[:200]}
    return render(request, "incidents/incident_list.html", context)


def _apply(request: HttpRequest, incident: Incident, name: str, data: dict) -> bool:
    """One service call for the submitted form; False when it names nothing of
    this incident."""
    actor = request.user.get_username()
    if name == "note":
        incident_note_add(incident=incident, text=data["text"], actor=actor)
    elif name == "milestone":
        milestone_add(incident=incident, name=data["name"], at=data["at"], actor=actor)
    elif name == "postmortem":
        postmortems.postmortem_save(incident=incident, sections=data, author=actor)
    elif name == "action_item":
        postmortems.action_item_add(incident=incident, author=actor, **data)
    elif name == "action_item_state":
        item = ActionItem.objects.filter(
            pk=data["item"], postmortem__incident=incident
        ).first()
        if item is None:
            return False
        postmortems.action_item_set_state(item=item, state=data["state"], author=actor)
    elif name == "learning":
        postmortems.learning_propose(incident=incident, author=request.user, **data)
    return True


@domain_view(policy.Action.BROWSE, write_action=policy.Action.MANAGE_INCIDENTS)
def incident_detail(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    incident = get_object_or_404(selectors.incidents_of(domain), pk=pk)
    status, failed = 200, None
    if request.method == "POST":
        name = request.POST.get("form", "note")
        form = FORMS.get(name, NoteForm)(request.POST)
        if form.is_valid() and _apply(request, incident, name, form.cleaned_data):
            return redirect(incident.get_absolute_url())
        status, failed = 422, form
    postmortem = selectors.postmortem_of(incident)
    context = {
        "domain": domain,
        "incident": incident,
        "timeline": incident.timeline.all(),
        "milestones": incident.milestones.all(),
        "deployments": selectors.deployments_before(incident)[:50],
        "pin_changes": selectors.pin_changes_before(incident)[:50],
        "runs": selectors.runs_in_window(incident),
        "slo_alerts": selectors.slo_alerts_in_window(incident),
        "postmortem": postmortem,
        "sections": [
            (label, getattr(postmortem, name) if postmortem else "")
            for name, label in POSTMORTEM_SECTIONS
        ],
        # Several forms on one page: each its own ids, so labels stay unique.
        "postmortem_form": PostmortemForm(
            initial={n: getattr(postmortem, n) for n, _ in POSTMORTEM_SECTIONS}
            if postmortem
            else None,
            auto_id="postmortem_%s",
        ),
        "action_items": postmortem.action_items.all() if postmortem else [],
        "action_item_form": ActionItemForm(auto_id="item_%s"),
        "states": ActionItemStateForm.base_fields["state"].choices,
        "learning_form": LearningForm(auto_id="learning_%s"),
        "proposals": incident.proposals.select_related("pin_proposal"),
        "failed": failed,
        "can_manage": may(request, policy.Action.MANAGE_INCIDENTS),
    }
    return render(request, "incidents/incident_detail.html", context, status=status)


# --- Monitor deliveries: the ledger of PagerDuty, Alertmanager, Opsgenie and
# Statuspage webhooks, with replay (the GitHub ledger's twin) ---------------------
@domain_view(policy.Action.BROWSE)
@require_GET
def monitor_delivery_list(request: HttpRequest, domain: Domain) -> HttpResponse:
    return _ledger(
        request,
        selectors.deliveries_of(domain),
        domain=domain,
        can_replay=may(request, policy.Action.TRIGGER_SCANS),
    )


@staff_member_required
@require_GET
def unmapped_monitor_delivery_list(request: HttpRequest) -> HttpResponse:
    return _ledger(
        request, selectors.deliveries_unmapped(), domain=None, can_replay=True
    )


def _ledger(request, queryset, *, domain, can_replay: bool) -> HttpResponse:
    template = "incidents/deliveries.html"
    if request.htmx:
        template += "#monitor-delivery-rows"
    context = {
        "domain": domain,
        "page": page_of(request, queryset, ordering=("-received_at", "-id")),
        "can_replay": can_replay,
    }
    return render(request, template, context)


@domain_view(policy.Action.TRIGGER_SCANS)
@require_POST
def monitor_delivery_replay(
    request: HttpRequest, domain: Domain, pk: int
) -> HttpResponse:
    delivery = get_object_or_404(selectors.deliveries_of(domain), pk=pk)
    return _replay(request, delivery, ("incidents:monitor-deliveries", domain.slug))


@staff_member_required
@require_POST
def unmapped_monitor_delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(selectors.deliveries_unmapped(), pk=pk)
    return _replay(request, delivery, ("incidents:unmapped-monitor-deliveries",))


def _replay(request, delivery: MonitorDelivery, redirect_to: tuple) -> HttpResponse:
    try:
        monitors.monitor_delivery_replay(delivery=delivery)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{delivery.get_source_display()} delivery {delivery.delivery_id} "
            "queued for processing again.",
        )
    name, *args = redirect_to
    return redirect(name, *args)
