"""Pin work's log fields: every log line and task about a pin carries `pin_id`
and `pin_version` (the first 12 hex of the version), so one grep finds all
that happened to a version: the pins' own lines say it in `extra`, and
`pin_log_context` binds both for everything logged meanwhile (the GitHub
adapter's lines, the task's retry and dead-letter lines, audit writes)."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import structlog

from pipelines.pins.models import PinVersion, Proposal, Rollout


def version_tags(version: PinVersion) -> list[str]:
    """How an application may name `version` in its perf samples and SLI
    points: its 12-hex short form or the whole content hash."""
    return [version.short, version.content_hash]


def pin_fields(pins: Iterable[tuple[str, PinVersion | str | None]]) -> dict[str, str]:
    """`pin_id` and `pin_version` of one or more pins ("a,b" in the same
    order; "-" for a pin without a version, e.g. removed)."""
    pairs = list(pins)

    def short(version: PinVersion | str | None) -> str:
        if version is None or version == "":
            return "-"
        return version.short if isinstance(version, PinVersion) else version[:12]

    return {
        "pin_id": ",".join(pin_id for pin_id, _ in pairs),
        "pin_version": ",".join(short(version) for _, version in pairs),
    }


@contextmanager
def pin_log_context(
    pin_id: str, pin_version: PinVersion | str | None
) -> Iterator[None]:
    """Every log line inside carries the pin's id and version."""
    with structlog.contextvars.bound_contextvars(**pin_fields([(pin_id, pin_version)])):
        yield


def task_pin_bind(*, rollout_id: int | None = None, proposal_id: int | None = None):
    """In a task about one pin: bind its id and version for the rest of the
    task, its retry and failure lines included (the task's context is cleared
    when it ends, config/celery.py)."""
    fields: dict[str, str] | None = None
    if rollout_id is not None:
        found = (
            Rollout.objects.filter(pk=rollout_id)
            .values_list("pin__pin_id", "to_version__content_hash")
            .first()
        )
        fields = pin_fields([found]) if found else None
    elif proposal_id is not None:
        proposal = (
            Proposal.objects.filter(pk=proposal_id).only("pin_id", "draft").first()
        )
        if proposal is not None and proposal.pin_id:
            fields = pin_fields(
                [(proposal.pin_id, (proposal.draft or {}).get("version"))]
            )
    if fields:
        structlog.contextvars.bind_contextvars(**fields)
