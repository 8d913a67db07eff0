"""Writes for domains, members, tokens, audit and permission denials."""

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from config import request_context
from dashboard.domains import denial_counts, policy
from dashboard.domains.models import (
    AuditEntry,
    Domain,
    IngestToken,
    Membership,
    PermissionDenial,
    PermissionDenialMinute,
    Repository,
    Service,
)
from dashboard.platform.upserts import Upserted

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "cpi_"  # noqa: S105  # nosec B105 # a public prefix, not a secret


# --- Audit and denials ------------------------------------------------------------
def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    domain: Domain | None = None,
    obj: object | None = None,
    before: dict | None = None,
    after: dict | None = None,
    actor_label: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label or (actor.get_username() if actor else "system"),
        action=action,
        domain=domain,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or ""),
        object_repr=str(obj)[:300] if obj is not None else "",
        before=before,
        after=after,
        request_id=request_context.current_request_id(),
    )


def permission_denial_record(
    *,
    user: AbstractBaseUser | None,
    action: str,
    domain: Domain | None,
    path: str,
    status_code: int,
) -> None:
    """Count and log one refusal.

    Every refusal is counted per (domain, action, status, minute) in Redis, and
    rolled up into PermissionDenialMinute (what the permission-denials SLO
    reads) by a beat task; without Redis the minute row is written at once. A
    detailed PermissionDenial row (who, path, request id) is kept for every
    authenticated user's refusal (rare, and the audit wants who), and for
    anonymous ones (bad tokens, bad webhook signatures: the flood vector) only
    for the first of each (domain, action, status) in a minute: a bounded sample
    (none while Redis is away: then the count is the one write).
    """
    request_id = request_context.current_request_id()
    request_context.mark_denied()
    authenticated = user is not None and user.is_authenticated
    logger.warning(
        "permission denied",
        extra={
            "action": action,
            "domain": domain.slug if domain else None,
            "user": user.get_username() if authenticated else None,
            "path": path,
            "status_code": status_code,
        },
    )
    minute = timezone.now().replace(second=0, microsecond=0)
    field = denial_counts.field_of(
        domain_id=domain.pk if domain else None, action=action, status=status_code
    )
    count = denial_counts.incr(minute, field)
    if count is None:  # Redis is away: count in the database, nothing lost
        _denial_minute_add(
            domain_id=domain.pk if domain else None,
            action=action,
            status_code=status_code,
            minute=minute,
            count=1,
        )
    if authenticated or count == 1:
        PermissionDenial.objects.create(
            user=user if authenticated else None,
            action=action,
            domain=domain,
            path=path[:500],
            status_code=status_code,
            request_id=request_id,
        )


def _denial_minute_add(
    *, domain_id: int | None, action: str, status_code: int, minute, count: int
) -> None:
    key = {
        "domain_id": domain_id,
        "action": action[:64],
        "status_code": status_code,
        "minute": minute,
    }
    if PermissionDenialMinute.objects.filter(**key).update(count=F("count") + count):
        return
    try:
        with transaction.atomic():
            PermissionDenialMinute.objects.create(**key, count=count)
    except IntegrityError:  # created meanwhile by another request
        PermissionDenialMinute.objects.filter(**key).update(count=F("count") + count)


def permission_denials_roll_up(*, before: datetime | None = None) -> int:
    """Move the per-minute counts of minutes before `before` (default: the
    current minute, which is still counting) from Redis into
    PermissionDenialMinute; how many counts were added."""
    before = before or timezone.now().replace(second=0, microsecond=0)
    added = 0
    for minute, counts in denial_counts.drain(before=before):
        fields = [denial_counts.parse(field) for field in counts]
        existing = set(
            Domain.objects.filter(
                pk__in={d for d, _, _ in fields if d is not None}
            ).values_list("pk", flat=True)
        )
        with transaction.atomic():
            for (domain_id, action, status_code), count in zip(
                fields, counts.values(), strict=True
            ):
                _denial_minute_add(
                    # A domain deleted meanwhile: counted without it.
                    domain_id=domain_id if domain_id in existing else None,
                    action=action,
                    status_code=status_code,
                    minute=minute,
                    count=count,
                )
                added += 1
    return added


