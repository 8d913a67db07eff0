"""Reads for domains and what hangs off them, already restricted to the user."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from dashboard.domains import policy
from dashboard.domains.models import AuditEntry, Domain, IngestToken, Membership
from dashboard.platform.caching import cached_if_current, version_renew


def domains_for(
    user: AbstractBaseUser, action: str = policy.Action.BROWSE
) -> QuerySet[Domain]:
    """Domains on which `user` may perform `action` (all of them for superusers)."""
    if not user.is_authenticated:
        return Domain.objects.none()
    if user.is_superuser:
        return Domain.objects.all()
    return get_objects_for_user(
        user, policy.permission(action), klass=Domain, accept_global_perms=False
    )


def domain_for(
    user: AbstractBaseUser,
    slug: str,
    action: str = policy.Action.BROWSE,
    *,
    path: str = "",
    cached: bool = False,
) -> Domain:
    """The domain if `user` may perform `action` on it, else 404 (and a denial
    counted when the domain exists): hidden looks exactly like missing.
    `cached`: a yes may come from the cache (_visible_domain)."""
    domain = (
        _visible_domain(user, slug, action)
        if cached
        else domains_for(user, action).filter(slug=slug).first()
    )
    if domain is not None:
        return domain
    existing = Domain.objects.filter(slug=slug).first()
    if existing is not None:
        from dashboard.domains.services import permission_denial_record

        permission_denial_record(
            user=user, action=str(action), domain=existing, path=path, status_code=404
        )
    raise Http404("No such domain.")


def _visible_domain(user: AbstractBaseUser, slug: str, action: str) -> Domain | None:
    """The domain by slug if `user` may perform `action` on it, cached per user
    (a dashboard asks once per panel, and again every minute when it refreshes)
    under a token that any change of permissions, memberships, users or domains
    renews (domain_access_changed); a refusal is never cached."""
    if not user.is_authenticated:
        return None
    return cached_if_current(
        "domain.access",
        user.pk,
        str(action),
        slug,
        version="domain.access_version",
        build=lambda: domains_for(user, action).filter(slug=slug).first(),
    )


def domain_access_changed(sender, **kwargs) -> None:
    """Receiver (DashboardConfig.ready()): who may see which domain may have
    changed, so no cached answer of _visible_domain() is used again."""
    version_renew("domain.access_version")


def user_can(user: AbstractBaseUser, action: str, domain: Domain) -> bool:
    return user.is_authenticated and user.has_perm(policy.permission(action), domain)


def memberships_of(domain: Domain) -> QuerySet[Membership]:
    return Membership.objects.filter(domain=domain).select_related("user")


def tokens_of(domain: Domain) -> QuerySet[IngestToken]:
    return IngestToken.objects.filter(domain=domain).select_related("created_by")


def audit_of(domain: Domain) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(domain=domain).select_related("actor")


def actions_on(user: AbstractBaseUser, domain: Domain) -> frozenset[str]:
    """What `user` may do on `domain` (guardian rows; everything for superusers)."""
    if not user.is_authenticated:
        return frozenset()
    if user.is_superuser:
        return frozenset(a.value for a in policy.Action)
    from guardian.core import ObjectPermissionChecker

    return frozenset(ObjectPermissionChecker(user).get_perms(domain))


NAV_DOMAIN_LIMIT = 30


def nav_domains_for(user: AbstractBaseUser) -> list[tuple[str, str]]:
    """The domains shown in the navigation, (slug, name) by slug, bounded;
    on every page, so cached per user under the token that any change of
    permissions, memberships, users or domains renews (as _visible_domain)."""
    if not user.is_authenticated:
        return []
    return cached_if_current(
        "domain.nav",
        user.pk,
        version="domain.access_version",
        build=lambda: list(
            domains_for(user)
            .order_by("slug")
            .values_list("slug", "name")[:NAV_DOMAIN_LIMIT]
        ),
    )


def leaves_no_admin(
    domain: Domain, user: AbstractBaseUser, new_role: str | None
) -> bool:
    """Would giving `user` `new_role` (None: removing them) leave `domain` without
    a domain admin? Nobody, admins included, can lock a domain out of itself."""
    if new_role == policy.Role.ADMIN:
        return False
    admins = set(
        Membership.objects.filter(domain=domain, role=policy.Role.ADMIN).values_list(
            "user_id", flat=True
        )
    )
    return admins == {user.pk}


def roles_of(user: AbstractBaseUser) -> dict[int, str]:
    """Domain id → the label of `user`'s role there."""
    labels = dict(policy.Role.choices)
    return {
        domain_id: labels[role]
        for domain_id, role in Membership.objects.filter(user=user).values_list(
            "domain_id", "role"
        )
    }
