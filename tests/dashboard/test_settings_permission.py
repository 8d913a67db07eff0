"""manage_settings: only domain admins hold it (the settings page); the
migration that adds it grants it to the admins who were members before it
existed, and to nobody else."""

import importlib

import pytest
from django.apps import apps
from guardian.shortcuts import remove_perm

from dashboard.domains import policy
from tests.factories import DomainFactory, UserFactory, member

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("dashboard.migrations.0010_manage_settings_action")


def test_only_domain_admins_manage_the_settings():
    granted = {
        r for r in policy.Role if policy.Action.MANAGE_SETTINGS in policy.actions_for(r)
    }
    assert granted == {policy.Role.ADMIN}


def test_the_migration_grants_it_to_admins_from_before_and_to_no_one_else():
    domain = DomainFactory()
    admin, engineer = UserFactory(), UserFactory()
    member(admin, domain, "admin")
    member(engineer, domain, "engineer")
    # As they were before the action existed.
    remove_perm("dashboard.manage_settings", admin, domain)
    assert not admin.has_perm("dashboard.manage_settings", domain)
    MIGRATION.Migration.operations[-1].code(apps, None)
    MIGRATION.Migration.operations[-1].code(
        apps, None
    )  # twice: no second row, no error
    admin = type(admin).objects.get(pk=admin.pk)  # fresh permission cache
    assert admin.has_perm("dashboard.manage_settings", domain)
    assert not engineer.has_perm("dashboard.manage_settings", domain)
    MIGRATION.Migration.operations[-1].reverse_code(apps, None)
    admin = type(admin).objects.get(pk=admin.pk)
    assert not admin.has_perm("dashboard.manage_settings", domain)
