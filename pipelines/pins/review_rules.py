"""Pure rules of a pin change: the per-pin diff, its risk notes, whether the
rollout plan is valid, and the review verdict. Plain data in, plain data out."""

import difflib
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pipelines.pins.spec import DURATION_RE

MAX_FIRST_STAGE = 10
MAX_DIFF_LINES = 2000
VERSION_RE = re.compile(r"(\d+)(?:\.\d+)*")


def model_family(model: str) -> tuple[str, str, str]:
    """("openai", "gpt", "4") for openai/gpt-4.1-2025-04-14: provider, family
    (the name's leading letters) and major version (its first number)."""
    provider, _, name = model.partition("/")
    name = name.split("@", 1)[0]
    family = re.match(r"[A-Za-z-]*", name).group(0).strip("-").lower()
    major = VERSION_RE.search(name)
    return provider.lower(), family, major.group(1) if major else ""


def plan_problems(rollout: dict | None, slo_names: Iterable[str]) -> list[str]:
    """What is missing or wrong in a rollout plan (empty: the plan is valid)."""
    if not rollout:
        return [
            "rollout plan missing: add rollout: {stages: [5, 25, 50, 100], hold: 30m, "
            "guard_slo: <an SLO of the domain>, max_burn: 2}"
        ]
    problems = []
    stages = rollout.get("stages") or []
    if not stages:
        problems.append("rollout.stages missing")
    else:
        if any(b <= a for a, b in itertools.pairwise(stages)):
            problems.append(f"rollout.stages {stages} are not strictly ascending")
        if stages[-1] != 100:
            problems.append(f"rollout.stages end at {stages[-1]}%, not 100%")
        if stages[0] > MAX_FIRST_STAGE:
            problems.append(
                f"rollout.stages start at {stages[0]}%; the first stage is at most "
                f"{MAX_FIRST_STAGE}%"
            )
        if stages[0] <= 0:
            problems.append(
                "rollout.stages start at 0%: the first stage sends no traffic"
            )
    if not rollout.get("hold") or not DURATION_RE.match(str(rollout.get("hold"))):
        problems.append("rollout.hold missing (how long each stage holds, e.g. 30m)")
    guard = rollout.get("guard_slo")
    if not guard:
        problems.append("rollout.guard_slo missing (the SLO that guards the rollout)")
    elif guard not in set(slo_names):
        problems.append(f"rollout.guard_slo {guard!r} is not an SLO of this domain")
    if rollout.get("max_burn") is None:
        problems.append("rollout.max_burn missing (the burn rate that rolls back)")
    return problems


