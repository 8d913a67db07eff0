"""The four DORA keys: fed deployment, commit and incident series, compared
with an independent computation of the definitions in docs/dora.md; the facts
arrive through GitHub's own deliveries; the API answers with bands."""

import json
import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from dashboard.domains.services import ingest_token_create
from incidents import dora
from incidents.models import CommitSeen, DeploymentOutcome
from incidents.services.dora_facts import (
    commits_record,
    deployment_outcome_record,
    production_environments_set,
)
from pipelines.ingest.services import webhooks
from pipelines.models import WebhookDelivery
from tests.factories import DomainFactory, RepositoryFactory
from tests.incidents.factories import DeploymentFactory, IncidentFactory
from tests.pipelines.conftest import deliver

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
END = START + timedelta(days=28)


def _process_github() -> None:
    for pk in WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True):
        webhooks.delivery_process(delivery_id=pk)


# --- The facts come from GitHub's deliveries ---------------------------------------
def test_deployment_statuses_and_pushes_become_dora_facts(client, testdata):
    domain = DomainFactory()
    RepositoryFactory(domain=domain, full_name="Codertocat/Hello-World")
    sample = json.loads(
        (
            testdata / "github_webhooks/octokit__deployment_status_payload.json"
        ).read_bytes()
    )
    failure = json.loads(json.dumps(sample))
    failure["deployment_status"].update(
        id=sample["deployment_status"]["id"] - 1,
        state="failure",
        created_at="2019-05-15T15:20:54Z",
    )
    # The success first, then an older failure: both are kept.
    deliver(client, "deployment_status", json.dumps(sample).encode())
    deliver(client, "deployment_status", json.dumps(failure).encode())
    push = json.loads(
        (testdata / "github_webhooks/octokit__push_payload.json").read_bytes()
    )
    # The published sample deletes a tag; made a branch push with commits.
    push.update(ref="refs/heads/master", deleted=False, after="a" * 40)
    push["commits"] = [
        {"id": "a" * 40, "timestamp": "2019-05-15T17:00:00+02:00", "message": "Fix"},
        {"id": "b" * 40, "timestamp": "2019-05-15T15:10:00Z", "message": "Änderung"},
    ]
    deliver(client, "push", json.dumps(push).encode())
    _process_github()
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"done"}
    outcome = DeploymentOutcome.objects.get()
    assert outcome.succeeded_at == datetime(2019, 5, 15, 15, 20, 55, tzinfo=UTC)
    assert outcome.failed_at == datetime(2019, 5, 15, 15, 20, 54, tzinfo=UTC)
    commits = dict(CommitSeen.objects.values_list("sha", "committed_at"))
    assert commits["a" * 40] == datetime(2019, 5, 15, 15, 0, tzinfo=UTC)
    # A replay of the push changes nothing.
    delivery = WebhookDelivery.objects.get(event="push")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="ignored")
    webhooks.delivery_replay(delivery=delivery)
    _process_github()
    assert CommitSeen.objects.count() == 2


