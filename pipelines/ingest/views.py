"""CI pages per domain: runs, a run, the deliveries ledger and its replays.
Thin: restrict to the domain, read through selectors, render (htmx partials)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dashboard.domains import policy
from dashboard.domains import services as domain_services
from dashboard.domains.access import domain_view, may
from dashboard.domains.models import Domain
from dashboard.platform.pagination import page_of
from pipelines.gates import selectors as selectors_gates
from pipelines.ingest import selectors
from pipelines.ingest.forms import RepositoryMapForm
from pipelines.ingest.models import RunStatus, WebhookDelivery
from pipelines.ingest.services import webhooks

STATUS_FILTERS = [
    *RunStatus.values,
    "success",
    "failure",
    "cancelled",
    "timed_out",
    "skipped",
]


@domain_view(policy.Action.BROWSE)
def run_list(request: HttpRequest, domain: Domain) -> HttpResponse:
    filters = {
        "branch": request.GET.get("branch", "").strip()[:255],
        "status": request.GET.get("status", "").strip(),
        "workflow": request.GET.get("workflow", "").strip()[:255],
    }
    if filters["status"] not in ("", *STATUS_FILTERS):
        filters["status"] = ""
    template = "pipelines/runs.html"
    if request.htmx:
        template += "#run-rows"
    page = page_of(
        request, selectors.runs_of(domain, **filters), ordering=("-started_at", "-id")
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "domain": domain,
        "page": page,
        "filters": filters,
        "filter_query": query.urlencode(),
        "statuses": STATUS_FILTERS,
        "workflows": selectors.workflows_of(domain),
    }
    return render(request, template, context)


@domain_view(policy.Action.BROWSE)
def run_detail(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    run = selectors.run_of(domain, pk)
    if run is None:
        raise Http404("No such run.")
    context = {
        "domain": domain,
        "run": run,
        "jobs": selectors.jobs_of(run),
        "reports": selectors.reports_of(run),
        "summary": selectors.run_test_summary(run),
        "failures": selectors.failures_of(run),
        "failures_cap": selectors.FAILURES_SHOWN,
        "verdicts": _verdicts(domain, run),
    }
    return render(request, "pipelines/run_detail.html", context)


def _verdicts(domain, run) -> list:
    """The gate verdicts of the run's commit (an import of the gates that the
    import rules declare: the run page shows what was judged of its commit)."""
    if not run.head_sha:
        return []
    return list(
        selectors_gates.verdicts_for_commit(
            domain, run.head_sha, repository=run.repository
        )
    )


@domain_view(policy.Action.BROWSE)
def delivery_list(request: HttpRequest, domain: Domain) -> HttpResponse:
    return _ledger(
        request,
        selectors.deliveries_of(domain),
        domain=domain,
        can_replay=may(request, policy.Action.TRIGGER_SCANS),
    )


@staff_member_required
def unmapped_delivery_list(request: HttpRequest) -> HttpResponse:
    return _ledger(
        request,
        selectors.deliveries_unmapped(),
        domain=None,
        can_replay=True,
        refusals=selectors.signature_refusals(),
    )


def _ledger(
    request, queryset, *, domain, can_replay: bool, refusals=None
) -> HttpResponse:
    template = "pipelines/deliveries.html"
    if request.htmx:
        template += "#delivery-rows"
    context = {
        "domain": domain,
        "page": page_of(request, queryset, ordering=("-received_at", "-id")),
        "can_replay": can_replay,
        "refusals": refusals,
    }
    return render(request, template, context)


@domain_view(policy.Action.TRIGGER_SCANS)
@require_POST
def delivery_replay(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    delivery = get_object_or_404(selectors.deliveries_of(domain), pk=pk)
    return _replay(request, delivery, redirect_to=("pipelines:deliveries", domain.slug))


@staff_member_required
@require_POST
def unmapped_delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery.objects.defer("body"), pk=pk)
    return _replay(request, delivery, redirect_to=("pipelines:unmapped-deliveries",))


def _replay(request, delivery: WebhookDelivery, *, redirect_to: tuple) -> HttpResponse:
    try:
        webhooks.delivery_replay(delivery=delivery)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Delivery {delivery.delivery_id} queued for processing again."
        )
    name, *args = redirect_to
    return redirect(name, *args)


# --- Domain settings: repositories and the GitHub webhook -------------------------
GITHUB_EVENT_LABELS = {
    "workflow_run": "Workflow runs",
    "workflow_job": "Workflow jobs",
    "check_suite": "Check suites",
    "check_run": "Check runs",
    "pull_request": "Pull requests",
    "push": "Pushes",
    "deployment": "Deployments",
    "deployment_status": "Deployment statuses",
    "status": "Statuses",
}


@domain_view(policy.Action.MANAGE_SETTINGS)
def domain_settings(request: HttpRequest, domain: Domain) -> HttpResponse:
    """Map repositories to the domain (GitHub deliveries of an unmapped one were
    ignored: they are replayed at once) and how to set up GitHub's webhook.
    Domain admins only (GET and POST): which repositories feed a domain is theirs."""
    form = RepositoryMapForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                mapped = domain_services.repository_map(
                    full_name=form.cleaned_data["full_name"],
                    domain=domain,
                    default_branch=form.cleaned_data["default_branch"] or "main",
                    actor=request.user,
                )
            except domain_services.RepositoryConflict:
                form.add_error(
                    "full_name",
                    "This repository belongs to another domain; a staff member "
                    "can move it (python manage.py map_repository --move).",
                )
                status = 422
            else:
                replayed = webhooks.deliveries_replay_for_repository(
                    repository=mapped.obj
                )
                messages.success(
                    request,
                    f"{mapped.obj.full_name} is mapped to {domain.name}"
                    + (
                        f"; {replayed} ignored deliveries replayed."
                        if replayed
                        else "."
                    ),
                )
                return redirect("pipelines:domain-settings", slug=domain.slug)
        else:
            status = 422
    context = {
        "domain": domain,
        "form": form,
        "repositories": domain.repositories.order_by("full_name"),
        "webhook_url": request.build_absolute_uri("/api/v1/webhooks/github"),
        "secret_configured": bool(webhooks.webhook_secrets()),
        "events": [GITHUB_EVENT_LABELS.get(e, e) for e in webhooks.PROCESSED_EVENTS],
        "debug": settings.DEBUG,
    }
    return render(request, "pipelines/domain_settings.html", context, status=status)
