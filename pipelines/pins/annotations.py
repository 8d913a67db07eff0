"""Pin moves on the domain's time charts (registered in PipelinesConfig.ready()
with dashboard.board.annotations): every rollout stage change (started,
advanced, done, rolled back, superseded) and every version change that served
at once without a rollout (a new pin, a merge without a valid plan, a revert to
the stable version, a removal), each a dotted line with a marker that opens the
proposal behind it, else the pin's page."""

from datetime import datetime

from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Value,
    When,
)

from dashboard.board.annotations import MARKS_PER_SOURCE, AnnotationSource
from dashboard.board.panels.common import TimeRange, between, iso, window
from dashboard.platform.compiled import compiled_once
from pipelines.pins.models import Pin, Rollout, RolloutEvent

COLOUR = "#CC79A7"  # Okabe–Ito reddish purple
ROLLED_BACK = "#D55E00"
TEXT_SHOWN = 100
COLUMNS = ("t", "kind", "note", "name", "pin", "proposal", "version", "gone")


def pin_move_marks(domain_id: int, time_range: TimeRange) -> list[dict]:
    """The domain's pin moves in the range, newest 30, in one query: the rollout
    events, and the pins whose last change started no rollout (a pin keeps only
    its last change; the rollouts keep their whole history)."""
    rows = _moves(domain_id=domain_id, since=window(time_range), until=time_range.until)
    return [_mark(*row) for row in rows]


@compiled_once
def _moves(domain_id: int, since: datetime, until: datetime | None) -> QuerySet:
    stages = (
        RolloutEvent.objects.filter(
            rollout__domain_id=domain_id,
            **between("created_at", since, until),
        )
        .annotate(
            t=F("created_at"),
            note=F("text"),
            name=F("rollout__pin__pin_id"),
            pin=F("rollout__pin_id"),
            proposal=F("rollout__proposal_id"),
            version=F("rollout__to_version__content_hash"),
            gone=F("rollout__pin__removed"),
        )
        .values_list(*COLUMNS)
    )
    served_at_once = (
        Pin.objects.filter(
            domain_id=domain_id,
            **between("changed_at", since, until),
        )
        .exclude(
            Exists(
                Rollout.objects.filter(
                    pin=OuterRef("pk"), created_at__gte=OuterRef("changed_at")
                )
            )
        )
        .annotate(
            t=F("changed_at"),
            kind=Case(
                When(removed=True, then=Value("removed")),
                default=Value("served"),
                output_field=CharField(),
            ),
            note=Value("", output_field=CharField()),
            name=F("pin_id"),
            pin=F("id"),
            proposal=Value(None, output_field=IntegerField()),
            version=F("current__content_hash"),
            gone=F("removed"),
        )
        .values_list(*COLUMNS)
    )
    # No ordering inside the union (SQLite refuses it), one over the whole.
    union = stages.order_by().union(served_at_once.order_by(), all=True)
    return union.order_by("-t")[:MARKS_PER_SOURCE]


def _mark(t, kind, note, name, pin, proposal, version, gone) -> dict:
    if kind == "removed":
        label = f"pin {name} removed"
    elif kind == "served":
        label = f"pin {name} → {version[:12]}: serves at once (no rollout)"
    else:
        label = f"pin {name} → {version[:12]}: {note[:TEXT_SHOWN]}"
    if proposal:
        link = f"proposals/{proposal}/"
    elif not gone:
        link = f"pins/{pin}/"
    else:
        link = "proposals/"  # a removed pin has no page left
    return {
        "t": iso(t),
        "label": label,
        "link": link,
        "colour": ROLLED_BACK if kind == "rolled_back" else COLOUR,
    }


PIN_MOVES = AnnotationSource(
    key="pin-moves",
    name="Pin moves",
    marks=pin_move_marks,
    symbol="square",
    colour=COLOUR,
)