# --- An independent computation --------------------------------------------------------
def _scenario(seed: int):
    """Random deployments of two repositories (one with a staging line that
    must not count), commits between them, incidents; returns what was made."""
    rng = random.Random(seed)
    domain = DomainFactory()
    repos = [RepositoryFactory(domain=domain) for _ in range(2)]
    production_environments_set(repository=repos[1], names=["live"])
    deployments, commits = [], []
    for repo, env in [
        (repos[0], "production"),
        (repos[0], "staging"),
        (repos[1], "live"),
    ]:
        at = START - timedelta(days=10)
        shas: list[str] = []
        for _ in range(rng.randint(5, 25)):
            at += timedelta(hours=rng.uniform(1, 60))
            if at >= END + timedelta(days=2):
                break
            # Commits pushed since the last deployment.
            for _ in range(rng.randint(0, 3)):
                pushed = at - timedelta(minutes=rng.uniform(1, 600))
                sha = f"{rng.getrandbits(160):040x}"
                commits.append(
                    dict(
                        repository=repo,
                        sha=sha,
                        committed=pushed - timedelta(hours=rng.uniform(0, 72)),
                        pushed=pushed,
                    )
                )
            rollback = shas and len(shas) > 2 and rng.random() < 0.15
            sha = rng.choice(shas[:-1]) if rollback else f"{rng.getrandbits(160):040x}"
            shas.append(sha)
            created = at
            outcome = rng.choice(["success"] * 6 + ["failure", "error", "pending"])
            deployment = DeploymentFactory(
                repository=repo,
                environment=env,
                sha=sha,
                ref="main",
                created_at=created,
            )
            finished = created + timedelta(minutes=rng.uniform(1, 30))
            if outcome != "pending":
                deployment_outcome_record(
                    deployment=deployment, state=outcome, at=finished
                )
            deployments.append(
                dict(
                    obj=deployment,
                    repo=repo,
                    env=env,
                    sha=sha,
                    created=created,
                    ok=finished if outcome == "success" else None,
                    failed=finished if outcome in ("failure", "error") else None,
                    incident=False,
                )
            )
    for c in commits:
        commits_record(
            repository=c["repository"],
            ref="refs/heads/main",
            pushed_at=c["pushed"],
            commits=[{"sha": c["sha"], "timestamp": c["committed"]}],
        )
    incidents = []
    for _ in range(rng.randint(0, 12)):
        started = START + timedelta(hours=rng.uniform(-48, 28 * 24 + 48))
        severity = rng.choice(["SEV1", "SEV2", "SEV3", "SEV4", "SEV5"])
        resolved = (
            started + timedelta(minutes=rng.uniform(5, 3000))
            if rng.random() < 0.8
            else None
        )
        acked = (
            started + timedelta(minutes=rng.uniform(0, 30))
            if rng.random() < 0.7
            else None
        )
        named = rng.choice([None, *[d for d in deployments if d["env"] != "staging"]])
        IncidentFactory(
            domain=domain,
            severity=severity,
            status="resolved" if resolved else "triggered",
            started_at=started,
            detected_at=started,
            acknowledged_at=acked,
            resolved_at=resolved,
            deployment=named["obj"] if named else None,
        )
        if named:
            named["incident"] = True
        incidents.append(
            dict(severity=severity, started=started, resolved=resolved, acked=acked)
        )
    return domain, deployments, commits, incidents


def _expected(deployments, commits, incidents, start, end):
    prod = [d for d in deployments if d["env"] != "staging"]
    ok = [d for d in prod if d["ok"]]
    in_range = lambda t: t is not None and start <= t < end  # noqa: E731
    deploys = sum(1 for d in ok if in_range(d["ok"]))
    # Lead time: a commit is in deployment D when it was pushed after the
    # previous successful deployment of D's line was created and no later than
    # D was created, or when it is D's own commit.
    leads = []
    for c in commits:
        firsts = []
        for d in ok:
            if d["repo"] != c["repository"]:
                continue
            line = sorted(
                (e for e in ok if e["repo"] == d["repo"] and e["env"] == d["env"]),
                key=lambda e: (e["ok"], e["obj"].pk),
            )
            i = line.index(d)
            contained = d["sha"] == c["sha"] or (
                i > 0 and line[i - 1]["created"] < c["pushed"] <= d["created"]
            )
            if contained:
                firsts.append(d["ok"])
        if firsts and in_range(min(firsts)):
            leads.append(max(0.0, (min(firsts) - c["committed"]).total_seconds()))
    # Change failure rate: on production deployments that finished in range.
    rolled_back = set()
    for d in ok:
        line = sorted(
            (e for e in ok if e["repo"] == d["repo"] and e["env"] == d["env"]),
            key=lambda e: (e["ok"], e["obj"].pk),
        )
        i = line.index(d)
        if i + 1 < len(line):
            after = line[i + 1]
            if after["sha"] != d["sha"] and after["sha"] in [
                e["sha"] for e in line[:i]
            ]:
                rolled_back.add(d["obj"].pk)
    finished = [
        d
        for d in prod
        if in_range(
            min(t for t in (d["ok"], d["failed"]) if t)
            if (d["ok"] or d["failed"])
            else None
        )
    ]
    failed = [
        d
        for d in finished
        if d["failed"] or d["incident"] or d["obj"].pk in rolled_back
    ]
    serious = [
        i
        for i in incidents
        if i["severity"] in ("SEV1", "SEV2", "SEV3") and in_range(i["started"])
    ]
    restores = [
        (i["resolved"] - i["started"]).total_seconds() for i in serious if i["resolved"]
    ]
    acks = [(i["acked"] - i["started"]).total_seconds() for i in serious if i["acked"]]
    return {
        "deployments": deploys,
        "deployments_per_day": deploys / ((end - start).total_seconds() / 86400),
        "lead_time_seconds": statistics.median(leads) if leads else None,
        "lead_time_commits": len(leads),
        "production_deployments": len(finished),
        "failed_deployments": len(failed),
        "change_failure_rate": len(failed) / len(finished) if finished else None,
        "time_to_restore_seconds": statistics.median(restores) if restores else None,
        "restored_incidents": len(restores),
        "mean_time_to_acknowledge_seconds": statistics.fmean(acks) if acks else None,
    }


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


