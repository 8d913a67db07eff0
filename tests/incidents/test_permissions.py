"""manage_incidents: engineers and admins have it; the migration that adds it
grants it to those who were members before it existed."""

import importlib

import pytest
from django.apps import apps
from guardian.shortcuts import remove_perm

from dashboard.domains import policy
from tests.factories import DomainFactory, UserFactory, member

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("dashboard.migrations.0008_incidents_action")


def test_engineers_and_admins_manage_incidents_viewers_and_reviewers_do_not():
    granted = {
        r
        for r in policy.Role
        if policy.Action.MANAGE_INCIDENTS in policy.actions_for(r)
    }
    assert granted == {policy.Role.ENGINEER, policy.Role.ADMIN}


def test_the_migration_grants_it_to_members_from_before():
    domain = DomainFactory()
    engineer, viewer = UserFactory(), UserFactory()
    member(engineer, domain, "engineer")
    member(viewer, domain, "viewer")
    # As they were before the action existed.
    remove_perm("dashboard.manage_incidents", engineer, domain)
    assert not engineer.has_perm("dashboard.manage_incidents", domain)
    MIGRATION.Migration.operations[-1].code(apps, None)  # the grant
    engineer = type(engineer).objects.get(pk=engineer.pk)  # fresh permission cache
    assert engineer.has_perm("dashboard.manage_incidents", domain)
    assert not viewer.has_perm("dashboard.manage_incidents", domain)
