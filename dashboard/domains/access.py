"""Who may see a domain's pages and act on them: the one way views are restricted.

- `@domain_view(action)`: a domain the user may not browse is a 404 exactly like
  a missing one; a visible domain without `action` is a 403 page. Both counted.
- `forbidden(request, domain, action)`: the same 403 inside a view whose methods
  need different actions (GET browses, POST changes).
- `in_domain(...)`: an object of the domain by pk, or 404 (counted when it is
  another domain's).
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject

from dashboard.domains import policy, selectors, services
from dashboard.domains.models import Domain


def domain_view(
    action: str, *, write_action: str | None = None, cache_access: bool = False
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Restrict first: a domain the user may not browse is a 404 exactly like a
    missing one; a visible domain without the action is a 403 page. Both counted.

    `action` is needed for every method, or for the safe ones (GET, HEAD) when
    `write_action` names what the others (POST…) need: one URL, one resource.
    The view receives the Domain instead of the slug; `request.domain_actions`
    holds what the user may do there. `required_actions` (per method) is read
    by the leak test. Put it above require_POST & co: refuse before anything else.
    `cache_access`: the user's access to the domain may come from the cache
    (selectors.domain_for), for views asked for many times a minute (panels).
    """
    action = policy.Action(action).value
    write_action = policy.Action(write_action or action).value

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            domain = selectors.domain_for(
                request.user, slug, path=request.path, cached=cache_access
            )
            # Browsing was checked by domain_for; the other actions are read
            # only when asked for (a panel fragment asks for none of them).
            request.domain_actions = SimpleLazyObject(
                lambda: selectors.actions_on(request.user, domain)
            )
            needed = action if request.method in ("GET", "HEAD") else write_action
            if needed != policy.Action.BROWSE and not may(request, needed):
                return forbidden(request, domain, needed)
            return view(request, domain, *args, **kwargs)

        guarded = login_required(wrapper)
        guarded.required_action = action
        guarded.required_actions = {"GET": action, "POST": write_action}
        return guarded

    return decorator


def in_domain(
    request: HttpRequest, queryset: QuerySet, domain: Domain, pk: int, action: str
) -> Model:
    """The object `pk` if it belongs to `domain`; else 404, and a denial counted
    when it exists in another domain (someone probing across domains)."""
    obj = queryset.filter(domain=domain, pk=pk).first()
    if obj is not None:
        return obj
    elsewhere = queryset.model.objects.filter(pk=pk).select_related("domain").first()
    if elsewhere is not None:
        services.permission_denial_record(
            user=request.user,
            action=action,
            domain=elsewhere.domain,
            path=request.path,
            status_code=404,
        )
    raise Http404("No such object.")


def forbidden(request: HttpRequest, domain: Domain, action: str) -> HttpResponse:
    """The 403 page for a visible domain where `action` is not allowed; counted."""
    services.permission_denial_record(
        user=request.user,
        action=action,
        domain=domain,
        path=request.path,
        status_code=403,
    )
    context = {
        "domain": domain,
        "action_label": policy.Action(action).label,
        "request_id": getattr(request, "request_id", ""),
    }
    return render(request, "dashboard/forbidden.html", context, status=403)


def may(request: HttpRequest, action: str) -> bool:
    """Whether the user may do `action` in the domain of this @domain_view."""
    return action in request.domain_actions
