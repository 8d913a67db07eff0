"""Ingest-token authentication for the /api/v1 endpoints: `TokenAuth(scope=...)`,
a ninja HttpBearer over the domain's ingest tokens (`Authorization: Bearer …`)."""

from django.http import HttpRequest
from ninja.security import HttpBearer

from dashboard.domains import policy, services
from dashboard.domains.models import IngestToken
from dashboard.platform.api import ApiProblem

REALM = 'Bearer realm="control plane"'


def _bearer(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    kind, _, credential = header.partition(" ")
    if kind.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


def _creator(token: IngestToken) -> str:
    user = token.created_by
    return repr(user.get_username()) if user is not None else "(a deleted user)"


class TokenAuth(HttpBearer):
    """A domain's ingest token (`Authorization: Bearer …`) with `scope`.

    On success sets request.ingest_token, request.domain (scope every read and
    write to it) and request.token_scopes. No header, a malformed one, an unknown
    or revoked token → 401 with `WWW-Authenticate: Bearer realm="control plane"`
    (`error="invalid_token"` for a bad token); a valid token without the scope →
    403 (`error="insufficient_scope"`). Every refusal is counted with
    services.permission_denial_record (action `ingest.<scope>`). A token made by
    a person also needs that person's CURRENT role on the domain to allow the
    scope (policy.SCOPE_REQUIRES): a demoted admin's token loses `budgets` (403,
    counted with the creator as the user). Without a scope, any valid token is
    accepted.
    """

    openapi_description = (
        "A domain's ingest token with the scope the operation names; "
        "create one with `python manage.py create_token` or on the domain's page."
    )

    def __init__(self, scope: str | None = None):
        # A typo in a scope fails at import, not on the first request.
        self.scope = policy.TokenScope(scope).value if scope is not None else None
        super().__init__()

    def __call__(self, request: HttpRequest) -> IngestToken:
        credential = _bearer(request)
        token = getattr(request, "ingest_token", None)
        # Already resolved for this request (see `idempotent`): no second lookup.
        if token is None or getattr(request, "_ingest_credential", None) != credential:
            token = self._resolve(request, credential)
        if self.scope is not None and self.scope not in token.scopes:
            raise self._refuse(
                request,
                status=403,
                detail=f"This token lacks the {self.scope!r} scope (it has: "
                f"{', '.join(token.scopes)}). Create a token with that scope.",
                domain=token.domain,
                challenge=f'{REALM}, error="insufficient_scope", scope="{self.scope}"',
            )
        if (
            self.scope is not None
            and not token.minted_by_operator
            and services.token_scopes_refused(
                user=token.created_by, domain=token.domain, scopes=[self.scope]
            )
        ):
            needs = policy.SCOPE_REQUIRES[self.scope]
            raise self._refuse(
                request,
                status=403,
                detail=f"This token's {self.scope!r} scope needs {needs!r}, which "
                f"its creator {_creator(token)} no longer has on "
                f"domain {token.domain.slug!r}. A token never grants more than its "
                "creator's current role; ask a domain admin for a new token.",
                domain=token.domain,
                challenge=f'{REALM}, error="insufficient_scope", scope="{self.scope}"',
                user=token.created_by,
            )
        request.ingest_token = token
        request.domain = token.domain
        request.token_scopes = frozenset(token.scopes)
        request._ingest_credential = credential
        return token

    def _resolve(self, request: HttpRequest, credential: str | None) -> IngestToken:
        if credential is None:
            raise self._refuse(
                request,
                status=401,
                detail="Send an ingest token as 'Authorization: Bearer <token>'. "
                "Domain engineers create tokens on the domain's page.",
                challenge=REALM,
            )
        token = self.authenticate(request, credential)
        if token is None:
            raise self._refuse(
                request,
                status=401,
                detail="The token is unknown or revoked. Ask a domain engineer for "
                "a new one.",
                challenge=f'{REALM}, error="invalid_token"',
            )
        return token

    def authenticate(self, request: HttpRequest, token: str) -> IngestToken | None:
        if "\x00" in token:  # PostgreSQL refuses NUL in a query parameter
            return None
        return services.ingest_token_resolve(token)

    def _refuse(
        self,
        request: HttpRequest,
        *,
        status: int,
        detail: str,
        challenge: str,
        domain=None,
        user=None,
    ) -> ApiProblem:
        services.permission_denial_record(
            user=user,
            action=f"ingest.{self.scope or 'any'}",
            domain=domain,
            path=request.path,
            status_code=status,
        )
        return ApiProblem(status, detail, headers={"WWW-Authenticate": challenge})
