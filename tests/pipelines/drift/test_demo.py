"""load_demo gives the payments domain a schema target with a drift to look at,
once however often it runs."""

import pytest
from django.core.management import call_command

from pipelines.drift.models import SchemaDocument, SchemaTarget
from pipelines.drift.services import checks

pytestmark = pytest.mark.django_db


def test_load_demo_adds_a_drifting_target_once(
    tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        call_command("load_demo", stdout=open(tmp_path / "out", "w"))  # noqa: SIM115
        call_command("load_demo", stdout=open(tmp_path / "out", "w"))  # noqa: SIM115
    target = SchemaTarget.objects.get(domain__slug="payments")
    assert SchemaDocument.objects.filter(target=target).count() == 2
    with django_capture_on_commit_callbacks(execute=False):
        drift = checks.drift_check(target_id=target.pk)
    summaries = {c["kind"] for c in drift.changes}
    assert {
        "add_table",
        "set_not_null",
        "drop_column",
        "add_column",
        "add_index",
    } <= summaries
    assert drift.risk == "destructive"
    assert any(c["possible_rename"] for c in drift.changes)
