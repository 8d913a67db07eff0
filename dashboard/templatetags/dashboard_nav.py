"""The navigation across the domains the signed-in user may see."""

from django import template

from dashboard.domains import selectors

register = template.Library()


@register.inclusion_tag("dashboard/_nav.html", takes_context=True)
def domain_nav(context: template.Context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    current = context.get("domain")
    domains = selectors.nav_domains_for(user) if user and user.is_authenticated else []
    return {
        "nav_domains": domains,
        "current_slug": getattr(current, "slug", None),
        "more": len(domains) >= selectors.NAV_DOMAIN_LIMIT,
    }
