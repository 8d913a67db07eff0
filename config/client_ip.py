"""The client's address as this deployment can trust it.

`TRUSTED_PROXY_COUNT` (default 0) says how many reverse proxies in front of us
each append the address they saw to `X-Forwarded-For`. With 0 the client is
`REMOTE_ADDR`. With N the client is the N-th entry from the right: entries
further left were written by the client itself and prove nothing. A header with
fewer entries than N, or an entry that is not an IP address, falls back to
`REMOTE_ADDR` (the request did not come through the proxies we were told of).
django-axes keys its login lockouts on it (`AXES_CLIENT_IP_CALLABLE`)."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [
        hop.strip()
        for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if hop.strip()
    ]
    if len(hops) < count:
        return remote
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
