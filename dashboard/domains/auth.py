"""Ingest-token authentication for the HTTP API (`Authorization: Bearer …`).

Use it on an API view like this::

    from dashboard.domains.auth import token_required

    @token_required(scope="ci")
    def ci_run_upsert(request):
        request.ingest_token   # the IngestToken (active, last_used_at kept fresh)
        request.domain         # the token's Domain; scope every read and write to it
        request.token_scopes   # frozenset of the token's scopes
        ...

- No header, a malformed one, an unknown or revoked token → 401
  application/problem+json with `WWW-Authenticate: Bearer realm="control plane"`.
- A valid token without the scope → 403 problem+json (`error="insufficient_scope"`).
- Every refusal is counted with services.permission_denial_record (action
  `ingest.<scope>`), which also logs it with the request id.
- The wrapped view is CSRF-exempt: a bearer token is not an ambient credential
  like a cookie, so there is nothing for CSRF to protect.

`token_required()` without a scope accepts any valid token. For code that is not
a function view, `authenticate(request, scope=...)` returns either the token or
the problem response to send back.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse

from dashboard.domains import policy, services
from dashboard.domains.models import IngestToken
from dashboard.platform.problems import problem

REALM = 'Bearer realm="control plane"'


def _bearer(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    kind, _, credential = header.partition(" ")
    if kind.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


def _refuse(
    request: HttpRequest,
    *,
    status: int,
    detail: str,
    scope: str | None,
    domain=None,
    challenge: str,
) -> HttpResponse:
    services.permission_denial_record(
        user=None,
        action=f"ingest.{scope or 'any'}",
        domain=domain,
        path=request.path,
        status_code=status,
    )
    response = problem(status, detail)
    response["WWW-Authenticate"] = challenge
    return response


def authenticate(
    request: HttpRequest, *, scope: str | None = None
) -> IngestToken | HttpResponse:
    """The active token presented with the request, or a 401/403 problem."""
    credential = _bearer(request)
    if credential is None:
        return _refuse(
            request,
            status=401,
            detail="Send an ingest token as 'Authorization: Bearer <token>'. "
            "Domain engineers create tokens on the domain's page.",
            scope=scope,
            challenge=REALM,
        )
    token = services.ingest_token_resolve(credential)
    if token is None:
        return _refuse(
            request,
            status=401,
            detail="The token is unknown or revoked. Ask a domain engineer for a "
            "new one.",
            scope=scope,
            challenge=f'{REALM}, error="invalid_token"',
        )
    if scope is not None and scope not in token.scopes:
        return _refuse(
            request,
            status=403,
            detail=f"This token lacks the {scope!r} scope (it has: "
            f"{', '.join(token.scopes)}). Create a token with that scope.",
            scope=scope,
            domain=token.domain,
            challenge=f'{REALM}, error="insufficient_scope", scope="{scope}"',
        )
    return token


def token_required(
    scope: str | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorator for API views: see the module docstring."""
    if scope is not None:
        scope = policy.TokenScope(scope).value  # a typo fails at import, not later

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            result = authenticate(request, scope=scope)
            if isinstance(result, HttpResponse):
                return result
            request.ingest_token = result
            request.domain = result.domain
            request.token_scopes = frozenset(result.scopes)
            return view(request, *args, **kwargs)

        wrapper.csrf_exempt = True
        wrapper.required_scope = scope
        return wrapper

    return decorator
