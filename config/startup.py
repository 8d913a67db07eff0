"""What a serving process checks before it starts (the web server, a worker)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_development_key() -> None:
    """The public development key is for DEBUG=1 only; `make run` sets both."""
    if not settings.DEBUG and settings.DEVELOPMENT_KEY_IN_USE:
        raise ImproperlyConfigured(
            "Set SECRET_KEY (DEBUG is off unless DEBUG=1; `make run` sets both for "
            "local development)."
        )
