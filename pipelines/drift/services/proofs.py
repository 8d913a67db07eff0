"""The ephemeral proof of a drift's migration, on a throwaway database: build
the live schema, seed weird rows, up, compare with the graph, down, compare with
the live schema, drop. Each step is timed and stored; only a proven migration
goes on to a pull request."""

import logging
import time
import uuid
from collections.abc import Callable

import psycopg
from django.conf import settings
from django.db import connections
from django.utils import timezone
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from config.tasks import enqueue_on_commit
from pipelines.drift import seeds
from pipelines.drift.diff import schema_diff
from pipelines.drift.introspect import schema_introspect
from pipelines.drift.models import DriftProof, ProofState, SchemaDrift
from pipelines.drift.services.checks import PULL_SYNC_TASK, STATUS_TASK
from pipelines.drift.sql import Step, build_steps

logger = logging.getLogger(__name__)

STEP_NAMES = (
    "create database",
    "build live schema",
    "seed rows",
    "up",
    "compare with graph",
    "down",
    "compare with live",
    "drop database",
)


class StepFailed(Exception):
    pass


def scratch_server_conninfo() -> str:
    """Where throwaway databases are made: DRIFT_SCRATCH_DATABASE_URL, else the
    control plane's own PostgreSQL server (its user needs CREATEDB)."""
    if settings.DRIFT_SCRATCH_DATABASE_URL:
        return settings.DRIFT_SCRATCH_DATABASE_URL
    db = connections["default"].settings_dict
    params = {
        "dbname": db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": str(db["PORT"]) if db.get("PORT") else None,
    }
    return make_conninfo(**{k: v for k, v in params.items() if v})


def execute_steps(conn: psycopg.Connection, steps: list[dict | Step]) -> None:
    """Run migration steps as `psql -f` runs the rendered file: phases 1 and 3
    each in one transaction, phase 2 statement by statement."""
    steps = [s if isinstance(s, dict) else s.as_json() for s in steps]
    for phase in (1, 2, 3):
        mine = [s for s in steps if s["phase"] == phase and s["active"] and s["sql"]]
        if not mine:
            continue
        if phase == 2:
            for step in mine:
                conn.execute(step["sql"])
        else:
            with conn.transaction():
                for step in mine:
                    conn.execute(step["sql"])


def without_opaque_defaults(schema: dict) -> dict:
    """`sql:` defaults are never executed (sql.py), so a proof cannot see them."""
    return {
        "entities": [
            {
                **e,
                "fields": [
                    {
                        **f,
                        "default": None
                        if (f["default"] or "").startswith("sql:")
                        else f["default"],
                    }
                    for f in e["fields"]
                ],
            }
            for e in schema["entities"]
        ]
    }


def _compare(conn, schema_name: str, wanted: dict) -> str:
    actual, _ = schema_introspect(conn, schema_name)
    left = schema_diff(without_opaque_defaults(actual), without_opaque_defaults(wanted))
    if left:
        shown = "; ".join(c.summary for c in left[:10])
        raise StepFailed(f"{len(left)} difference(s) remain: {shown}")
    return "identical"


def drift_prove(*, target_id: int, fingerprint: str) -> DriftProof | None:
    """Prove the target's current migration if it is still for `fingerprint`."""
    drift = (
        SchemaDrift.objects.using("default")
        .select_related("target", "live", "graph")
        .filter(target_id=target_id)
        .first()
    )
    if drift is None or drift.fingerprint != fingerprint or not drift.migration:
        return None  # the drift moved on since: its own proof is queued
    target = drift.target
    done = (
        DriftProof.objects.using("default")
        .filter(target=target, fingerprint=fingerprint)
        .exclude(state=ProofState.RUNNING)
        .first()
    )
    if done is not None and drift.proof_state == done.state:
        return done  # a redelivered task (at least once): proven already
    proof = DriftProof.objects.create(
        domain_id=drift.domain_id,
        target=target,
        fingerprint=fingerprint,
        state=ProofState.RUNNING,
        started_at=timezone.now(),
    )
    steps: list[dict] = []
    failed = ""
    server = scratch_server_conninfo()
    name = f"cp_drift_proof_{uuid.uuid4().hex[:16]}"
    timeout = int(settings.DRIFT_PROOF_STATEMENT_TIMEOUT_MS)
    schema_name = target.schema_name
    migration = drift.migration

    def run(step: str, action: Callable[[], str]) -> bool:
        nonlocal failed
        started = time.perf_counter()
        try:
            detail, ok = action() or "", True
        except (StepFailed, psycopg.Error, ValueError, KeyError) as exc:
            detail, ok = f"{type(exc).__name__}: {exc}"[:2000], False
            failed = failed or step
        steps.append(
            {
                "step": step,
                "ok": ok,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "detail": detail,
            }
        )
        return ok

    def create() -> str:
        with psycopg.connect(server, autocommit=True, connect_timeout=10) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    scratch: psycopg.Connection | None = None
    created = run("create database", create)
    try:
        if created:
            scratch = psycopg.connect(
                make_conninfo(server, dbname=name),
                autocommit=True,
                connect_timeout=10,
                options=f"-c statement_timeout={timeout}",
            )

            def build() -> str:
                if schema_name != "public":
                    scratch.execute(
                        sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema_name))
                    )
                execute_steps(scratch, build_steps(schema_name, drift.live.schema))
                return f"{len(drift.live.schema['entities'])} table(s)"

            plan = [
                ("build live schema", build),
                (
                    "seed rows",
                    lambda: seeds.seed(scratch, schema_name, drift.live.schema),
                ),
                ("up", lambda: _apply(scratch, migration["up"])),
                (
                    "compare with graph",
                    lambda: _compare(scratch, schema_name, migration["expected"]),
                ),
                ("down", lambda: _apply(scratch, migration["down"])),
                (
                    "compare with live",
                    lambda: _compare(scratch, schema_name, drift.live.schema),
                ),
            ]
            for step, action in plan:
                if not run(step, action):
                    break
    finally:
        if scratch is not None:
            scratch.close()
        if created:
            run("drop database", lambda: _drop(server, name))
    state = ProofState.FAILED if failed else ProofState.PASSED
    DriftProof.objects.filter(pk=proof.pk).update(
        state=state, steps=steps, failed_step=failed, finished_at=timezone.now()
    )
    proof.refresh_from_db()
    updated = SchemaDrift.objects.filter(pk=drift.pk, fingerprint=fingerprint).update(
        proof_state=state
    )
    if updated:
        if state == ProofState.PASSED:
            enqueue_on_commit(PULL_SYNC_TASK, target.pk, domain_id=drift.domain_id)
        else:
            enqueue_on_commit(STATUS_TASK, target.pk, domain_id=drift.domain_id)
    logger.info(
        "drift proof finished",
        extra={
            "target": target.name,
            "fingerprint": fingerprint[:8],
            "state": state,
            "failed_step": failed,
            "ms": proof.total_ms,
        },
    )
    return proof


def _apply(conn, steps: list[dict]) -> str:
    execute_steps(conn, steps)
    return f"{sum(1 for s in steps if s['active'] and s['sql'])} statement(s)"


def _drop(server: str, name: str) -> str:
    with psycopg.connect(server, autocommit=True, connect_timeout=10) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )
    return "dropped"


def database_name_of(conninfo: str) -> str:
    return conninfo_to_dict(conninfo).get("dbname", "")