# --- Domains, repositories, members -----------------------------------------------
@transaction.atomic
def domain_create(
    *,
    slug: str,
    name: str,
    description: str = "",
    actor: AbstractBaseUser | None = None,
) -> Upserted:
    domain, created = Domain.objects.get_or_create(
        slug=slug, defaults={"name": name, "description": description}
    )
    if created:
        audit_record(
            actor=actor,
            action="domain.create",
            domain=domain,
            obj=domain,
            after={"slug": slug, "name": name},
        )
        return Upserted(domain, "created")
    if domain.name != name or (description and domain.description != description):
        before = {"name": domain.name, "description": domain.description}
        domain.name = name
        domain.description = description or domain.description
        domain.save(update_fields=["name", "description"])
        audit_record(
            actor=actor,
            action="domain.update",
            domain=domain,
            obj=domain,
            before=before,
            after={"name": name, "description": domain.description},
        )
        return Upserted(domain, "updated")
    return Upserted(domain, "unchanged")


class RepositoryConflict(Exception):
    """The repository is already mapped to another domain."""


@transaction.atomic
def repository_map(
    *,
    full_name: str,
    domain: Domain,
    default_branch: str = "main",
    actor: AbstractBaseUser | None = None,
    move: bool = False,
) -> Upserted:
    owner, _, name = full_name.partition("/")
    repo = Repository.objects.filter(full_name__iexact=full_name).first()
    if repo is None:
        repo = Repository.objects.create(
            full_name=full_name,
            owner=owner,
            name=name,
            domain=domain,
            default_branch=default_branch,
        )
        audit_record(
            actor=actor,
            action="repository.map",
            domain=domain,
            obj=repo,
            after={"domain": domain.slug},
        )
        return Upserted(repo, "created")
    if repo.domain_id == domain.id:
        return Upserted(repo, "unchanged")
    if not move:
        raise RepositoryConflict(
            f"{repo.full_name} is mapped to domain {repo.domain.slug!r}; "
            "a repository belongs to exactly one domain (use --move to move it)."
        )
    before = {"domain": repo.domain.slug}
    repo.domain = domain
    repo.save(update_fields=["domain"])
    # Services belong to a domain: the old domain's no longer build from it.
    repo.services.clear()
    audit_record(
        actor=actor,
        action="repository.move",
        domain=domain,
        obj=repo,
        before=before,
        after={"domain": domain.slug},
    )
    return Upserted(repo, "updated")


class ServiceRepositoryConflict(ValueError):
    pass


@transaction.atomic
def service_repositories_set(
    *,
    service: Service,
    repositories: list[Repository],
    actor: AbstractBaseUser | None = None,
) -> Upserted[Service]:
    """Link the service to exactly these repositories of its domain (an empty
    list unlinks them all: the service's repositories are then those named like
    it). Audited."""
    foreign = sorted(
        r.full_name for r in repositories if r.domain_id != service.domain_id
    )
    if foreign:
        raise ServiceRepositoryConflict(
            f"{', '.join(foreign)} {'is' if len(foreign) == 1 else 'are'} not "
            f"mapped to domain {service.domain.slug!r}; a service builds only from "
            "its domain's repositories (map_repository --move moves one)."
        )
    before = sorted(service.repositories.values_list("full_name", flat=True))
    after = sorted({r.full_name for r in repositories})
    if before == after:
        return Upserted(service, "unchanged")
    service.repositories.set(repositories)
    audit_record(
        actor=actor,
        action="service.repositories",
        domain=service.domain,
        obj=service,
        before={"repositories": before},
        after={"repositories": after},
    )
    return Upserted(service, "updated")


def _sync_object_permissions(
    *, user: AbstractBaseUser, domain: Domain, role: str | None
) -> None:
    """Keep guardian's rows equal to what the role grants: no more, no less."""
    granted = policy.actions_for(role) if role else frozenset()
    for action in policy.Action:
        perm = policy.permission(action)
        if action in granted:
            assign_perm(perm, user, domain)
        else:
            remove_perm(perm, user, domain)


@transaction.atomic
def membership_set(
    *,
    user: AbstractBaseUser,
    domain: Domain,
    role: str,
    actor: AbstractBaseUser | None = None,
) -> Upserted:
    role = policy.Role(role).value
    membership = (
        Membership.objects.select_for_update().filter(user=user, domain=domain).first()
    )
    if membership is None:
        membership = Membership.objects.create(user=user, domain=domain, role=role)
        status = "created"
        before = None
    elif membership.role == role:
        return Upserted(membership, "unchanged")
    else:
        before = {"role": membership.role}
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        status = "updated"
    _sync_object_permissions(user=user, domain=domain, role=role)
    audit_record(
        actor=actor,
        action=f"membership.{'add' if status == 'created' else 'role'}",
        domain=domain,
        obj=membership,
        before=before,
        after={"user": user.get_username(), "role": role},
    )
    return Upserted(membership, status)


