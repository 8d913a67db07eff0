"""GitHub webhook deliveries: verify, store before answering, process once."""

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime

from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from config.tasks import enqueue_on_commit, publish_light_on_commit
from dashboard.board.warming import warm_caches_task
from dashboard.domains.models import Repository
from dashboard.platform.cleaning import fit, json_clean, notes_collected, text_clean
from dashboard.platform.models import OutboxState
from dashboard.platform.services import outbox_row_replay
from dashboard.platform.upserts import insert_values_unless_present
from pipelines.ingest.models import (
    Deployment,
    Provider,
    PullRequest,
    Push,
    ReportedStatus,
    WebhookDelivery,
)
from pipelines.ingest.services import runs as run_services
from pipelines.ingest.signals import (
    deployment_status_seen,
    pull_request_received,
    push_received,
)

logger = logging.getLogger(__name__)

# GitHub's documented maximum payload size.
MAX_BODY_BYTES = 25 * 1024 * 1024

# The PermissionDenial action of a delivery refused for its signature.
SIGNATURE_DENIAL_ACTION = "webhook.github_signature"

PROCESSED_EVENTS = (
    "workflow_run",
    "workflow_job",
    "check_suite",
    "check_run",
    "pull_request",
    "push",
    "deployment",
    "deployment_status",
    "status",
)


def webhook_secrets() -> tuple[str, ...]:
    """The secrets a delivery may be signed with: the current one and, during a
    rotation, the previous one (GITHUB_WEBHOOK_SECRET_PREVIOUS)."""
    return tuple(
        secret
        for secret in (
            settings.GITHUB_WEBHOOK_SECRET,
            getattr(settings, "GITHUB_WEBHOOK_SECRET_PREVIOUS", ""),
        )
        if secret
    )


class SignatureCheck:
    """X-Hub-Signature-256 (`sha256=` + hex HMAC-SHA256 of the raw body) checked
    while the body streams in: feed each chunk to `update`, then ask `valid()`.
    No second pass over a 25 MB body. Every secret is tried, each compared in
    constant time, so the answer's timing says neither which secret matched nor
    how much of the signature did."""

    def __init__(self, *, header: str | None, secrets: tuple[str, ...]):
        prefix = "sha256="
        self._claimed = (
            header[len(prefix) :].strip().lower()
            if header and header.startswith(prefix)
            else None
        )
        self._macs = (
            [hmac.new(s.encode(), digestmod=hashlib.sha256) for s in secrets if s]
            if self._claimed is not None
            else []
        )

    def update(self, chunk: bytes) -> None:
        for mac in self._macs:
            mac.update(chunk)

    def valid(self) -> bool:
        valid = False
        for mac in self._macs:
            valid |= hmac.compare_digest(mac.hexdigest(), self._claimed)
        return valid


def signature_valid(
    *, body: bytes, header: str | None, secrets: tuple[str, ...]
) -> bool:
    """The same check over a body already read."""
    check = SignatureCheck(header=header, secrets=secrets)
    check.update(body)
    return check.valid()


def signature_for(body: bytes, secret: str | None = None) -> str:
    """The header GitHub would send for `body` (for tests and tooling)."""
    secret = settings.GITHUB_WEBHOOK_SECRET if secret is None else secret
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery_accept(
    *,
    delivery_id: str,
    event: str,
    body: bytes,
    payload: dict,
    hook_id: str = "",
    request_id: str = "",
) -> tuple[bool, str]:
    """Store a verified delivery (once per X-GitHub-Delivery) and enqueue it;
    whether it is new, and its state (a new one's is the field's default: no
    model instance is built for it).

    One statement per new delivery (`INSERT … ON CONFLICT (delivery_id) DO
    NOTHING RETURNING id`, no savepoint), then one LPUSH once it is committed;
    the sweeper publishes again whatever that LPUSH missed. A redelivery of a
    known id only counts the duplicate: no second effect.
    """
    values = _delivery_values(delivery_id, event, body, payload, hook_id, request_id)
    if _delivery_stored(values, event) is not None:
        return True, NEW_DELIVERY_STATE
    return False, _duplicate_seen(values, event).state


