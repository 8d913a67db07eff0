"""The pure rules of a pin change: plan validity, risk notes, the verdict."""

import itertools

from hypothesis import given
from hypothesis import strategies as st

from pipelines.pins.review_rules import (
    PinNeed,
    ReviewView,
    field_changes,
    plan_problems,
    prompt_diff,
    review_outcome,
    risk_notes,
)

PLAN = {
    "stages": [5, 25, 50, 100],
    "hold": "30m",
    "guard_slo": "checkout-latency",
    "max_burn": 2,
}
SLOS = {"checkout-latency"}


def test_a_good_plan_has_no_problems():
    assert plan_problems(PLAN, SLOS) == []


def test_each_missing_piece_of_the_plan_is_named():
    assert plan_problems(None, SLOS)[0].startswith("rollout plan missing")
    problems = plan_problems({"stages": [25, 20, 90]}, SLOS)
    assert "rollout.stages [25, 20, 90] are not strictly ascending" in problems
    assert "rollout.stages end at 90%, not 100%" in problems
    assert "rollout.stages start at 25%; the first stage is at most 10%" in problems
    assert any(p.startswith("rollout.hold missing") for p in problems)
    assert any(p.startswith("rollout.guard_slo missing") for p in problems)
    assert any(p.startswith("rollout.max_burn missing") for p in problems)
    unknown = plan_problems({**PLAN, "guard_slo": "nope"}, SLOS)
    assert unknown == ["rollout.guard_slo 'nope' is not an SLO of this domain"]


@given(st.lists(st.integers(0, 100), min_size=1, max_size=8))
def test_a_plan_is_valid_exactly_when_its_stages_are(stages):
    valid = (
        all(b > a for a, b in itertools.pairwise(stages))
        and stages[-1] == 100
        and 0 < stages[0] <= 10
    )
    assert (plan_problems({**PLAN, "stages": stages}, SLOS) == []) == valid


def test_risk_notes_say_what_to_look_at():
    before = {
        "model": "openai/gpt-4.1-2025-04-14",
        "params": {"temperature": 0.2, "max_tokens": 800},
        "rollout": PLAN,
    }
    after = {
        "model": "anthropic/claude-3-5-sonnet-20241022",
        "params": {"temperature": 0.7, "max_tokens": 400},
    }
    notes = risk_notes(
        before=before,
        after=after,
        prompt_before="x" * 100,
        prompt_after="x" * 160,
        slo_names=SLOS,
    )
    assert notes == [
        "model family changed: openai/gpt-4.1-2025-04-14 → anthropic/claude-3-5-sonnet-20241022",
        "temperature raised: 0.2 → 0.7",
        "max tokens cut: 800 → 400",
        "prompt length +60% (100 → 160 characters)",
        "rollout plan missing",
    ]
    major = risk_notes(
        before={"model": "openai/gpt-4.1-2025-04-14"},
        after={
            "model": "openai/gpt-5-2025-08-07",
            "rollout": {**PLAN, "stages": [50, 100], "guard_slo": "x"},
        },
        prompt_before=None,
        prompt_after=None,
        slo_names=SLOS,
    )
    assert major == [
        "model major version changed: openai/gpt-4.1-2025-04-14 → openai/gpt-5-2025-08-07",
        "rollout plan skips stages: [50, 100]",
        "guard SLO unknown: 'x'",
    ]
    same = risk_notes(
        before=before,
        after={**before, "params": {"temperature": 0.1, "max_tokens": 900}},
        prompt_before="abc",
        prompt_after="abd",
        slo_names=SLOS,
    )
    assert same == []


def test_the_diff_names_fields_and_prompt_lines():
    changes = field_changes(
        {"model": "a/b-2025-01-01", "params": {"t": 1}},
        {"model": "a/b-2025-02-01", "params": {"t": 2, "u": 3}},
    )
    assert changes == [
        {"field": "model", "before": "a/b-2025-01-01", "after": "a/b-2025-02-01"},
        {"field": "params.t", "before": 1, "after": 2},
        {"field": "params.u", "before": None, "after": 3},
    ]
    diff = prompt_diff(
        "Be brief.\nSay thanks.\n",
        "Be brief.\nSay thank you.\n",
        path_before="p.md",
        path_after="p.md",
    )
    assert "-Say thanks." in diff and "+Say thank you." in diff and "--- a/p.md" in diff


def view(name, verdict="approve", stale=False, owner_of=()):
    return ReviewView(name, verdict, stale, frozenset(owner_of))


def test_the_verdict_counts_fresh_approvals_against_the_need():
    needs = [PinNeed("p", 2)]
    ok_plan = {"p": []}
    pending = review_outcome(
        reviews=[view("ann")], needs=needs, plan_problems_by_pin=ok_plan
    )
    assert (pending.state, pending.description) == ("pending", "1 of 2 approvals")
    stale = review_outcome(
        reviews=[view("ann"), view("bob", stale=True)],
        needs=needs,
        plan_problems_by_pin=ok_plan,
    )
    assert stale.description == "1 of 2 approvals"
    done = review_outcome(
        reviews=[view("ann"), view("bob")], needs=needs, plan_problems_by_pin=ok_plan
    )
    assert (done.state, done.description) == (
        "success",
        "2 of 2 approvals; rollout plan ok",
    )
    blocked = review_outcome(
        reviews=[view("ann"), view("bob"), view("cy", "request_changes", stale=True)],
        needs=needs,
        plan_problems_by_pin=ok_plan,
    )
    assert (blocked.state, blocked.description) == (
        "failure",
        "changes requested by cy",
    )
    no_plan = review_outcome(
        reviews=[view("ann")],
        needs=[PinNeed("p", 2)],
        plan_problems_by_pin={"p": ["rollout plan missing: add"]},
    )
    assert no_plan.description == "1 of 2 approvals; rollout plan missing"


def test_owners_must_approve_their_pin():
    needs = [PinNeed("p", 1, ("payments-reviewers",))]
    outsider = review_outcome(
        reviews=[view("ann")], needs=needs, plan_problems_by_pin={"p": []}
    )
    assert outsider.state == "pending"
    assert outsider.description == "0 of 1 approvals; an owner of p must approve"
    owner = review_outcome(
        reviews=[view("ann", owner_of={"p"})],
        needs=needs,
        plan_problems_by_pin={"p": []},
    )
    assert owner.state == "success"


def test_no_pin_change_and_a_broken_file():
    assert (
        review_outcome(reviews=[], needs=[], plan_problems_by_pin={}).description
        == "no pin changes"
    )
    broken = review_outcome(
        reviews=[], needs=[], plan_problems_by_pin={}, file_error="not YAML"
    )
    assert (broken.state, broken.description) == (
        "failure",
        "pins file invalid: not YAML",
    )


lines = st.lists(st.text(alphabet="abc ☃\t", max_size=6), max_size=8)


@given(lines, lines)
def test_the_prompt_diff_only_names_lines_that_were_there(before, after):
    a, b = "\n".join(before), "\n".join(after)
    diff = prompt_diff(a, b, path_before="p.md", path_after="p.md")
    if a.splitlines() == b.splitlines():
        assert diff == ""
        return
    body = [
        line for line in diff.splitlines() if not line.startswith(("---", "+++", "@@"))
    ]
    assert {line[1:] for line in body if line.startswith("-")} <= set(a.splitlines())
    assert {line[1:] for line in body if line.startswith("+")} <= set(b.splitlines())
