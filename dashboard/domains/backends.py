"""The signed-in user of a request, read through the cache.

Django's ModelBackend reads the user row on every signed-in request: with the
session already read from Redis (docs/sessions.md) that query was the only one
of a warm dashboard panel. `CachedModelBackend` keeps the row in the cache
under the token that every user, permission, membership or domain change
renews (`domain.access_version`, dashboard.domains.selectors), so a password
change, a deactivation or a new name is read from the database on the very
next request; entries live at most CACHE_TTLS["auth.user"] seconds, which
bounds a change whose renewal was lost while Redis was unreachable. Only with
a cache every process shares (Redis); otherwise the row is read each time.
"""

from django.contrib.auth.backends import ModelBackend

from dashboard.platform.caching import cached_if_current


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id):
        user = cached_if_current(
            "auth.user",
            user_id,
            version="domain.access_version",
            build=lambda: super(CachedModelBackend, self).get_user(user_id),
        )
        return user if user is not None and self.user_can_authenticate(user) else None
