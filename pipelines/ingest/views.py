"""CI pages per domain: runs, a run, the deliveries ledger and its replays, what
CI measured (the performance samples and query plans behind the dashboard's
chart points), the domain's settings. Thin: restrict to the domain, read
through selectors, render (htmx partials)."""

from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dashboard.domains import policy
from dashboard.domains import services as domain_services
from dashboard.domains.access import domain_view, may
from dashboard.domains.models import Domain
from dashboard.platform.links import RowLink
from dashboard.platform.pagination import page_of
from dashboard.platform.problems import problem
from pipelines.gates import selectors as selectors_gates
from pipelines.ingest import selectors
from pipelines.ingest.forms import RepositoryMapForm
from pipelines.ingest.models import RunStatus, WebhookDelivery
from pipelines.ingest.rows import run_rows_html
from pipelines.ingest.services import webhooks

STATUS_FILTERS = [
    *RunStatus.values,
    "success",
    "failure",
    "cancelled",
    "timed_out",
    "skipped",
]


# Opened many times a minute (and every "Older" page): the user's access to
# the domain may come from the cache, as the dashboard's panels do.
@domain_view(policy.Action.BROWSE, cache_access=True)
def run_list(request: HttpRequest, domain: Domain) -> HttpResponse:
    filters = {
        "branch": request.GET.get("branch", "").strip()[:255],
        "status": request.GET.get("status", "").strip(),
        "workflow": request.GET.get("workflow", "").strip()[:255],
        "repository": request.GET.get("repository", "").strip()[:255],
    }
    if filters["status"] not in ("", *STATUS_FILTERS):
        filters["status"] = ""
    template = "pipelines/runs.html"
    if request.htmx:
        template += "#run-rows"
    # A CI chart point opens its bucket: the runs started in [from, to).
    bounds_error = ""
    try:
        since, until = _bounds(request)
    except BadBounds as exc:
        if request.htmx or "text/html" not in request.headers.get("Accept", ""):
            return problem(400, str(exc))
        since = until = None
        bounds_error = str(exc)
    page = page_of(
        request,
        selectors.runs_of(domain, **filters, since=since, until=until),
        ordering=("-started_at", "-id"),
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    without_bounds = request.GET.copy()
    for name in ("cursor", "from", "to", "drill"):
        without_bounds.pop(name, None)
    context = {
        "domain": domain,
        "page": page,
        "filters": filters,
        "since": since,
        "until": until,
        "bounds_error": bounds_error,
        "without_bounds": without_bounds.urlencode(),
        "filter_query": query.urlencode(),
        "statuses": STATUS_FILTERS,
        "workflows": selectors.workflows_of(domain),
        "rows": run_rows_html(
            page.items,
            # Every row links to its run and its commit: reversed once, not per row.
            run_link=RowLink("pipelines:run-detail", "pk", slug=domain.slug),
            commit_link=RowLink("gates:commit", "sha", slug=domain.slug),
        ),
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


# --- What CI measured: the pages behind the performance and query-plan charts ------
class BadBounds(ValueError):
    pass


def _moment(raw: str, field: str) -> datetime | None:
    """`from`/`to` as ISO 8601 (a chart point's bucket bounds, or a day); naive
    means UTC."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        if len(raw) > 40:
            raise ValueError
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadBounds(
            f"{field} must be a time in ISO 8601, e.g. 2026-11-29T09:00:00Z or "
            f"2026-11-29; got {raw[:40]!r}."
        ) from None


def _bounds(request: HttpRequest) -> tuple[datetime | None, datetime | None]:
    since = _moment(request.GET.get("from", ""), "from")
    until = _moment(request.GET.get("to", ""), "to")
    if since and until and since >= until:
        raise BadBounds("from must be before to.")
    return since, until


# kind -> (the name's query parameter, the selector's keyword, page title)
EVIDENCE_KINDS = {
    "perf": ("scenario", "scenario", "Performance samples"),
    "plans": ("query", "query_name", "Query plans"),
}


def _evidence(request: HttpRequest, domain: Domain, kind: str) -> HttpResponse:
    """The samples (or plans) behind one chart point: one name, one bucket. From
    a chart point (`drill=1`), a bucket that measured a single commit opens that
    commit's page at once; several commits are listed, newest first."""
    param, keyword, title = EVIDENCE_KINDS[kind]
    name = request.GET.get(param, "").strip()[:200]
    context = {"domain": domain, "kind": kind, "title": title, "param": param}
    try:
        since, until = _bounds(request)
    except BadBounds as exc:
        if request.htmx or "text/html" not in request.headers.get("Accept", ""):
            return problem(400, str(exc))
        since = until = None
        context["bounds_error"] = str(exc)
    select = selectors.perf_samples_of if kind == "perf" else selectors.query_plans_of
    evidence = select(domain, since=since, until=until, **{keyword: name})
    if request.GET.get("drill") == "1" and "bounds_error" not in context:
        commit = selectors.the_one_commit(evidence)
        if commit is not None:
            full_name, sha = commit
            url = reverse("gates:commit", args=[domain.slug, sha])
            return redirect(f"{url}?{urlencode({'repository': full_name})}")
    template = "pipelines/evidence.html"
    if request.htmx:
        template += "#evidence-rows"
    query = request.GET.copy()
    query.pop("cursor", None)
    query.pop("drill", None)
    context.update(
        {
            "name": name,
            "since": since,
            "until": until,
            "page": page_of(request, evidence, ordering=("-created_at", "-id")),
            "filter_query": query.urlencode(),
        }
    )
    return render(
        request,
        template,
        context,
        status=400 if "bounds_error" in context else 200,
    )


@domain_view(policy.Action.BROWSE)
@require_GET
def perf_samples(request: HttpRequest, domain: Domain) -> HttpResponse:
    return _evidence(request, domain, "perf")


@domain_view(policy.Action.BROWSE)
@require_GET
def query_plans(request: HttpRequest, domain: Domain) -> HttpResponse:
    return _evidence(request, domain, "plans")


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
