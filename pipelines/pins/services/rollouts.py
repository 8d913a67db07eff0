"""Rollouts of merged pin changes: stages held while the guard SLO's burn rate
stays under max_burn; rolled back (and a revert pull request opened) when not."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from config.tasks import PermanentError, enqueue_on_commit
from dashboard.board.panels import annotations_changed
from dashboard.domains.services import audit_record
from pipelines.github import repos
from pipelines.pins.logs import pin_fields, pin_log_context, version_tags
from pipelines.pins.models import (
    Pin,
    PinVersion,
    Proposal,
    ProposalEvent,
    Rollout,
    RolloutEvent,
    RolloutState,
)
from pipelines.pins.review_rules import plan_problems
from pipelines.pins.services.reading import pins_file_with
from pipelines.pins.spec import duration_seconds
from slos import maths
from slos.models import Slo
from slos.selectors import pin_version_window_counts, slo_series

logger = logging.getLogger(__name__)

REVERT_TASK = "pipelines.pins_revert_open"
LABEL = "controlplane:pins"


def _log_extra(rollout: Rollout, **more: object) -> dict:
    return {
        **pin_fields([(rollout.pin.pin_id, rollout.to_version)]),
        "rollout": rollout.pk,
        **more,
    }


def burn_window(hold_seconds: int) -> str:
    """The longest burn-rate window that fits in one hold (at least 5m)."""
    fitting = [
        name
        for name, width in maths.BURN_WINDOWS.items()
        if width <= timedelta(seconds=hold_seconds)
    ]
    return max(fitting, key=lambda n: maths.BURN_WINDOWS[n]) if fitting else "5m"


@dataclass(frozen=True)
class GuardBurn:
    rate: float | None  # None: no data
    candidate_only: bool  # measured on the candidate's own points


def guard_burn_measure(rollout: Rollout, *, at: datetime) -> GuardBurn:
    """The guard SLO's burn rate over the hold's window. When the application
    tags its SLI points with the pin's version and the candidate's points hold
    at least the SLO's `min_events` in the window, the candidate's own points
    are what is judged: at 5 % of the traffic its errors would be diluted
    twenty times in the whole SLO. Otherwise the whole SLO (every point)."""
    slo = Slo.objects.filter(
        domain_id=rollout.domain_id, name=rollout.guard_slo
    ).first()
    if slo is None:
        return GuardBurn(None, False)
    width = maths.BURN_WINDOWS[burn_window(rollout.hold_seconds)]
    candidate = pin_version_window_counts(
        slo,
        pin_id=rollout.pin.pin_id,
        versions=version_tags(rollout.to_version),
        at=at,
        window=width,
    )
    if candidate.total >= max(slo.min_events, 1):
        return GuardBurn(maths.burn_rate(candidate, slo.objective), True)
    series = slo_series(slo, at=at, reach=width)
    return GuardBurn(
        maths.burn_rate(series.counts(at=at, window=width), slo.objective), False
    )


def _event(rollout: Rollout, kind: str, text: str, *, burn=None, actor=None) -> None:
    annotations_changed(rollout.domain_id)  # a pin move on the charts
    RolloutEvent.objects.create(
        rollout=rollout,
        kind=kind,
        traffic_pct=rollout.traffic_pct,
        burn_rate=burn,
        text=text[:500],
        actor=actor if actor is not None and actor.is_authenticated else None,
    )
    logger.info(
        "pin rollout %s",
        kind,
        extra=_log_extra(rollout, traffic_pct=rollout.traffic_pct),
    )


def rollouts_supersede(*, pin: Pin, reason: str) -> None:
    for rollout in Rollout.objects.filter(pin=pin, state=RolloutState.RUNNING):
        rollout.state, rollout.finished_at = RolloutState.SUPERSEDED, timezone.now()
        rollout.save(update_fields=["state", "finished_at"])
        _event(rollout, "superseded", reason)


def rollout_start(
    *, pin: Pin, version: PinVersion, proposal: Proposal | None
) -> Rollout | None:
    """The default branch now holds `version`: follow its plan from the first
    stage. Back to the stable version (a revert merged): nothing to roll out.
    Without a valid plan the version serves at once (said in the log)."""
    rollouts_supersede(pin=pin, reason="a newer version reached the default branch")
    now = timezone.now()
    if version.pk == pin.stable_id:
        Pin.objects.filter(pk=pin.pk).update(candidate=None, traffic_pct=0)
        return None
    plan = version.entry.get("rollout")
    slo_names = Slo.objects.filter(domain_id=pin.domain_id).values_list(
        "name", flat=True
    )
    problems = plan_problems(plan, slo_names)
    if problems:
        Pin.objects.filter(pk=pin.pk).update(
            stable=version, candidate=None, traffic_pct=0
        )
        logger.warning(
            "pin merged without a valid rollout plan; it serves at once",
            extra={**pin_fields([(pin.pin_id, version)]), "problems": problems},
        )
        return None
    rollout = Rollout.objects.create(
        domain_id=pin.domain_id,
        pin=pin,
        from_version_id=pin.stable_id,
        to_version=version,
        proposal=proposal,
        stages=list(plan["stages"]),
        hold_seconds=duration_seconds(plan["hold"]),
        guard_slo=plan["guard_slo"],
        max_burn=float(plan["max_burn"]),
        stage_started_at=now,
    )
    Pin.objects.filter(pk=pin.pk).update(
        candidate=version, traffic_pct=rollout.stages[0]
    )
    _event(rollout, "started", f"rollout started at {rollout.stages[0]}%")
    if proposal is not None:
        ProposalEvent.objects.create(
            proposal=proposal,
            kind="rollout",
            text=f"rollout of {pin.pin_id} started at {rollout.stages[0]}%",
        )
    return rollout


def _advance(rollout: Rollout, *, now: datetime, burn, actor=None) -> Rollout:
    pin = rollout.pin
    if rollout.stage_index + 1 < len(rollout.stages):
        rollout.stage_index += 1
        rollout.stage_started_at = now
        rollout.save(update_fields=["stage_index", "stage_started_at"])
        Pin.objects.filter(pk=pin.pk).update(traffic_pct=rollout.traffic_pct)
        who = f" by {actor.get_username()}" if actor else ""
        _event(
            rollout,
            "advanced",
            f"advanced to {rollout.traffic_pct}%{who}",
            burn=burn,
            actor=actor,
        )
        return rollout
    rollout.state, rollout.finished_at = RolloutState.DONE, now
    rollout.save(update_fields=["state", "finished_at"])
    Pin.objects.filter(pk=pin.pk).update(
        stable=rollout.to_version, candidate=None, traffic_pct=0
    )
    _event(
        rollout,
        "done",
        "rollout complete: the new version is stable",
        burn=burn,
        actor=actor,
    )
    return rollout


def rollout_roll_back(
    *, rollout: Rollout, reason: str, burn: float | None = None, actor=None
) -> Rollout:
    """Stage → 0%, a rolled_back event, and a revert pull request (a task)."""
    now = timezone.now()
    rollout.state, rollout.finished_at = RolloutState.ROLLED_BACK, now
    rollout.save(update_fields=["state", "finished_at"])
    Pin.objects.filter(pk=rollout.pin_id).update(candidate=None, traffic_pct=0)
    _event(rollout, "rolled_back", reason, burn=burn, actor=actor)
    audit_record(
        actor=actor,
        actor_label="" if actor else "control plane",
        action="pins.rollout.rolled_back",
        domain=rollout.domain,
        obj=rollout,
        after={"reason": reason, "burn_rate": burn},
    )
    if rollout.proposal_id:
        ProposalEvent.objects.create(
            proposal_id=rollout.proposal_id, kind="rolled_back", text=reason[:500]
        )
    enqueue_on_commit(REVERT_TASK, rollout.pk, domain_id=rollout.domain_id)
    return rollout


@transaction.atomic
def rollout_check(*, rollout_id: int, now: datetime | None = None) -> str:
    """One look at a running rollout: roll back on a burn above max_burn,
    advance after the hold, else wait. Returns what happened."""
    now = now or timezone.now()
    rollout = (
        Rollout.objects.select_for_update()
        .select_related("pin", "to_version", "domain")
        .filter(pk=rollout_id)
        .first()
    )
    if rollout is None or rollout.state != RolloutState.RUNNING:
        return "not running"
    with pin_log_context(rollout.pin.pin_id, rollout.to_version):
        return _check(rollout, now=now)


def _check(rollout: Rollout, *, now: datetime) -> str:
    measured = guard_burn_measure(rollout, at=now)
    burn = measured.rate
    if burn is not None and rollout.max_burn is not None and burn > rollout.max_burn:
        whose = " on the candidate's points" if measured.candidate_only else ""
        rollout_roll_back(
            rollout=rollout,
            reason=f"guard SLO {rollout.guard_slo} burns at {burn:.2f}×{whose} "
            f"(max {rollout.max_burn:g}) at {rollout.traffic_pct}%: rolled back",
            burn=burn,
        )
        return "rolled_back"
    if now - rollout.stage_started_at >= timedelta(seconds=rollout.hold_seconds):
        _advance(rollout, now=now, burn=burn)
        return "advanced"
    return "holding"


def rollouts_check_all(*, now: datetime | None = None) -> dict[str, int]:
    """The beat's sweep over every running rollout (each in its own transaction)."""
    outcomes: dict[str, int] = {}
    for rollout_id in Rollout.objects.filter(state=RolloutState.RUNNING).values_list(
        "pk", flat=True
    ):
        outcome = rollout_check(rollout_id=rollout_id, now=now)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@transaction.atomic