@pytest.mark.parametrize("seed", range(8))
def test_the_keys_match_an_independent_computation(seed):
    domain, deployments, commits, incidents = _scenario(seed)
    report = dora.dora_report(domain, start=START, end=END)
    expected = _expected(deployments, commits, incidents, START, END)
    got = report.keys.__dict__
    for name, value in expected.items():
        assert _close(got[name], value), (name, got[name], value)
    # Every week too, and the weeks add up to the range.
    for week in report.weekly:
        weekly = _expected(deployments, commits, incidents, week.start, week.end)
        assert week.deployments == weekly["deployments"]
        assert _close(week.lead_time_seconds, weekly["lead_time_seconds"])
        assert _close(week.change_failure_rate, weekly["change_failure_rate"])
    assert sum(w.deployments for w in report.weekly) == report.keys.deployments
    assert len(report.weekly) == 4


@pytest.mark.parametrize(
    ("per_day", "band"),
    [
        (3, "elite"),
        (1, "elite"),
        (0.5, "high"),
        (1 / 7, "high"),
        (0.1, "medium"),
        (0.01, "low"),
        (0, "low"),
    ],
)
def test_frequency_bands(per_day, band):
    assert dora.frequency_band(per_day) == band


def test_bands_of_the_other_keys():
    assert dora.lead_time_band(1800) == "elite"
    assert dora.lead_time_band(2 * 86400) == "high"
    assert dora.lead_time_band(30 * 86400) == "medium"
    assert dora.lead_time_band(400 * 86400) == "low"
    assert dora.failure_rate_band(0.1) == "elite"
    assert dora.failure_rate_band(0.5) == "low"
    assert dora.restore_band(600) == "elite"
    assert dora.restore_band(5 * 3600) == "high"
    assert dora.restore_band(3 * 86400) == "medium"
    assert dora.restore_band(30 * 86400) == "low"
    assert dora.lead_time_band(None) is None


# --- The API -----------------------------------------------------------------------------
def _auth(domain):
    token = ingest_token_create(domain=domain, name="dora", scopes=["incidents"])
    return {"HTTP_AUTHORIZATION": f"Bearer {token.plaintext}"}


