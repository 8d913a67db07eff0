"""How the pages show times, durations and states, the same on every page:
`{% when t %}` (a <time datetime> in UTC that static/js/time.js shows in the
viewer's timezone unless they chose UTC), `|duration` (human, never negative)
and `{% badge state %}` (text and colour, never colour alone)."""

from datetime import UTC, datetime, timedelta
from html import escape

from django import template
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

_GOOD = {"success", "passed", "ok", "done", "completed", "resolved", "active"}
_BAD = {
    "failure",
    "failed",
    "error",
    "timed_out",
    "startup_failure",
    "firing",
    "cancelled",
    "action_required",
    "dead",
}
_PENDING = {"pending", "queued", "in_progress", "waiting", "requested", "running"}


def as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        moment = parse_datetime(value.replace("Z", "+00:00"))
        if moment is None:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@register.simple_tag
def when(value: object, style: str = "minute") -> SafeString | str:
    """A moment as <time datetime="…Z">2026-11-29 09:00 UTC</time>; the script
    rewrites the text in the viewer's timezone (the UTC switch keeps UTC)."""
    moment = as_datetime(value)
    if moment is None:
        return "—"
    shown = moment.strftime(
        {"date": "%Y-%m-%d", "clock": "%H:%M"}.get(style, "%Y-%m-%d %H:%M")
    )
    # On every row of long lists: written straight (format_html costs several
    # times as much); the two strftime() results need no escaping.
    html = (
        f'<time datetime="{moment:%Y-%m-%dT%H:%M:%SZ}" data-when="{escape(style)}">'
        f"{shown} UTC</time>"
    )
    return SafeString(html)  # nosec B703 # style escaped, the rest strftime()'s


def human_duration(seconds: float | None) -> str:
    """ "850 ms", "42 s", "3 min 12 s", "2 h 5 min", "3 d 4 h"; "—" for nothing
    or a negative span (a clock skew between reporters is not a duration)."""
    if seconds is None or seconds < 0:
        return "—"
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@register.filter
def duration(value: object) -> str:
    """Seconds (a number) or a timedelta, as a human duration."""
    if isinstance(value, timedelta):
        return human_duration(value.total_seconds())
    if isinstance(value, int | float):
        return human_duration(float(value))
    return "—"


@register.simple_tag
def span(start: object, end: object) -> str:
    """The duration between two moments (— when either is missing or reversed)."""
    a, b = as_datetime(start), as_datetime(end)
    if a is None or b is None:
        return "—"
    return human_duration((b - a).total_seconds())


def badge_kind(state: object) -> str:
    key = str(state or "").lower()
    if key in _GOOD:
        return "good"
    if key in _BAD:
        return "bad"
    if key in _PENDING:
        return "pending"
    return "neutral"


@register.simple_tag
def badge(state: object, label: object = None) -> SafeString:
    """A state as a badge: its words (underscores as spaces) and a colour."""
    kind = badge_kind(state)
    mark = {"good": "✓", "bad": "✕", "pending": "…", "neutral": "•"}[kind]
    text = str(label if label is not None else state or "none").replace("_", " ")
    return format_html(
        '<span class="badge badge-{}"><span aria-hidden="true">{}</span> {}</span>',
        kind,
        mark,
        text,
    )


@register.filter
def plain(value: object) -> str:
    """A stored JSON value in words: lists joined by commas, mappings as
    "key: value" pairs, nothing as "—", booleans as yes/no (never a Python repr)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(plain(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {plain(v)}" for k, v in value.items()) or "—"
    return str(value)