# The state of a delivery just stored (`state` is not among the inserted values).
NEW_DELIVERY_STATE: str = WebhookDelivery._meta.get_field("state").get_default()


def _delivery_values(
    delivery_id: str,
    event: str,
    body: bytes,
    payload: dict,
    hook_id: str,
    request_id: str,
) -> dict:
    repository = payload.get("repository")
    full_name = repository.get("full_name") if isinstance(repository, dict) else ""
    now = timezone.now()
    return {
        "delivery_id": delivery_id,
        "event": text_clean(event)[:64],
        # Any payload is stored (the worker judges it): these copies are
        # cleaned so that no value of it can fail the insert.
        "action": text_clean(str(payload.get("action") or ""))[:64],
        "hook_id": text_clean(hook_id)[:32],
        "repository_full_name": text_clean(str(full_name or ""))[:140],
        "body": body,
        "body_size": len(body),
        "request_id": request_id[:128],
        "received_at": now,
        "enqueued_at": now,
        "enqueue_count": 1,
    }


def _delivery_stored(values: dict, event: str) -> int | None:
    """Insert the delivery unless its id is known; publish a new one after
    commit. The new primary key, or None for a redelivery."""
    pk = insert_values_unless_present(WebhookDelivery, values, conflict="delivery_id")
    if pk is not None:
        publish_light_on_commit(WebhookDelivery.outbox_task_name, pk)
        logger.info(
            "webhook delivery accepted",
            extra={
                "delivery_id": values["delivery_id"],
                "github_event": event,
                "pk": pk,
            },
        )
    return pk


def _duplicate_seen(values: dict, event: str) -> WebhookDelivery:
    delivery = _duplicate_counted(values["delivery_id"], values["received_at"])
    logger.info(
        "webhook delivery seen before",
        extra={
            "delivery_id": values["delivery_id"],
            "github_event": event,
            "pk": delivery.pk,
        },
    )
    return delivery


def _duplicate_counted(delivery_id: str, now: datetime) -> WebhookDelivery:
    """Count a redelivery on its row and read the row back (without the body):
    one UPDATE … RETURNING."""
    meta = WebhookDelivery._meta
    fields = [f for f in meta.concrete_fields if f.name != "body"]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        # Identifiers from the model's metadata only; values as parameters.
        cursor.execute(
            f"UPDATE {meta.db_table} SET duplicate_count = duplicate_count + 1, "  # noqa: S608  # nosec B608
            f"last_duplicate_at = %s WHERE delivery_id = %s RETURNING {columns}",
            [now, delivery_id],
        )
        row = cursor.fetchone()
    if row is None:  # inserted and deleted again in between: not ours to count
        raise WebhookDelivery.DoesNotExist(delivery_id)
    values = [
        f.from_db_value(v, None, connection) if hasattr(f, "from_db_value") else v
        for f, v in zip(fields, row, strict=True)
    ]
    return WebhookDelivery.from_db(
        connection.alias, [f.attname for f in fields], values
    )


class PayloadError(ValueError):
    """The payload lacks something the event needs; retrying cannot help."""


# What a payload can make the handlers raise: a missing key, a value of the
# wrong type or range, a value the database refuses (inside the savepoint).
# Each is permanent: the delivery fails with the error and can be replayed.
DATA_ERRORS = (
    PayloadError,
    KeyError,
    TypeError,
    ValueError,  # includes UnicodeDecodeError and cleaning.Unstorable
    AttributeError,  # an object where the payload has a string, or the reverse
    ArithmeticError,  # OverflowError from a timestamp or number
    DataError,
    IntegrityError,
)


