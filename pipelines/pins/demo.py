"""Demo pins for `python manage.py load_demo`: acme/payments-api pins a prompt
(rolling out a warmer wording at 25 %, with perf samples and SLI points
tagged with both versions, so its page shows the split) and a model; eve's
pull request changing the prompt again waits on a reviewer (rita)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from dashboard.domains.models import Repository
from pipelines.ingest.models import PerfSample
from pipelines.pins.models import (
    Pin,
    Proposal,
    ProposalEvent,
    ProposalSource,
    ProposalState,
    Rollout,
    RolloutEvent,
)
from pipelines.pins.services.proposals import changes_hash, proposal_pins_set
from pipelines.pins.services.reading import Prompt
from pipelines.pins.services.reviews import proposal_judge
from pipelines.pins.services.versions import pin_version_get_or_create
from pipelines.pins.spec import git_blob_sha, pins_parse
from slos.demo import DEMO_SLOS
from slos.models import Slo
from slos.services import SliCounts, sli_points_record, slos_import

REPOSITORY = "acme/payments-api"
PLAN = "{stages: [5, 25, 50, 100], hold: 30m, guard_slo: checkout-latency, max_burn: 2}"
FILE = """\
pins:
  - id: checkout-summary
    kind: prompt
    model: openai/gpt-4.1-2025-04-14
    prompt: prompts/checkout-summary.md
    params: {{temperature: {temperature}, max_tokens: 800}}
    owners: [rita]
    rollout: {plan}
  - id: refund-classifier
    kind: model
    model: anthropic/claude-3-5-sonnet-20241022
    params: {{temperature: 0}}
    rollout: {plan}
