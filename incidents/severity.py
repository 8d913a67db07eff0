"""Severities as the senders write them, mapped onto SEV1…SEV5 (PagerDuty's
scale). The table is documented in docs/incidents.md."""

import re

from incidents.models import Severity

# Words monitors and people use, lower-cased.
WORDS: dict[str, str] = {
    "critical": Severity.SEV1,
    "crit": Severity.SEV1,
    "fatal": Severity.SEV1,
    "emergency": Severity.SEV1,
    "disaster": Severity.SEV1,
    "major": Severity.SEV2,
    "high": Severity.SEV2,
    "error": Severity.SEV2,
    "medium": Severity.SEV3,
    "moderate": Severity.SEV3,
    "warning": Severity.SEV3,
    "warn": Severity.SEV3,
    "minor": Severity.SEV3,
    "low": Severity.SEV4,
    "none": Severity.SEV4,
    "info": Severity.SEV5,
    "informational": Severity.SEV5,
    "maintenance": Severity.SEV5,
}
_NUMBERED = re.compile(r"^(?:sev|p|s)[\s_-]?([1-5])$")


class UnknownSeverity(ValueError):
    pass


def severity_from(value: object) -> str:
    """SEV1…SEV5 for `value`: `SEV1`/`sev-1`, `P1`…`P5` (Opsgenie, PagerDuty
    priorities), the integers 1…5, or a word of WORDS. Anything else raises
    UnknownSeverity naming what is accepted."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return f"SEV{value}"
    text = str(value).strip().lower()
    if text.isdigit() and 1 <= int(text) <= 5:
        return f"SEV{text}"
    numbered = _NUMBERED.match(text)
    if numbered:
        return f"SEV{numbered.group(1)}"
    if text in WORDS:
        return WORDS[text]
    raise UnknownSeverity(
        f"Unknown severity {str(value)[:40]!r}: use SEV1…SEV5, P1…P5 or one of "
        "critical, high, medium, low, info (see docs/incidents.md)."
    )


def severity_or(value: object, default: str | None) -> str | None:
    """The mapped severity, or `default` when `value` is empty or unknown."""
    if value in (None, ""):
        return default
    try:
        return severity_from(value)
    except UnknownSeverity:
        return default
