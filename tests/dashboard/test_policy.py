"""The policy matrix is snapshotted in docs/policy-matrix.json, and guardian's rows
always equal what a member's role grants."""

import json
import os
from pathlib import Path

import pytest
from guardian.models import UserObjectPermission

from dashboard.domains import policy, services
from tests.factories import DomainFactory, UserFactory, member

SNAPSHOT = Path(__file__).resolve().parents[2] / "docs" / "policy-matrix.json"
REGENERATE = "UPDATE_POLICY_SNAPSHOT=1 pytest tests/dashboard/test_policy.py"


def _render(snapshot: dict) -> str:
    return json.dumps(snapshot, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_policy_matrix_matches_the_reviewed_snapshot():
    current = policy.matrix_snapshot()
    if os.environ.get("UPDATE_POLICY_SNAPSHOT") == "1":
        SNAPSHOT.write_text(_render(current), encoding="utf-8")
    assert SNAPSHOT.is_file(), f"{SNAPSHOT} is missing. Create it with: {REGENERATE}"
    recorded = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    if recorded != current:
        changes = [
            f"  {role}.{action}: snapshot {recorded.get(role, {}).get(action)} "
            f"→ code {allowed}"
            for role, actions in current.items()
            for action, allowed in actions.items()
            if recorded.get(role, {}).get(action) != allowed
        ] + [
            f"  {role}.{action}: only in the snapshot"
            for role, actions in recorded.items()
            for action in actions
            if action not in current.get(role, {})
        ]
        pytest.fail(
            "dashboard/policy.py and docs/policy-matrix.json disagree:\n"
            + "\n".join(changes)
            + f"\nIf the change is intended, regenerate the snapshot with\n  {REGENERATE}"
            "\nand have the diff of docs/policy-matrix.json reviewed.",
            pytrace=False,
        )
    # The file is byte-for-byte what the generator writes, so diffs stay minimal.
    assert SNAPSHOT.read_text(encoding="utf-8") == _render(current)


def test_snapshot_covers_every_role_and_action():
    recorded = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert set(recorded) == {r.value for r in policy.Role}
    for actions in recorded.values():
        assert set(actions) == {a.value for a in policy.Action} | {
            f"token_scope:{s.value}" for s in policy.TokenScope
        }


def test_every_token_scope_names_the_action_it_needs():
    assert set(policy.SCOPE_REQUIRES) == set(policy.TokenScope.values)
    assert set(policy.SCOPE_REQUIRES.values()) <= set(policy.Action.values)
    # Replacing budgets is a domain admin's right, so is minting a token for it.
    assert policy.scope_allowed("budgets", policy.actions_for("admin"))
    assert not policy.scope_allowed("budgets", policy.actions_for("engineer"))
    assert policy.scope_allowed("ci", policy.actions_for("engineer"))


def test_the_policy_says_what_the_issue_says():
    """The roles as the product defines them, in words, not just in the snapshot."""
    can = policy.actions_for
    assert can("viewer") == {"browse_domain"}
    assert {"manage_tokens", "manage_ci", "trigger_scans"} <= can("engineer")
    assert "review_changes" not in can("engineer")
    assert "review_changes" in can("reviewer") and "manage_tokens" not in can(
        "reviewer"
    )
    assert {"manage_slos", "manage_budgets", "manage_members"} <= can("admin")
    # The domain's settings (repositories, webhook setup) are an admin's alone.
    assert "manage_settings" in can("admin")
    for role in ("viewer", "engineer", "reviewer"):
        assert "manage_settings" not in can(role)
    for role in policy.Role:
        assert "browse_domain" in can(role)


def _guardian_rows(user, domain) -> set[str]:
    return set(
        UserObjectPermission.objects.filter(
            user=user, object_pk=str(domain.pk)
        ).values_list("permission__codename", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "steps",
    [
        ["viewer", "admin", "viewer"],
        ["engineer", "reviewer", "engineer"],
        ["admin", "reviewer", "viewer", "engineer", "admin"],
    ],
)
def test_guardian_rows_follow_the_role_through_add_change_and_remove(steps):
    user = UserFactory()
    domain, other = DomainFactory(), DomainFactory()
    member(user, other, "admin")
    for role in steps:
        membership = member(user, domain, role)
        assert _guardian_rows(user, domain) == set(policy.actions_for(role))
        # A fresh user object: guardian's per-instance cache must not hide a change.
        fresh = type(user).objects.get(pk=user.pk)
        for action in policy.Action:
            assert fresh.has_perm(policy.permission(action), domain) == (
                action in policy.actions_for(role)
            )
    services.membership_remove(membership=membership)
    assert _guardian_rows(user, domain) == set()
    # Another domain's grants are untouched by changes in this one.
    assert _guardian_rows(user, other) == set(policy.actions_for("admin"))


def test_the_table_in_docs_roles_md_matches_the_policy():
    doc = (SNAPSHOT.parent / "roles.md").read_text(encoding="utf-8")
    header = next(line for line in doc.splitlines() if line.startswith("| action |"))
    labels = [cell.strip() for cell in header.strip("|").split("|")[1:]]
    roles = [
        policy.Role(next(r for r in policy.Role if r.label == lbl)) for lbl in labels
    ]
    rows = {}
    for line in doc.splitlines():
        if line.startswith("| `") and "—" in line.split("|")[1]:
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            action = cells[0].split("`")[1]
            rows[action] = [cell == "✓" for cell in cells[1:]]
    snapshot = policy.matrix_snapshot()
    assert set(rows) == set(snapshot["viewer"]), "docs/roles.md misses actions"
    for action, marks in rows.items():
        for role, allowed in zip(roles, marks, strict=True):
            assert allowed == snapshot[role][action], (
                f"docs/roles.md says {role.value}.{action} is {allowed}"
            )


@pytest.mark.django_db
def test_resync_brings_rows_in_line_after_the_policy_changed(monkeypatch):
    user, domain = UserFactory(), DomainFactory()
    member(user, domain, "viewer")
    changed = dict(policy.MATRIX)
    changed[policy.Role.VIEWER] = frozenset({"browse_domain", "view_audit"})
    monkeypatch.setattr(policy, "MATRIX", changed)
    assert _guardian_rows(user, domain) == {"browse_domain"}
    assert services.membership_resync_all() == 1
    assert _guardian_rows(user, domain) == {"browse_domain", "view_audit"}
