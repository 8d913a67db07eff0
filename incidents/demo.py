"""Demo incidents for `python manage.py load_demo` (receiver of
dashboard.signals.demo_loaded): a month of production deployments and commits
of acme/payments-api, the checkout outage of two hours ago (when the demo SLO
burned) pinned on the deployment just before it, with its postmortem, action
items and a learning, and an older resolved incident; then every domain's DORA
summary. Idempotent."""

import random
from datetime import timedelta

from django.utils import timezone

from dashboard.domains.models import Domain, Repository
from incidents.models import ActionItem, DraftProposal, LearningKind, Source
from incidents.services import postmortems
from incidents.services.dora_facts import commits_record, deployment_outcome_record
from incidents.services.dora_summaries import dora_summaries_refresh
from incidents.services.incidents import IncidentReport, SourceNote, incident_upsert
from incidents.services.monitors import source_map
from pipelines.ingest.models import Deployment

FIRST_ID = 7_000_000  # demo deployment ids (GitHub's are far larger)
DAYS = 30
SUSPECT_SHA = "5ca1ab1e" * 5


def load(sender: object = None, **_: object) -> None:
    domain = Domain.objects.filter(slug="payments").first()
    repository = Repository.objects.filter(
        full_name__iexact="acme/payments-api"
    ).first()
    if domain is None or repository is None:
        return
    now = timezone.now().replace(second=0, microsecond=0)
    suspect = _deployments(repository, now)
    source_map(source=Source.PAGERDUTY, key="PDEMO01", domain=domain)
    outage_start = now - timedelta(minutes=130)
    outage = incident_upsert(
        domain=domain,
        report=IncidentReport(
            source=Source.PAGERDUTY,
            external_id="QDEMO0CHECKOUT",
            status="resolved",
            title="Checkout answers 5xx for a third of requests",
            severity="SEV1",
            service="acme/payments-api",
            started_at=outage_start,
            detected_at=outage_start + timedelta(minutes=2),
            acknowledged_at=outage_start + timedelta(minutes=4),
            mitigated_at=outage_start + timedelta(minutes=14),
            resolved_at=outage_start + timedelta(minutes=25),
            commander="alice",
            deployment=suspect,
            source_updated_at=outage_start + timedelta(minutes=25),
            actor="PagerDuty: alice",
            notes=[
                SourceNote(
                    key="demo-note-1",
                    at=outage_start + timedelta(minutes=9),
                    text="Rolling back acme/payments-api to the previous release.",
                    actor="alice",
                )
            ],
        ),
    ).obj
    if not ActionItem.objects.filter(postmortem__incident=outage).exists():
        postmortems.postmortem_save(
            incident=outage,
            sections={
                "summary": "For 25 minutes a third of checkouts failed with 5xx.",
                "impact": "About 1,900 failed checkouts; no double charges.",
                "root_cause": "The generated repository layer opened a connection "
                "per request; the pool ran dry under the lunch peak.",
                "trigger": "The deployment just before the start.",
                "detection": "The checkout-availability SLO paged within 2 minutes.",
                "went_well": "The page fired fast; rollback was one command.",
                "went_badly": "No load test covered the new data layer.",
            },
            author="alice",
        )
        for title, owner, days in [
            ("Load-test the generated data layer in CI", "eve", 7),
            ("Alert on connection pool saturation", "alice", 14),
        ]:
            postmortems.action_item_add(
                incident=outage,
                title=title,
                owner=owner,
                due_on=(now + timedelta(days=days)).date(),
                author="alice",
            )
    if not DraftProposal.objects.filter(incident=outage).exists():
        postmortems.learning_propose(
            incident=outage,
            kind=LearningKind.GENERATOR,
            title="Generate repositories that share a connection pool",
            rationale="The checkout outage came from one connection per request in "
            "the generated data layer.",
            author=None,
        )
    older = now - timedelta(days=12, hours=3)
    incident_upsert(
        domain=domain,
        report=IncidentReport(
            source=Source.PAGERDUTY,
            external_id="QDEMO0REFUNDS",
            status="resolved",
            title="Refund confirmations delayed by 40 minutes",
            severity="SEV3",
            started_at=older,
            acknowledged_at=older + timedelta(minutes=11),
            resolved_at=older + timedelta(hours=2, minutes=5),
            source_updated_at=older + timedelta(hours=2, minutes=5),
            actor="PagerDuty: eve",
        ),
    )


def summaries(sender: object = None, **_: object) -> None:
    """Every domain's DORA summary, once all the demo data is in (connected
    after every app's demo receiver), so the overview shows DORA right away."""
    dora_summaries_refresh()


def _deployments(repository: Repository, now) -> Deployment:
    """About two production deployments a day for a month, each with the
    commits pushed since the one before; one failed, one rolled back. Returns
    the deployment 20 minutes before the outage."""
    loaded = Deployment.objects.filter(
        repository=repository, sha=SUSPECT_SHA, external_id__gte=FIRST_ID
    ).first()
    if loaded is not None:  # loaded before: the times stay those of that run
        return loaded
    rng = random.Random(42)  # nosec B311 # demo data
    at = now - timedelta(days=DAYS)
    shas: list[str] = []
    n = 0
    suspect = None
    while at < now - timedelta(hours=3):
        n += 1
        at += timedelta(hours=rng.uniform(6, 18))
        pushed = at - timedelta(minutes=rng.uniform(10, 120))
        commits = [
            {
                "sha": f"{rng.getrandbits(160):040x}",
                "timestamp": pushed - timedelta(hours=rng.uniform(0.5, 30)),
            }
            for _ in range(rng.randint(1, 4))
        ]
        commits_record(
            repository=repository,
            ref="refs/heads/main",
            pushed_at=pushed,
            commits=commits,
        )
        shas.append(commits[-1]["sha"])
        suspect = _deployment(repository, FIRST_ID + n, shas[-1], at, rng)
    # The deployment just before the outage, and the rollback after it.
    start = now - timedelta(minutes=130)
    suspect = _deployment(
        repository,
        FIRST_ID + n + 1,
        SUSPECT_SHA,
        start - timedelta(minutes=20),
        rng,
        "success",
    )
    _deployment(
        repository,
        FIRST_ID + n + 2,
        shas[-1],
        start + timedelta(minutes=9),
        rng,
        "success",
    )
    return suspect


def _deployment(repository, external_id, sha, at, rng, state=None) -> Deployment:
    # Drawn whether or not the row exists, so a second run walks the same path.
    state = state or ("failure" if rng.random() < 0.08 else "success")
    finished = at + timedelta(minutes=rng.uniform(2, 9))
    deployment, created = Deployment.objects.get_or_create(
        repository=repository,
        external_id=external_id,
        defaults={
            "domain_id": repository.domain_id,
            "environment": "production",
            "sha": sha,
            "ref": "main",
            "creator": "github-actions[bot]",
            "created_at": at,
        },
    )
    if created:
        deployment.state = state
        deployment.save(update_fields=["state"])
        deployment_outcome_record(deployment=deployment, state=state, at=finished)
    return deployment