def prompt_diff(before: str, after: str, *, path_before: str, path_after: str) -> str:
    """A unified line diff of the prompt text (capped)."""
    lines = list(
        difflib.unified_diff(
            before.splitlines(),
            after.splitlines(),
            fromfile=f"a/{path_before}" if path_before else "/dev/null",
            tofile=f"b/{path_after}" if path_after else "/dev/null",
            lineterm="",
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        extra = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"… {extra} more lines"]
    return "\n".join(lines)


def field_changes(before: dict | None, after: dict | None) -> list[dict[str, Any]]:
    """[{field, before, after}] for model, params (per name), rollout, owners."""
    before, after = before or {}, after or {}
    changes = []
    for name in ("kind", "model", "prompt", "owners", "approvals", "rollout"):
        if before.get(name) != after.get(name):
            changes.append(
                {"field": name, "before": before.get(name), "after": after.get(name)}
            )
    b_params, a_params = before.get("params") or {}, after.get("params") or {}
    for name in sorted(set(b_params) | set(a_params)):
        if b_params.get(name) != a_params.get(name):
            changes.append(
                {
                    "field": f"params.{name}",
                    "before": b_params.get(name),
                    "after": a_params.get(name),
                }
            )
    return changes


def risk_notes(
    *,
    before: dict | None,
    after: dict | None,
    prompt_before: str | None,
    prompt_after: str | None,
    slo_names: Iterable[str],
) -> list[str]:
    """What a reviewer should look at twice."""
    notes: list[str] = []
    if after is None:
        return ["pin removed: the application loses this pin"]
    before = before or {}
    b_model, a_model = before.get("model") or "", after.get("model") or ""
    if b_model and a_model and b_model != a_model:
        b_p, b_f, b_m = model_family(b_model)
        a_p, a_f, a_m = model_family(a_model)
        if (b_p, b_f) != (a_p, a_f):
            notes.append(f"model family changed: {b_model} → {a_model}")
        elif b_m != a_m:
            notes.append(f"model major version changed: {b_model} → {a_model}")
    b_params, a_params = before.get("params") or {}, after.get("params") or {}
    b_t, a_t = b_params.get("temperature"), a_params.get("temperature")
    if isinstance(a_t, int | float) and isinstance(b_t, int | float) and a_t > b_t:
        notes.append(f"temperature raised: {b_t} → {a_t}")
    b_mt, a_mt = b_params.get("max_tokens"), a_params.get("max_tokens")
    if isinstance(a_mt, int) and isinstance(b_mt, int) and a_mt < b_mt:
        notes.append(f"max tokens cut: {b_mt} → {a_mt}")
    if prompt_before and prompt_after is not None:
        b_len, a_len = len(prompt_before), len(prompt_after)
        change = (a_len - b_len) / b_len * 100
        if abs(change) >= 50:
            notes.append(
                f"prompt length {'+' if change > 0 else ''}{change:.0f}% "
                f"({b_len} → {a_len} characters)"
            )
    rollout = after.get("rollout")
    stages = (rollout or {}).get("stages") or []
    if not rollout:
        notes.append("rollout plan missing")
    elif stages and (
        stages[0] > MAX_FIRST_STAGE or stages[-1] != 100 or len(stages) < 2
    ):
        notes.append(f"rollout plan skips stages: {stages}")
    guard = (rollout or {}).get("guard_slo")
    if guard and guard not in set(slo_names):
        notes.append(f"guard SLO unknown: {guard!r}")
    return notes


# --- The review verdict ----------------------------------------------------------
@dataclass(frozen=True)
class ReviewView:
    """One reviewer's latest review, as the rules see it."""

    reviewer: str
    verdict: str  # "approve" | "request_changes"
    stale: bool
    owner_of: frozenset[str] = frozenset()  # pin ids whose owners include them


@dataclass
class PinNeed:
    pin_id: str
    required: int
    owners: tuple[str, ...] = ()


@dataclass
class ReviewOutcome:
    state: str  # success | pending | failure
    description: str
    approvals: int
    required: int
    blockers: list[str] = field(default_factory=list)


def review_outcome(
    *,
    reviews: list[ReviewView],
    needs: list[PinNeed],
    plan_problems_by_pin: dict[str, list[str]],
    file_error: str = "",
) -> ReviewOutcome:
    """The verdict of `controlplane/pin-review` for a proposal."""
    if file_error:
        return ReviewOutcome("failure", f"pins file invalid: {file_error}", 0, 0)
    if not needs:
        return ReviewOutcome("success", "no pin changes", 0, 0)
    requesting = sorted(r.reviewer for r in reviews if r.verdict == "request_changes")
    approving = [r for r in reviews if r.verdict == "approve" and not r.stale]
    required = max(n.required for n in needs)
    # The count shown is the weakest pin's: every pin must reach its own need.
    counts = []
    short = []
    for need in needs:
        if need.owners:
            got = sum(1 for r in approving if need.pin_id in r.owner_of)
        else:
            got = len(approving)
        counts.append(got)
        if got < need.required:
            short.append(need)
    approvals = min(counts)
    if requesting:
        who = ", ".join(requesting)
        return ReviewOutcome(
            "failure", f"changes requested by {who}", approvals, required, requesting
        )
    reasons = []
    if short:
        reasons.append(f"{approvals} of {required} approvals")
        owned = [n.pin_id for n in short if n.owners]
        if owned:
            reasons.append(f"an owner of {', '.join(owned)} must approve")
    plan_missing = sorted(pid for pid, p in plan_problems_by_pin.items() if p)
    if plan_missing:
        first = plan_problems_by_pin[plan_missing[0]][0]
        reasons.append(
            "rollout plan missing"
            if first.startswith("rollout plan missing")
            else f"rollout plan invalid ({plan_missing[0]}: {first})"
        )
    if reasons:
        return ReviewOutcome("pending", "; ".join(reasons), approvals, required)
    return ReviewOutcome(
        "success",
        f"{approvals} of {required} approvals; rollout plan ok",
        approvals,
        required,
    )
