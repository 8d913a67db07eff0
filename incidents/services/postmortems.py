"""Postmortems from the template, their action items, and learnings marked as
changes to ask for (draft proposals the pins review flow will take over)."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from dashboard.platform.cleaning import text_clean
from dashboard.platform.upserts import Upserted
from incidents.models import (
    POSTMORTEM_SECTIONS,
    ActionItem,
    DraftProposal,
    Incident,
    LearningKind,
    Postmortem,
    TimelineEntry,
    TimelineKind,
)
from pipelines.pins.services.proposals import proposal_draft_create


def _log(incident: Incident, actor: str, text: str) -> None:
    TimelineEntry.objects.create(
        incident=incident,
        at=timezone.now(),
        kind=TimelineKind.CHANGED,
        actor=actor[:200],
        text=text,
    )


@transaction.atomic
def postmortem_save(
    *, incident: Incident, sections: dict[str, str], author: str
) -> Upserted[Postmortem]:
    """Create or change the incident's postmortem (the template's sections)."""
    postmortem, created = Postmortem.objects.select_for_update().get_or_create(
        incident=incident, defaults={"author": author[:200]}
    )
    changed = []
    for name, _label in POSTMORTEM_SECTIONS:
        if name in sections:
            value = text_clean(sections[name])
            if getattr(postmortem, name) != value:
                setattr(postmortem, name, value)
                changed.append(name)
    if changed or created:
        postmortem.save()
        _log(
            incident,
            author,
            "Postmortem written"
            if created
            else "Postmortem changed: " + ", ".join(changed),
        )
    return Upserted(
        postmortem, "created" if created else "updated" if changed else "unchanged"
    )


@transaction.atomic
def action_item_add(
    *, incident: Incident, title: str, owner: str, due_on: date | None, author: str
) -> ActionItem:
    postmortem = postmortem_save(incident=incident, sections={}, author=author).obj
    item = ActionItem.objects.create(
        postmortem=postmortem,
        domain_id=incident.domain_id,
        title=text_clean(title)[:300],
        owner=text_clean(owner)[:200],
        due_on=due_on,
    )
    _log(incident, author, f"Action item added: {item.title}")
    return item


@transaction.atomic
def action_item_set_state(*, item: ActionItem, state: str, author: str) -> ActionItem:
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    if item.state != state:
        before = item.get_state_display()
        item.state = state
        item.save(update_fields=["state", "updated_at"])
        _log(
            item.postmortem.incident,
            author,
            f"Action item {item.title!r}: {before} → {item.get_state_display()}",
        )
    return item


@transaction.atomic
def learning_propose(
    *, incident: Incident, kind: str, title: str, rationale: str, author
) -> DraftProposal:
    """A learning marked "change the generator" or "change a prompt/model pin":
    a draft proposal in the pins review flow, linked both ways with the
    incident it came from."""
    kind = LearningKind(kind).value
    title, rationale = text_clean(title)[:300], text_clean(rationale)
    what = "the generator" if kind == LearningKind.GENERATOR else "a prompt/model pin"
    pin_proposal = proposal_draft_create(
        domain=incident.domain,
        title=title,
        rationale=f"Change {what}, learned from incident “{incident.title}”.\n\n{rationale}",
        kind="incident",
        source_url=incident.get_absolute_url(),
        created_by=author,
    )
    proposal = DraftProposal.objects.create(
        incident=incident,
        domain_id=incident.domain_id,
        kind=kind,
        title=title,
        rationale=rationale,
        author=author,
        pin_proposal=pin_proposal,
    )
    _log(
        incident,
        author.get_username() if author else "",
        f"Learning proposed ({proposal.get_kind_display()}): {proposal.title}",
    )
    return proposal