@transaction.atomic
def delivery_process(*, delivery_id: int) -> str:
    """Apply one stored delivery. Idempotent: a finished delivery is left alone,
    and every effect is an upsert, so a second run changes nothing."""
    delivery = (
        WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    )
    if delivery is None:
        return "missing"
    if delivery.state in (OutboxState.DONE, OutboxState.IGNORED, OutboxState.FAILED):
        return delivery.state
    delivery.attempts += 1
    logger.info(
        "processing webhook delivery",
        extra={
            "delivery_id": delivery.delivery_id,
            "github_event": delivery.event,
            "action": delivery.action,
            # The webhook request's id, also when a sweeper re-enqueued it.
            "received_request_id": delivery.request_id,
        },
    )
    try:
        # NUL, lone surrogates and NaN are cleaned out before any handler sees them.
        payload = json_clean(json.loads(bytes(delivery.body)))
        if not isinstance(payload, dict):
            raise PayloadError("The payload is not a JSON object.")
        # A savepoint: a payload that fails half-way leaves no half of its effects.
        with transaction.atomic(), notes_collected() as notes:
            state, reason = _dispatch(delivery, payload)
        if notes and not reason:
            reason = "Stored with changes: " + "; ".join(notes)
    except DATA_ERRORS as exc:
        state, reason = OutboxState.FAILED, _failure_reason(exc)
        delivery.error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning(
            "webhook delivery failed",
            extra={"delivery_id": delivery.delivery_id, "error": delivery.error},
        )
    delivery.state = state
    delivery.reason = reason[:300]
    delivery.processed_at = timezone.now()
    if state != OutboxState.FAILED:
        delivery.error = ""
    delivery.save()
    logger.info(
        "webhook delivery processed",
        extra={"delivery_id": delivery.delivery_id, "state": state, "reason": reason},
    )
    return state


def _failure_reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"The payload lacks {exc}; fix the sender, then replay."
    if isinstance(exc, DataError | IntegrityError):
        return "The database refused a value of the payload; see the error."
    return f"The payload has a value that cannot be stored: {exc}"[:300]


@transaction.atomic
def delivery_fail(*, delivery_id: int, reason: str, error: str = "") -> str:
    """Mark a delivery failed for good, with a reason a person can act on (a data
    error that escaped the savepoint). It stays replayable."""
    WebhookDelivery.objects.filter(pk=delivery_id).exclude(
        state__in=(OutboxState.DONE, OutboxState.IGNORED)
    ).update(
        state=OutboxState.FAILED,
        reason=reason[:300],
        error=error[:2000],
        processed_at=timezone.now(),
    )
    return OutboxState.FAILED


def delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Process a failed or ignored delivery again (dashboard.platform's
    outbox_row_replay)."""
    return outbox_row_replay(row=delivery)


def deliveries_replay_for_repository(*, repository: Repository) -> int:
    """Replay every delivery ignored because `repository` was not mapped."""
    ignored = WebhookDelivery.objects.filter(
        repository_full_name__iexact=repository.full_name,
        state=OutboxState.IGNORED,
        domain__isnull=True,
    )
    count = 0
    for delivery in ignored.order_by("pk"):
        delivery_replay(delivery=delivery)
        count += 1
    return count


# --- Event handlers -------------------------------------------------------------
def _dispatch(delivery: WebhookDelivery, payload: dict) -> tuple[str, str]:
    if delivery.event not in PROCESSED_EVENTS:
        return OutboxState.IGNORED, f"The {delivery.event!r} event is not processed."
    full_name = delivery.repository_full_name or (
        (payload.get("repository") or {}).get("full_name") or ""
    )
    if not full_name:
        return OutboxState.IGNORED, "The payload names no repository."
    repository = (
        Repository.objects.select_related("domain")
        .filter(full_name__iexact=full_name)
        .first()
    )
    if repository is None:
        delivery.repository = None
        delivery.domain = None
        return (
            OutboxState.IGNORED,
            f"Repository {full_name} is not mapped to a domain; map it, then replay.",
        )
    delivery.repository = repository
    delivery.domain = repository.domain
    _default_branch_follow(repository, payload)
    handler = _HANDLERS[delivery.event]
    reason = handler(delivery=delivery, repository=repository, payload=payload) or ""
    if reason:
        return OutboxState.IGNORED, reason
    return OutboxState.DONE, ""


def _default_branch_follow(repository: Repository, payload: dict) -> None:
    """GitHub names the repository's default branch in every payload: keep ours
    current (mapped as `main`, a `master` repository would never show a verdict
    for its default branch; a rename on GitHub follows here too)."""
    branch = (payload.get("repository") or {}).get("default_branch")
    if (
        isinstance(branch, str)
        and branch
        and len(branch) <= 255
        and "\x00" not in branch
        and branch != repository.default_branch
    ):
        repository.default_branch = branch
        Repository.objects.filter(pk=repository.pk).update(default_branch=branch)


def ts(value: object) -> datetime | None:
    """GitHub's timestamps: ISO 8601 strings, or epoch seconds in push payloads.
    One that is no real instant (1e20 seconds, 2026-02-30, a +25:00 offset,
    year 0) is a PayloadError, never an OverflowError from deep inside."""
    if value is None or value == "":
        return None
    shown = repr(value)[:60]
    try:
        if isinstance(value, bool):
            raise PayloadError(f"{shown} is not a timestamp")
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, tz=UTC)
        parsed = parse_datetime(str(value))
        if parsed is None:
            raise PayloadError(f"{shown} is not a timestamp")
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        # In UTC here, so an instant Python cannot hold fails now, not on save.
        return parsed.astimezone(UTC)
    except PayloadError:
        raise
    except (ValueError, OverflowError, OSError) as exc:
        raise PayloadError(f"{shown} is not a valid timestamp ({exc})") from exc


def _pr_number(obj: dict) -> int | None:
    prs = obj.get("pull_requests") or []
    return prs[0].get("number") if prs and isinstance(prs[0], dict) else None


def _is_actions_app(obj: dict) -> bool:
    app = obj.get("app") or {}
    return app.get("slug") == "github-actions"


def _workflow_run(*, delivery, repository, payload) -> str:
    wr = payload["workflow_run"]
    status = wr.get("status") or "queued"
    run_services.run_upsert(
        provider=Provider.GITHUB_ACTIONS,
        repository=repository,
        external_id=str(wr["id"]),
        attempt=int(wr.get("run_attempt") or 1),
        started_at=ts(wr.get("run_started_at")) or ts(wr.get("created_at")),
        head_sha=wr.get("head_sha") or "",
        branch=wr.get("head_branch") or "",
        pull_request_number=_pr_number(wr),
        workflow=wr.get("name")
        or (payload.get("workflow") or {}).get("name")
        or wr.get("path")
        or "",
        event=wr.get("event") or "",
        run_number=wr.get("run_number"),
        url=wr.get("html_url") or "",
        status=status,
        conclusion=wr.get("conclusion") or "",
        completed_at=ts(wr.get("updated_at")) if status == "completed" else None,
        source_updated_at=ts(wr.get("updated_at")),
    )
    return ""


def _workflow_job(*, delivery, repository, payload) -> str:
    wj = payload["workflow_job"]
    run = run_services.run_upsert(
        provider=Provider.GITHUB_ACTIONS,
        repository=repository,
        external_id=str(wj["run_id"]),
        attempt=int(wj.get("run_attempt") or 1),
        started_at=ts(wj.get("started_at")) or ts(wj.get("created_at")),
        head_sha=wj.get("head_sha") or "",
        branch=wj.get("head_branch") or "",
        workflow=wj.get("workflow_name") or "",
    ).obj
    status = wj.get("status") or "queued"
    run_services.job_upsert(
        run=run,
        external_id=str(wj["id"]),
        name=wj.get("name") or "",
        status=status,
        conclusion=wj.get("conclusion") or "",
        runner_name=wj.get("runner_name") or "",
        url=wj.get("html_url") or "",
        started_at=ts(wj.get("started_at")),
        completed_at=ts(wj.get("completed_at")),
        source_updated_at=ts(wj.get("completed_at"))
        or ts(wj.get("started_at"))
        or ts(wj.get("created_at")),
    )
    return ""


def _check_suite(*, delivery, repository, payload) -> str:
    cs = payload["check_suite"]
    if _is_actions_app(cs):
        return "GitHub Actions suites are recorded from workflow_run events."
    status = cs.get("status") or "queued"
    run_services.run_upsert(
        provider=Provider.GITHUB_CHECKS,
        repository=repository,
        external_id=str(cs["id"]),
        attempt=1,
        started_at=ts(cs.get("created_at")),
        head_sha=cs.get("head_sha") or "",
        branch=cs.get("head_branch") or "",
        pull_request_number=_pr_number(cs),
        workflow=(cs.get("app") or {}).get("name") or "checks",
        event=delivery.event,
        status=status,
        conclusion=cs.get("conclusion") or "",
        completed_at=ts(cs.get("updated_at")) if status == "completed" else None,
        source_updated_at=ts(cs.get("updated_at")),
    )
    return ""


def _check_run(*, delivery, repository, payload) -> str:
    cr = payload["check_run"]
    if _is_actions_app(cr):
        return "GitHub Actions check runs are recorded from workflow_job events."
    cs = cr.get("check_suite") or {}
    run = run_services.run_upsert(
        provider=Provider.GITHUB_CHECKS,
        repository=repository,
        external_id=str(cs["id"]),
        attempt=1,
        started_at=ts(cr.get("started_at")),
        head_sha=cr.get("head_sha") or cs.get("head_sha") or "",
        branch=cs.get("head_branch") or "",
        pull_request_number=_pr_number(cr),
        workflow=(cr.get("app") or {}).get("name") or "checks",
        event="check_suite",
    ).obj
    status = cr.get("status") or "queued"
    run_services.job_upsert(
        run=run,
        external_id=str(cr["id"]),
        name=cr.get("name") or "",
        status=status,
        conclusion=cr.get("conclusion") or "",
        url=cr.get("html_url") or "",
        started_at=ts(cr.get("started_at")),
        completed_at=ts(cr.get("completed_at")),
        source_updated_at=ts(cr.get("completed_at")) or ts(cr.get("started_at")),
    )
    return ""


def _pull_request(*, delivery, repository, payload) -> str:
    pr = payload["pull_request"]
    _announce_pull_request(repository, payload)
    incoming = fit(
        PullRequest,
        {
            "title": (pr.get("title") or "")[:500],
            "state": pr.get("state") or "open",
            "merged": bool(pr.get("merged")),
            "head_sha": (pr.get("head") or {}).get("sha") or "",
            "head_ref": (pr.get("head") or {}).get("ref") or "",
            "base_ref": (pr.get("base") or {}).get("ref") or "",
            "author": ((pr.get("user") or {}).get("login") or "")[:100],
            "url": pr.get("html_url") or "",
            "source_updated_at": ts(pr.get("updated_at")),
        },
    )
    current, created = run_services.locked_get_or_create(
        PullRequest,
        {"repository": repository, "number": pr["number"]},
        {"domain_id": repository.domain_id, **incoming},
    )
    if created:
        return ""

    def key(state: str, merged: bool, updated: datetime | None) -> tuple:
        return (updated or datetime.min.replace(tzinfo=UTC), state == "closed", merged)

    if key(incoming["state"], incoming["merged"], incoming["source_updated_at"]) > key(
        current.state, current.merged, current.source_updated_at
    ):
        for field, value in incoming.items():
            setattr(current, field, value)
        current.save()
    return ""


def _announce_pull_request(repository: Repository, payload: dict) -> None:
    """Tell the pins (pull_request_received), once this delivery is stored."""
    pr = payload["pull_request"]
    head, base = pr.get("head") or {}, pr.get("base") or {}
    announced = {
        "repository_id": repository.pk,
        "number": int(pr["number"]),
        "action": str(payload.get("action") or ""),
        "state": str(pr.get("state") or "open"),
        "merged": bool(pr.get("merged")),
        "head_sha": str(head.get("sha") or ""),
        "base_sha": str(base.get("sha") or ""),
        "head_ref": str(head.get("ref") or ""),
        "base_ref": str(base.get("ref") or ""),
        "author": str((pr.get("user") or {}).get("login") or "")[:100],
        "title": str(pr.get("title") or "")[:500],
        "url": str(pr.get("html_url") or "")[:500],
    }
    transaction.on_commit(
        lambda: pull_request_received.send(sender=Repository, **announced)
    )


def _push(*, delivery, repository, payload) -> str:
    head = payload.get("head_commit") or {}
    announced = {
        "repository_id": repository.pk,
        "ref": str(payload["ref"]),
        "before": str(payload.get("before") or ""),
        "after": str(payload.get("after") or ""),
        "pusher": str((payload.get("pusher") or {}).get("name") or "")[:100],
    }
    pushed_at = (
        ts((payload.get("repository") or {}).get("pushed_at"))
        or ts(head.get("timestamp"))
        or delivery.received_at
    )
    push, _ = Push.objects.get_or_create(
        delivery=delivery,
        defaults=fit(
            Push,
            {
                "repository": repository,
                "domain_id": repository.domain_id,
                "ref": payload["ref"][:255],
                "before_sha": payload.get("before") or "",
                "after_sha": payload.get("after") or "",
                "created": bool(payload.get("created")),
                "deleted": bool(payload.get("deleted")),
                "forced": bool(payload.get("forced")),
                "commit_count": len(payload.get("commits") or []),
                "pusher": ((payload.get("pusher") or {}).get("name") or "")[:100],
                "pushed_at": pushed_at,
            },
        ),
    )
    commits = [
        {"sha": str(c.get("id") or ""), "timestamp": ts(c.get("timestamp"))}
        for c in payload.get("commits") or []
        if isinstance(c, dict)
    ]
    push_received.send(sender=Push, push=push, commits=commits, **announced)
    return ""


def _deployment_upsert(repository: Repository, dep: dict) -> Deployment:
    deployment, _ = run_services.locked_get_or_create(
        Deployment,
        {"repository": repository, "external_id": dep["id"]},
        {
            "domain_id": repository.domain_id,
            "environment": (dep.get("environment") or "")[:255],
            "sha": dep.get("sha") or "",
            "ref": (dep.get("ref") or "")[:255],
            "description": dep.get("description") or "",
            "creator": ((dep.get("creator") or {}).get("login") or "")[:100],
            "created_at": ts(dep.get("created_at")) or timezone.now(),
        },
    )
    return deployment


def _deployment(*, delivery, repository, payload) -> str:
    _deployment_upsert(repository, payload["deployment"])
    return ""


def _deployment_status(*, delivery, repository, payload) -> str:
    deployment = _deployment_upsert(repository, payload["deployment"])
    status = payload["deployment_status"]
    deployment_status_seen.send(
        sender=Deployment,
        deployment=deployment,
        state=str(status.get("state") or ""),
        status_id=status["id"],
        created_at=ts(status.get("created_at")) or delivery.received_at,
    )
    if deployment.state_status_id is None or status["id"] > deployment.state_status_id:
        fitted = fit(
            Deployment,
            {
                "state": status.get("state") or "",
                "state_status_id": status["id"],
                "environment_url": status.get("environment_url") or "",
            },
        )
        for field, value in fitted.items():
            setattr(deployment, field, value)
        deployment.save()
        if deployment.state == "success" and _is_control_plane(repository):
            _warm_caches_after_own_deploy()
    return ""


def _is_control_plane(repository: Repository) -> bool:
    own = settings.CONTROLPLANE_REPOSITORY
    return bool(own) and repository.full_name.lower() == own.lower()


def _warm_caches_after_own_deploy() -> None:
    """A new release of the control plane itself starts with cold panel caches
    (their keys carry the schema version): fill them before users do."""
    logger.info("own deployment succeeded; warming panel caches")
    enqueue_on_commit(warm_caches_task)


def _status(*, delivery, repository, payload) -> str:
    updated = ts(payload.get("updated_at")) or delivery.received_at
    incoming = fit(
        ReportedStatus,
        {
            "state": payload["state"][:16],
            "description": (payload.get("description") or "")[:500],
            "target_url": payload.get("target_url") or "",
            "external_id": payload["id"],
            "source_updated_at": updated,
        },
    )
    current, created = run_services.locked_get_or_create(
        ReportedStatus,
        {
            "repository": repository,
            "sha": payload["sha"],
            "context": payload["context"][:255],
        },
        {"domain_id": repository.domain_id, **incoming},
    )
    if not created and (updated, payload["id"]) > (
        current.source_updated_at,
        current.external_id,
    ):
        for field, value in incoming.items():
            setattr(current, field, value)
        current.save()
    return ""


_HANDLERS = {
    "workflow_run": _workflow_run,
    "workflow_job": _workflow_job,
    "check_suite": _check_suite,
    "check_run": _check_run,
    "pull_request": _pull_request,
    "push": _push,
    "deployment": _deployment,
    "deployment_status": _deployment_status,
    "status": _status,
}