def test_the_api_answers_the_keys_with_bands_and_weekly_trend(client):
    domain, deployments, commits, incidents = _scenario(3)
    response = client.get(
        "/api/v1/dora",
        {"domain": domain.slug, "from": START.isoformat(), "to": END.isoformat()},
        **_auth(domain),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    expected = _expected(deployments, commits, incidents, START, END)
    assert body["keys"]["deployments"] == expected["deployments"]
    assert body["keys"]["deployment_frequency_band"] in (
        "elite",
        "high",
        "medium",
        "low",
    )
    assert len(body["weekly"]) == 4


def test_per_service_keys_count_only_that_repository(client):
    domain, deployments, commits, _ = _scenario(5)
    repo = deployments[0]["repo"]
    response = client.get(
        "/api/v1/dora",
        {"service": repo.full_name, "from": START.isoformat(), "to": END.isoformat()},
        **_auth(domain),
    )
    assert response.status_code == 200
    mine = [d for d in deployments if d["repo"] == repo]
    assert (
        response.json()["keys"]["deployments"]
        == _expected(
            mine, [c for c in commits if c["repository"] == repo], [], START, END
        )["deployments"]
    )


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"from": "2026-03-10T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, 422),
        ({"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, 422),
        ({"from": "last week"}, 422),
        ({"service": "no-such-service"}, 404),
        ({"service": "acme/none"}, 404),
        ({"domain": "another-domain"}, 404),
    ],
)
def test_bad_queries_are_problems(client, query, status):
    domain = DomainFactory()
    response = client.get("/api/v1/dora", query, **_auth(domain))
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"


def test_a_service_counts_the_repositories_linked_to_it(client):
    """Services are linked to repositories (link_service); a service without
    links falls back to the repositories named like it."""
    from dashboard.domains.models import Service
    from dashboard.domains.services import service_repositories_set

    domain, deployments, commits, _ = _scenario(6)
    first, second = deployments[0]["repo"], deployments[-1]["repo"]
    assert first != second
    checkout = Service.objects.create(domain=domain, slug="checkout", name="Ç")
    named = Service.objects.create(domain=domain, slug=second.name.lower(), name="N")

    def keys(service: str) -> dict:
        response = client.get(
            "/api/v1/dora",
            {"service": service, "from": START.isoformat(), "to": END.isoformat()},
            **_auth(domain),
        )
        assert response.status_code == 200, response.content
        return response.json()["keys"]

    def expected(repos) -> dict:
        return _expected(
            [d for d in deployments if d["repo"] in repos],
            [c for c in commits if c["repository"] in repos],
            [],
            START,
            END,
        )

    # Not linked and named like no repository: no deployments at all.
    assert keys("checkout")["deployments"] == 0
    service_repositories_set(service=checkout, repositories=[first])
    got = keys("checkout")
    want = expected([first])
    assert got["deployments"] == want["deployments"] > 0
    assert got["production_deployments"] == want["production_deployments"]
    # Linked to both: both repositories' deployments.
    service_repositories_set(service=checkout, repositories=[first, second])
    assert keys("checkout")["deployments"] == expected([first, second])["deployments"]
    # Named like a repository and not linked: that repository, as before.
    assert keys(named.slug)["deployments"] == expected([second])["deployments"]
    # Linked elsewhere: the link wins over the name.
    service_repositories_set(service=named, repositories=[first])
    assert keys(named.slug)["deployments"] == expected([first])["deployments"]


def test_a_linked_service_counts_the_incidents_of_its_repositories():
    from dashboard.domains.models import Service
    from dashboard.domains.services import service_repositories_set

    domain = DomainFactory()
    repo, other = RepositoryFactory(domain=domain), RepositoryFactory(domain=domain)
    service = Service.objects.create(domain=domain, slug="checkout", name="Checkout")
    service_repositories_set(service=service, repositories=[repo])
    started = START + timedelta(days=1)
    deployed = DeploymentFactory(repository=repo, created_at=started)
    for kwargs in (
        {"repository": repo},  # names the repository
        {"deployment": deployed},  # names one of its deployments
        {"service": service},  # names the service
        {"repository": other},  # another repository: not the service's
    ):
        IncidentFactory(
            domain=domain,
            severity="SEV2",
            status="resolved",
            started_at=started,
            resolved_at=started + timedelta(hours=1),
            **kwargs,
        )
    keys = dora.dora_report(domain, start=START, end=END, service="checkout").keys
    assert keys.restored_incidents == 3
