"""The ephemeral proof: a throwaway database is made, the live schema built and
seeded with weird rows, up applied and compared, down applied and compared, the
database dropped; every step timed. A broken migration fails at its step."""

import psycopg
import pytest

from pipelines.drift.models import DriftProof, ProofState, SchemaDrift
from pipelines.drift.services import checks, documents, proofs
from tests.pipelines.drift.conftest import LIVE, graph_with, server_conninfo
from tests.pipelines.factories import sha_for

pytestmark = pytest.mark.django_db


def proof_databases() -> set[str]:
    with psycopg.connect(server_conninfo(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'cp_drift_proof_%'"
        ).fetchall()
    return {r[0] for r in rows}


def drift_for(target, graph, *, capture) -> SchemaDrift:
    repo = target.domain.repositories.get()
    with capture(execute=False):
        documents.schema_document_record(
            target=target,
            source="snapshot",
            document=LIVE,
            repository=repo,
            commit_sha=sha_for("live"),
        )
        documents.schema_document_record(
            target=target,
            source="graph",
            document=graph,
            repository=repo,
            commit_sha=sha_for("graph"),
        )
        return checks.drift_check(target_id=target.pk)


def test_a_good_migration_is_proven(target, django_capture_on_commit_callbacks):
    drift = drift_for(
        target, graph_with(tightening=True), capture=django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=False):
        proof = proofs.drift_prove(target_id=target.pk, fingerprint=drift.fingerprint)
    assert proof.state == ProofState.PASSED, proof.steps
    assert [s["step"] for s in proof.steps] == list(proofs.STEP_NAMES)
    assert all(s["ok"] and s["ms"] >= 0 for s in proof.steps)
    seeded = next(s for s in proof.steps if s["step"] == "seed rows")
    assert seeded["detail"] == "6 row(s)"
    drift.refresh_from_db()
    assert drift.proof_state == ProofState.PASSED
    made = proof.steps[0]["detail"]
    assert made.startswith("cp_drift_proof_")
    assert made not in proof_databases()  # dropped (others' may come and go)


def test_a_broken_down_migration_fails_the_proof(
    target, django_capture_on_commit_callbacks
):
    drift = drift_for(target, graph_with(), capture=django_capture_on_commit_callbacks)
    # Deliberately break down: forget to drop the table up created.
    migration = drift.migration
    migration["down"] = [s for s in migration["down"] if "DROP TABLE" not in s["sql"]]
    SchemaDrift.objects.filter(pk=drift.pk).update(migration=migration)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        proof = proofs.drift_prove(target_id=target.pk, fingerprint=drift.fingerprint)
    assert proof.state == ProofState.FAILED
    assert proof.failed_step == "compare with live"
    failed = next(s for s in proof.steps if not s["ok"])
    assert "drop table refunds" in failed["detail"]
    assert proof.steps[-1]["step"] == "drop database" and proof.steps[-1]["ok"]
    drift.refresh_from_db()
    assert drift.proof_state == ProofState.FAILED
    # No pull request is asked for; the status says the proof failed.
    assert len(callbacks) == 1


def test_a_migration_that_breaks_on_data_fails_at_up(
    target, django_capture_on_commit_callbacks
):
    graph = graph_with(additive=False)
    graph["entities"][0]["fields"][1]["max_length"] = 3  # email varchar(200) -> (3)
    drift = drift_for(target, graph, capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        proof = proofs.drift_prove(target_id=target.pk, fingerprint=drift.fingerprint)
    assert proof.failed_step == "up"
    assert "too long" in next(s for s in proof.steps if s["step"] == "up")["detail"]


def test_a_stale_fingerprint_is_not_proven(target, django_capture_on_commit_callbacks):
    drift_for(target, graph_with(), capture=django_capture_on_commit_callbacks)
    assert proofs.drift_prove(target_id=target.pk, fingerprint="0" * 64) is None
    assert not DriftProof.objects.exists()


def test_a_redelivered_proof_task_does_not_prove_again(
    target, django_capture_on_commit_callbacks
):
    drift = drift_for(target, graph_with(), capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        first = proofs.drift_prove(target_id=target.pk, fingerprint=drift.fingerprint)
        again = proofs.drift_prove(target_id=target.pk, fingerprint=drift.fingerprint)
    assert again == first
    assert DriftProof.objects.count() == 1