@transaction.atomic
def membership_remove(
    *, membership: Membership, actor: AbstractBaseUser | None = None
) -> None:
    _sync_object_permissions(user=membership.user, domain=membership.domain, role=None)
    audit_record(
        actor=actor,
        action="membership.remove",
        domain=membership.domain,
        obj=membership,
        before={"user": membership.user.get_username(), "role": membership.role},
    )
    membership.delete()


def membership_resync_all() -> int:
    """Re-apply every member's role to guardian's rows (after the policy changed).

    Each membership is synced in its own transaction; returns how many were.
    """
    count = 0
    for membership in Membership.objects.using("default").select_related(
        "user", "domain"
    ):
        with transaction.atomic():
            _sync_object_permissions(
                user=membership.user, domain=membership.domain, role=membership.role
            )
        count += 1
    return count


# --- Ingest tokens --------------------------------------------------------------------
def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: IngestToken
    plaintext: str  # shown once, never stored


class TokenScopeRefused(Exception):
    """The person minting a token lacks the action one of its scopes needs."""

    def __init__(self, scopes: list[str]):
        self.scopes = scopes
        needs = ", ".join(
            f"{scope!r} needs {policy.SCOPE_REQUIRES[scope]!r}" for scope in scopes
        )
        super().__init__(
            f"Your role does not allow these scopes: {needs}. Ask a domain admin."
        )


def token_scopes_refused(
    *, user: AbstractBaseUser | None, domain: Domain, scopes: list[str]
) -> list[str]:
    """The scopes `user`'s current role on `domain` does not allow (all of them
    for nobody, a removed member or a deleted user)."""
    actions = _current_actions(user, domain)
    return [s for s in scopes if not policy.scope_allowed(s, actions)]


def _current_actions(user: AbstractBaseUser | None, domain: Domain) -> frozenset[str]:
    # From the membership on the primary, not guardian's cached rows: a demotion
    # takes effect on the token's very next request.
    if user is None or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(a.value for a in policy.Action)
    role = (
        Membership.objects.using("default")
        .filter(user=user, domain=domain)
        .values_list("role", flat=True)
        .first()
    )
    return policy.actions_for(role) if role else frozenset()


@transaction.atomic
def ingest_token_create(
    *,
    domain: Domain,
    name: str,
    scopes: list[str],
    actor: AbstractBaseUser | None = None,
    operator: str = "",
) -> IssuedToken:
    """Mint a token. A person (`actor`) may only give it scopes their role allows
    (policy.SCOPE_REQUIRES); an operator (`actor=None`, e.g. the
    `create_ingest_token` command) may mint any scope and is recorded by name."""
    scopes = sorted({policy.TokenScope(s).value for s in scopes})
    if not scopes:
        raise ValueError("A token needs at least one scope.")
    if actor is not None:
        refused = token_scopes_refused(user=actor, domain=domain, scopes=scopes)
        if refused:
            raise TokenScopeRefused(refused)
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{TOKEN_PREFIX}{prefix}_{secret}"
    token = IngestToken.objects.create(
        domain=domain,
        name=name,
        prefix=prefix,
        secret_hash=_hash_secret(plaintext),
        scopes=scopes,
        created_by=actor if actor and actor.is_authenticated else None,
        minted_by_operator="" if actor is not None else f"operator {operator or '?'}",
    )
    audit_record(
        actor=actor,
        actor_label="" if actor is not None else f"operator {operator or '?'}",
        action="token.create",
        domain=domain,
        obj=token,
        after={"name": name, "scopes": scopes, "prefix": prefix},
    )
    return IssuedToken(token=token, plaintext=plaintext)


@transaction.atomic
def ingest_token_revoke(
    *, token: IngestToken, actor: AbstractBaseUser | None = None
) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="token.revoke",
        domain=token.domain,
        obj=token,
        before={"active": True},
        after={"active": False},
    )


def ingest_token_resolve(plaintext: str) -> IngestToken | None:
    """The active token for a presented secret, or None. Constant-time compare."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    prefix, _, _ = plaintext[len(TOKEN_PREFIX) :].partition("_")
    token = (
        IngestToken.objects.using("default")
        .select_related("domain", "created_by")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(
        token.secret_hash, _hash_secret(plaintext)
    ):
        return None
    now = timezone.now()
    # Bounded write rate: last-used moves at most once a minute per token.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        IngestToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
