"""The domain dashboard: a shell that renders at once, panels loaded by htmx.

One URL per panel; the full page and the fragment come from the same view and
template (django-template-partials). Panel data is cached per (panel, domain,
range) in Redis and built from the rollups when it is not (or Redis is down).
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from dashboard.board import charts
from dashboard.board.overview import COLUMNS, overview_rows
from dashboard.board.panels import PANELS, panel_build, panel_data
from dashboard.board.panels.common import RANGES, BadRange, time_range
from dashboard.domains import policy, selectors
from dashboard.domains.access import domain_view
from dashboard.domains.models import Domain
from dashboard.platform.caching import cached_with_source
from dashboard.platform.problems import problem

TEMPLATE = "dashboard/dashboard.html"


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """`/`: every domain the user may see, a cell per overview column, those
    needing attention first."""
    domains = list(selectors.domains_for(request.user))
    rows = overview_rows(domains, selectors.roles_of(request.user))
    context = {"rows": rows, "columns": list(COLUMNS.values()), "now": timezone.now()}
    return render(request, "dashboard/overview.html", context)


@domain_view(policy.Action.BROWSE)
@require_GET
@vary_on_headers("HX-Request")
def dashboard_page(request: HttpRequest, domain: Domain) -> HttpResponse:
    error = ""
    try:
        chosen = _chosen_range(request)
    except BadRange as exc:
        if request.htmx or not _wants_html(request):
            return problem(400, str(exc))
        # A person in a browser gets the page, with the default range and why.
        chosen, error = time_range(None), str(exc)
    context = {
        "domain": domain,
        "range": chosen,
        "ranges": RANGES.values(),
        "panels": PANELS.values(),
        "refresh": _auto_refresh(request),
        "range_error": error,
    }
    if error:
        return render(request, TEMPLATE, context, status=400)
    # The range selector swaps only the panels (and pushes the URL).
    template = f"{TEMPLATE}#panels" if request.htmx else TEMPLATE
    return render(request, template, context)


@domain_view(policy.Action.BROWSE, cache_access=True)
@require_GET
@vary_on_headers("HX-Request")
def dashboard_panel(request: HttpRequest, domain: Domain, panel: str) -> HttpResponse:
    chosen_panel = PANELS.get(panel)
    if chosen_panel is None:
        raise Http404("No such panel.")
    try:
        chosen = _chosen_range(request)
    except BadRange as exc:
        return problem(400, str(exc))
    cursor = request.GET.get("cursor")
    context = {
        "domain": domain,
        "range": chosen,
        "ranges": RANGES.values(),
        "panel": chosen_panel,
        "single_panel": True,
        "is_staff": request.user.is_staff,
        "refresh": _auto_refresh(request),
    }
    if cursor and chosen_panel.more is not None:
        # Older rows: not cached, read straight through the keyset index.
        context.update(chosen_panel.more(domain.pk, chosen, cursor))
        if request.htmx:
            return render(request, f"{TEMPLATE}#failing-runs", context)
    if request.htmx:
        # The fragment is the same for everyone who may see the domain (bar the
        # staff-only link), so the rendered HTML is cached too: a warm panel
        # costs a cache read, not a template render of its tables.
        # A warm panel reads the fragment alone; a cold one reads the data it
        # is drawn from too, and stores both in one round trip.
        html = cached_with_source(
            chosen_panel.cache_name,
            (domain.pk, chosen.key),
            ("html", int(request.user.is_staff), int(context["refresh"])),
            build_source=lambda: panel_build(chosen_panel, domain.pk, chosen),
            build=lambda data: render_to_string(
                f"{TEMPLATE}#panel", _panel_context(context, data), request=request
            ),
        )
        return HttpResponse(html)
    return render(request, TEMPLATE, _panel_context(context))


def _chosen_range(request: HttpRequest):
    """A preset (?range=) or a custom range of days (?from=&to=)."""
    return time_range(
        request.GET.get("range"), request.GET.get("from"), request.GET.get("to")
    )


def _wants_html(request: HttpRequest) -> bool:
    return "text/html" in request.headers.get("Accept", "")


def _auto_refresh(request: HttpRequest) -> bool:
    """`?refresh=1`: the panels poll every minute (paused while the tab is
    hidden, by static/js/dashboard.js); kept in the URL like the range."""
    return request.GET.get("refresh") == "1"


def _panel_context(context: dict, data: dict | None = None) -> dict:
    if data is None:
        data = panel_data(context["panel"], context["domain"], context["range"])
    return {
        **context,
        "data": data,
        "charts": charts.frame(context["panel"].charts(data), data),
        "failing": context.get("failing", data.get("failing")),
        "failing_next": context.get("failing_next", data.get("failing_next")),
    }


def bench_noop(request: HttpRequest) -> HttpResponse:
    """The benchmarks' baseline: Django's full stack doing nothing."""
    if not settings.BENCHMARK_ENDPOINTS:
        raise Http404()
    return HttpResponse(status=204)


_FLOOR_REDIS = []


@csrf_exempt
def bench_floor_webhook(request: HttpRequest) -> HttpResponse:
    """The webhook ingest floor (benchmarks only): what one signed delivery
    cannot cost less than on this machine. HMAC of the raw body, one
    `INSERT … ON CONFLICT DO NOTHING RETURNING` of it into the table
    benchmarks/run.py creates, one Redis LPUSH of the new id; nothing else."""
    if not settings.BENCHMARK_ENDPOINTS:
        raise Http404()
    import hashlib
    import hmac

    import redis
    from django.db import connection

    body = request.body
    expected = hmac.new(
        settings.GITHUB_WEBHOOK_SECRET.encode(), body, hashlib.sha256
    ).hexdigest()
    claimed = request.headers.get("X-Hub-Signature-256", "").removeprefix("sha256=")
    if not hmac.compare_digest(expected, claimed):
        return HttpResponse(status=401)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_floor_delivery (delivery_id, event, body) "
            "VALUES (%s, %s, %s) ON CONFLICT (delivery_id) DO NOTHING RETURNING id",
            [
                request.headers.get("X-GitHub-Delivery", ""),
                request.headers.get("X-GitHub-Event", ""),
                body,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return HttpResponse(status=200)
    if not _FLOOR_REDIS:
        _FLOOR_REDIS.append(redis.Redis.from_url(settings.CELERY_BROKER_URL))
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
    _FLOOR_REDIS[0].lpush(f"{prefix}bench-floor", row[0])
    return HttpResponse(status=202)