"""
PROMPTS = [
    "Summarise the order for the customer.\nBe brief.\n",
    "Summarise the order for the customer.\nBe brief and friendly.\n",
    "Summarise the order for the customer in their language.\n"
    "Be brief and friendly; never promise a delivery date.\n",
]


STARTED_AGO = timedelta(minutes=40)


def _split_data(rollout: Rollout, *, now) -> None:
    """What the application reports during the rollout, tagged with the pin's
    versions: perf samples of the summary scenario (the candidate a little
    slower) and SLI points of the guard SLO (the candidate erring more), one
    per minute per version, its share following the stages (5 %, then 25 %).
    These are the requests that used the prompt; the SLOs' demo adds the rest
    of checkout's traffic untagged."""
    pin = rollout.pin
    stable, candidate = rollout.from_version.short, rollout.to_version.short
    minute = now.replace(second=0, microsecond=0)
    for i in range(8):
        for version, base in ((stable, 180.0), (candidate, 215.0)):
            sample = PerfSample.objects.create(
                domain_id=pin.domain_id,
                repository_id=pin.repository_id,
                commit_sha=f"{i + 1:x}" * 40,
                branch=pin.repository.default_branch,
                service="checkout-api",
                scenario="checkout summary",
                p50_ms=base * 0.45 + i,
                p95_ms=base + 3 * i,
                p99_ms=base * 1.6 + 3 * i,
                sample_count=400,
                pin_id=pin.pin_id,
                pin_version=version,
            )
            PerfSample.objects.filter(pk=sample.pk).update(
                created_at=now - STARTED_AGO + timedelta(minutes=5 * i + 2)
            )
    slo = Slo.objects.get(domain_id=pin.domain_id, name=rollout.guard_slo)
    points = []
    for ago in range(1, int(STARTED_AGO.total_seconds() // 60)):
        share = 0.25 if ago <= 10 else 0.05
        total = 200
        on_candidate = round(total * share)
        on_stable = total - on_candidate
        points += [
            SliCounts(
                ts=minute - timedelta(minutes=ago),
                good=on_stable - (1 if ago % 2 else 0),
                total=on_stable,
                pin_id=pin.pin_id,
                pin_version=stable,
            ),
            SliCounts(
                ts=minute - timedelta(minutes=ago),
                good=on_candidate - (1 if ago % 3 == 0 else 0),
                total=on_candidate,
                pin_id=pin.pin_id,
                pin_version=candidate,
            ),
        ]
    sli_points_record(slo=slo, points=points)


def _versions(repository: Repository, temperature: float, prompt: str, sha: str):
    pins = pins_parse(FILE.format(temperature=temperature, plan=PLAN))
    found = {}
    for pin_id, spec in pins.items():
        text = (
            Prompt(spec.prompt, git_blob_sha(prompt.encode()), prompt)
            if spec.prompt
            else None
        )
        found[pin_id] = pin_version_get_or_create(
            repository=repository, spec=spec, prompt=text, sha=sha
        )
    return found


@transaction.atomic
def load(sender: object = None, **_: object) -> None:
    """Receiver of dashboard.signals.demo_loaded (connected in pipelines/apps.py).
    Idempotent: nothing is added when the repository already has pins."""
    repository = Repository.objects.filter(full_name__iexact=REPOSITORY).first()
    if repository is None or Pin.objects.filter(repository=repository).exists():
        return
    # The plans' guard SLO must exist before the proposal is judged; the SLOs'
    # demo runs after this one (apps load in order), and its import upserts.
    slos_import(domain=repository.domain, text=DEMO_SLOS, actor_label="demo")
    now = timezone.now()
    v1 = _versions(repository, 0.2, PROMPTS[0], "1" * 40)
    v2 = _versions(repository, 0.2, PROMPTS[1], "2" * 40)
    v3 = _versions(repository, 0.4, PROMPTS[2], "3" * 40)
    pins = {}
    for pin_id, version in v1.items():
        candidate = v2[pin_id] if v2[pin_id].pk != version.pk else None
        pins[pin_id] = Pin.objects.create(
            domain_id=repository.domain_id,
            repository=repository,
            pin_id=pin_id,
            current=candidate or version,
            stable=version,
            candidate=candidate,
            traffic_pct=25 if candidate else 0,
            default_sha="2" * 40,
            changed_at=now - timedelta(hours=1),
        )
    rollout = Rollout.objects.create(
        domain_id=repository.domain_id,
        pin=pins["checkout-summary"],
        from_version=v1["checkout-summary"],
        to_version=v2["checkout-summary"],
        stages=[5, 25, 50, 100],
        stage_index=1,
        hold_seconds=1800,
        guard_slo="checkout-latency",
        max_burn=2,
        stage_started_at=now - timedelta(minutes=10),
    )
    Rollout.objects.filter(pk=rollout.pk).update(created_at=now - STARTED_AGO)
    rollout.created_at = now - STARTED_AGO
    for kind, pct, text, ago in (
        ("started", 5, "rollout started at 5%", STARTED_AGO),
        ("advanced", 25, "advanced to 25%", timedelta(minutes=10)),
    ):
        event = RolloutEvent.objects.create(
            rollout=rollout, kind=kind, traffic_pct=pct, text=text
        )
        RolloutEvent.objects.filter(pk=event.pk).update(created_at=now - ago)
    _split_data(rollout, now=now)
    proposal = Proposal.objects.create(
        domain_id=repository.domain_id,
        repository=repository,
        source=ProposalSource.PULL_REQUEST,
        state=ProposalState.OPEN,
        title="Checkout summary: answer in the customer's language",
        number=42,
        url="https://github.com/acme/payments-api/pull/42",
        author="eve",
        head_ref="summary-language",
        head_sha="4" * 40,
        base_sha="2" * 40,
    )
    ProposalEvent.objects.create(
        proposal=proposal, kind="opened", text="pull request #42 opened"
    )
    changed = proposal_pins_set(
        proposal=proposal,
        before={k: v for k, v in v2.items()},
        after={k: v for k, v in v3.items()},
        only={"checkout-summary"},
    )
    proposal.content_hash = changes_hash(changed)
    proposal.pin_id = "checkout-summary"
    proposal.save()
    proposal_judge(proposal=proposal, post=False)
