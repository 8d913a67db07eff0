"""Idempotency-Key under concurrency: two requests with one key at the same
time have one effect and the same answer."""

import json
import threading
import time

import pytest
from django.db import connections
from django.test import Client

from pipelines.ingest.services import runs
from pipelines.models import IdempotencyRecord, Run

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_requests_with_one_key_have_one_effect(ci_token, monkeypatch):
    original = runs.run_upsert

    def slow_upsert(**kwargs):
        time.sleep(0.5)  # keep the first request's transaction open
        return original(**kwargs)

    monkeypatch.setattr(runs, "run_upsert", slow_upsert)
    body = json.dumps(
        {
            "provider": "buildkite",
            "external_id": "bk-1",
            "repository": "octo-org/octo-repo",
            "commit_sha": "3484a3fb816e0859fd6e1cea078d76385ff50625",
            "status": "queued",
        }
    )
    barrier = threading.Barrier(2)
    answers: list = []

    def post() -> None:
        try:
            barrier.wait()
            response = Client().post(
                "/api/v1/ci/runs",
                body,
                content_type="application/json",
                headers={
                    "Authorization": f"Bearer {ci_token}",
                    "Idempotency-Key": "race",
                },
            )
            answers.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [status for status, _ in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]
    assert Run.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_old_keys_are_purged_and_recent_ones_kept(ci_domain):
    from datetime import timedelta

    from django.utils import timezone

    from pipelines.ingest.tasks import purge_idempotency_keys_task

    old = IdempotencyRecord.objects.create(
        domain=ci_domain, key="old", method="POST", path="/x", request_hash="a"
    )
    IdempotencyRecord.objects.create(
        domain=ci_domain, key="new", method="POST", path="/x", request_hash="b"
    )
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=8)
    )
    assert purge_idempotency_keys_task.apply().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
