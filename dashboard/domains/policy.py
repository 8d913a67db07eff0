"""Who may do what, per domain: the only place that says so.

Roles are per domain. Each role grants a set of actions; each action is a
django-guardian object permission on the Domain. The matrix is snapshotted by
tests/dashboard/test_policy.py into docs/policy-matrix.json, so any change to it
shows up as a reviewed diff.
"""

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    ENGINEER = "engineer", "Engineer"
    REVIEWER = "reviewer", "Reviewer"
    ADMIN = "admin", "Domain admin"


class Action(models.TextChoices):
    BROWSE = "browse_domain", "Browse the domain's pages"
    MANAGE_TOKENS = "manage_tokens", "Create and revoke ingest tokens"
    MANAGE_CI = "manage_ci", "Change CI settings"
    MANAGE_SETTINGS = (
        "manage_settings",
        "Change the domain's settings (repositories, webhook setup)",
    )
    TRIGGER_SCANS = "trigger_scans", "Trigger scans and replays"
    REVIEW_CHANGES = "review_changes", "Approve or reject prompt and model changes"
    PROPOSE_CHANGES = "propose_changes", "Propose prompt and model changes"
    MANAGE_SLOS = "manage_slos", "Define and change SLOs"
    MANAGE_BUDGETS = "manage_budgets", "Change performance and query-plan budgets"
    MANAGE_MEMBERS = "manage_members", "Add, remove and change members"
    VIEW_AUDIT = "view_audit", "Read the domain's audit log"
    MANAGE_INCIDENTS = (
        "manage_incidents",
        "Add incident notes, milestones, postmortems and learnings",
    )


_ENGINEER = {
    Action.BROWSE,
    Action.MANAGE_TOKENS,
    Action.MANAGE_CI,
    Action.TRIGGER_SCANS,
    Action.MANAGE_INCIDENTS,
    Action.PROPOSE_CHANGES,
}

# Domain admins run the domain but do not review prompt/model changes: that stays
# with reviewers, so approving is always a separate person's act. The domain's
# settings (which repositories feed it, the webhook's setup) are theirs alone:
# mapping a repository decides whose CI lands in the domain.
MATRIX: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({Action.BROWSE}),
    Role.ENGINEER: frozenset(_ENGINEER),
    Role.REVIEWER: frozenset(
        {Action.BROWSE, Action.REVIEW_CHANGES, Action.PROPOSE_CHANGES}
    ),
    Role.ADMIN: frozenset(
        _ENGINEER
        | {
            Action.MANAGE_SLOS,
            Action.MANAGE_BUDGETS,
            Action.MANAGE_MEMBERS,
            Action.VIEW_AUDIT,
            Action.MANAGE_SETTINGS,
        }
    ),
}


def actions_for(role: str) -> frozenset[str]:
    return MATRIX[Role(role)]


def permission(action: str) -> str:
    """The guardian permission name for an action ("dashboard.manage_tokens")."""
    return f"dashboard.{Action(action).value}"


# Scopes an ingest token may carry.
class TokenScope(models.TextChoices):
    CI = "ci", "CI runs, test results, performance, query plans; reading budgets"
    BUDGETS = "budgets", "Replacing the domain's performance and query-plan budgets"
    SLO = "slo", "SLI data; reading SLOs, their status and alerts"
    SLO_DEFINITIONS = "slo_definitions", "Importing and changing SLO definitions"
    INCIDENTS = "incidents", "Incident reports"
    SCHEMA = "schema", "Entity graphs and schema snapshots"
    PINS = "pins", "Reading current pins and their rollout stage"
    REVIEWS = "reviews", "Reviewing prompt and model changes as the token's creator"


# The action a person needs to mint a token with a scope, and to keep using it: a
# token never grants more than its creator's current role allows. Tokens minted
# by an operator (`create_ingest_token`, no creator) are not bound to a role.
SCOPE_REQUIRES: dict[str, str] = {
    scope.value: action.value
    for scope, action in [
        (TokenScope.CI, Action.MANAGE_TOKENS),
        (TokenScope.BUDGETS, Action.MANAGE_BUDGETS),
        (TokenScope.SLO, Action.MANAGE_TOKENS),
        (TokenScope.SLO_DEFINITIONS, Action.MANAGE_SLOS),
        (TokenScope.INCIDENTS, Action.MANAGE_TOKENS),
        (TokenScope.SCHEMA, Action.MANAGE_TOKENS),
        (TokenScope.PINS, Action.MANAGE_TOKENS),
        (TokenScope.REVIEWS, Action.REVIEW_CHANGES),
    ]
}


def scope_allowed(scope: str, actions: frozenset[str]) -> bool:
    """May someone who holds `actions` mint (and keep using) a token with `scope`?"""
    return SCOPE_REQUIRES[TokenScope(scope).value] in actions


def matrix_snapshot() -> dict[str, dict[str, bool]]:
    """Role × action (and role × token scope, as `token_scope:<scope>`) as plain
    JSON, for the policy snapshot test and the docs."""
    return {
        role.value: {action.value: action in MATRIX[role] for action in Action}
        | {
            f"token_scope:{scope.value}": scope_allowed(scope, MATRIX[role])
            for scope in TokenScope
        }
        for role in Role
    }