def rollout_advance_by(*, rollout: Rollout, actor: AbstractBaseUser) -> Rollout:
    """An engineer moves the rollout to its next stage now (audited)."""
    rollout = (
        Rollout.objects.select_for_update()
        .select_related("pin", "to_version", "domain")
        .get(pk=rollout.pk)
    )
    if rollout.state != RolloutState.RUNNING:
        raise ValueError(f"This rollout is {rollout.get_state_display().lower()}.")
    before = rollout.traffic_pct
    _advance(rollout, now=timezone.now(), burn=None, actor=actor)
    audit_record(
        actor=actor,
        action="pins.rollout.advanced",
        domain=rollout.domain,
        obj=rollout,
        before={"traffic_pct": before},
        after={"traffic_pct": rollout.traffic_pct, "state": rollout.state},
    )
    return rollout


def revert_pull_open(*, rollout_id: int) -> str:
    """Open the pull request that puts the stable version back in the file."""
    rollout = (
        Rollout.objects.select_related("pin__repository", "from_version", "to_version")
        .filter(pk=rollout_id)
        .first()
    )
    if rollout is None:
        raise PermanentError(f"Rollout {rollout_id} does not exist.")
    if rollout.revert_url:
        return rollout.revert_url
    with pin_log_context(rollout.pin.pin_id, rollout.to_version):
        return _revert_open(rollout)


