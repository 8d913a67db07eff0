"""The navigation across the domains the signed-in user may see."""

from django import template

from dashboard.domains import selectors
from dashboard.platform.links import RowLink

register = template.Library()


@register.inclusion_tag("dashboard/_nav.html", takes_context=True)
def domain_nav(context: template.Context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    current = context.get("domain")
    domains = selectors.nav_domains_for(user) if user and user.is_authenticated else []
    current_slug = getattr(current, "slug", None)
    # On every page: each link reversed once for all (RowLink), not per domain.
    link = RowLink("dashboard:domain-detail", "slug") if domains else None
    return {
        "nav_domains": [
            {"url": link.at(d.slug), "name": d.name, "current": d.slug == current_slug}
            for d in domains
        ],
        "more": len(domains) >= selectors.NAV_DOMAIN_LIMIT,
    }