def _revert_open(rollout: Rollout) -> str:
    repository = rollout.pin.repository
    stable, bad = rollout.from_version, rollout.to_version
    branch = f"controlplane/pins/revert-{rollout.pin.pin_id}-{bad.content_hash[:8]}"
    base_sha = repos.branch_sha(repository.full_name, repository.default_branch)
    if base_sha is None:
        raise PermanentError(
            f"{repository.full_name} has no branch {repository.default_branch!r}."
        )
    files = pins_file_with(
        repository=repository,
        sha=base_sha,
        entry=stable.entry,
        prompt_text=stable.prompt_text,
    )
    repos.commit_files(
        repository.full_name,
        branch=branch,
        base_sha=base_sha,
        files=files,
        message=f"Revert pin {rollout.pin.pin_id} to {stable.short}\n\n"
        f"The guard SLO {rollout.guard_slo} burned above {rollout.max_burn:g} "
        "during the rollout.",
        force=True,
    )
    last = rollout.events.filter(kind="rolled_back").order_by("-id").first()
    body = (
        f"The control plane rolled back pin `{rollout.pin.pin_id}` "
        f"({bad.short} → {stable.short}).\n\n"
        f"{last.text if last else ''}\n\n"
        "Merging this puts the stable version back on the default branch."
    )
    pull = repos.pull_open(
        repository.full_name,
        head_branch=branch,
        base=repository.default_branch,
        title=f"Revert pin {rollout.pin.pin_id} to {stable.short}",
        body=body,
        labels=[LABEL],
    )
    Rollout.objects.filter(pk=rollout.pk).update(revert_url=pull.url, revert_error="")
    logger.info(
        "revert pull request opened",
        extra=_log_extra(rollout, url=pull.url),
    )
    return pull.url
