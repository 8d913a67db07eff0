"""A rollout's latency and errors split by pin version: the numbers agree with
the raw rows, the pages and the API show them, queries stay flat, the guard
judges the candidate's own points, and pin work's log lines carry the pin."""

import io
import json
import logging
from datetime import timedelta
from statistics import median

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.domains.services import ingest_token_create
from pipelines.ingest.models import PerfSample
from pipelines.pins.logs import pin_log_context
from pipelines.pins.models import Rollout, RolloutState
from pipelines.pins.services import rollouts
from pipelines.pins.split import rollout_split
from slos.models import SliPoint, Slo
from tests.factories import RepositoryFactory
from tests.pins.factories import pin_world
from tests.support.queries import assert_constant_queries

pytestmark = pytest.mark.django_db
PIN = "checkout-summary"


@pytest.fixture
def world(domain):
    repository = RepositoryFactory(domain=domain, full_name="acme/summaries")
    found = pin_world(domain, repository, pin_id=PIN)
    rollout = Rollout.objects.select_related(
        "pin__repository", "from_version", "to_version"
    ).get(pk=found["rollout-advance"])
    # The rollout started two hours ago.
    started = timezone.now() - timedelta(hours=2)
    Rollout.objects.filter(pk=rollout.pk).update(created_at=started)
    rollout.created_at = started
    found.update(rollout=rollout, repository=repository)
    return found


def sample(world, *, scenario, version, p50, p95, count=100, pin_id=PIN, sha=None):
    return PerfSample.objects.create(
        domain=world["repository"].domain,
        repository=world["repository"],
        commit_sha=sha or f"{PerfSample.objects.count() + 1:040x}",
        scenario=scenario,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p95 * 2,
        sample_count=count,
        pin_id=pin_id,
        pin_version=version,
    )


def point(slo, *, minutes_ago, good, total, version, pin_id=PIN):
    return SliPoint.objects.create(
        slo=slo,
        ts=timezone.now() - timedelta(minutes=minutes_ago),
        good=good,
        total=total,
        pin_id=pin_id,
        pin_version=version,
    )


def seed(world):
    """Known figures for both versions, and rows that must not count."""
    rollout = world["rollout"]
    stable, candidate = rollout.from_version, rollout.to_version
    figures = {
        "stable": [(100, 300), (110, 320), (90, 310)],
        "candidate": [(130, 420), (150, 480)],
    }
    for p50, p95 in figures["stable"]:
        sample(world, scenario="checkout", version=stable.short, p50=p50, p95=p95)
    for i, (p50, p95) in enumerate(figures["candidate"]):
        # The application may name a version by its whole hash or its short one.
        tag = candidate.content_hash if i else candidate.short
        sample(world, scenario="checkout", version=tag, p50=p50, p95=p95)
    sample(world, scenario="checkout", version="", p50=1, p95=1, pin_id="")
    sample(world, scenario="checkout", version=stable.short, p50=1, p95=1, pin_id="x")
    old = sample(world, scenario="checkout", version=stable.short, p50=9, p95=9)
    PerfSample.objects.filter(pk=old.pk).update(
        created_at=rollout.created_at - timedelta(minutes=1)
    )
    slo = Slo.objects.get(domain=rollout.domain, name="checkout-latency")
    point(slo, minutes_ago=90, good=990, total=1000, version=stable.short)
    point(slo, minutes_ago=30, good=985, total=1000, version=stable.content_hash)
    point(slo, minutes_ago=90, good=40, total=50, version=candidate.short)
    point(slo, minutes_ago=30, good=45, total=50, version=candidate.short)
    point(slo, minutes_ago=180, good=0, total=50, version=candidate.short)  # before
    point(slo, minutes_ago=30, good=0, total=70, version="", pin_id="")  # untagged
    return figures, slo


def test_the_split_agrees_with_the_raw_rows(world):
    figures, _ = seed(world)
    split = rollout_split(world["rollout"])

    [row] = split.latency
    for role in ("stable", "candidate"):
        cell = row.cells[role]
        assert cell.samples == len(figures[role])
        assert cell.requests == 100 * len(figures[role])
        assert cell.p50_ms == median(p50 for p50, _ in figures[role])
        assert cell.p95_ms == median(p95 for _, p95 in figures[role])
    [errors] = split.errors
    assert errors.slo_name == "checkout-latency" and errors.guard
    assert (errors.cells["stable"].bad, errors.cells["stable"].total) == (25, 2000)
    assert (errors.cells["candidate"].bad, errors.cells["candidate"].total) == (15, 100)
    assert errors.cells["candidate"].error_rate == pytest.approx(0.15)
    # The chart's buckets sum to the table's totals: one window for both.
    assert split.bucket == "5 minutes"  # a rollout of two hours
    assert all(start.minute % 5 == 0 for start, *_ in split.error_buckets)
    assert_buckets_agree(split, errors)
    assert len(split.p95_points) == 5


def assert_buckets_agree(split, errors) -> None:
    for role in ("stable", "candidate"):
        buckets = [(g, t) for _, r, g, t in split.error_buckets if r == role]
        assert sum(t for _, t in buckets) == errors.cells[role].total
        assert sum(t - g for g, t in buckets) == errors.cells[role].bad


def test_a_longer_rollout_is_charted_by_the_hour_and_still_agrees(world):
    seed(world)
    rollout = world["rollout"]
    rollout.created_at = timezone.now() - timedelta(hours=5)
    split = rollout_split(rollout)
    [errors] = split.errors
    # The point three hours old counts now: the window starts five hours ago.
    assert (errors.cells["candidate"].bad, errors.cells["candidate"].total) == (65, 150)
    assert split.bucket == "hour"
    assert all(start.minute == 0 for start, *_ in split.error_buckets)
    assert_buckets_agree(split, errors)


def test_the_pin_and_proposal_pages_show_the_split(client, domain, world, people):
    seed(world)
    Rollout.objects.filter(pk=world["rollout"].pk).update(proposal_id=world["proposal"])
    client.force_login(people["vic"])
    for url in (
        reverse("pins:pin", kwargs={"slug": domain.slug, "pk": world["pin"]}),
        reverse("pins:proposal", kwargs={"slug": domain.slug, "pk": world["proposal"]}),
    ):
        page = client.get(url).content.decode()
        assert "By pin version since the rollout started" in page
        assert 'data-role="stable" data-metric="p95">310.0<' in page
        assert 'data-role="candidate" data-metric="p95">450.0<' in page
        assert 'data-role="candidate" data-metric="error_pct">15.000 %<' in page
        assert 'data-role="stable" data-metric="bad_total">25 / 2000 (2 points)' in page
        assert "as of" in page and f"split-p95-{world['rollout'].pk}" in page
        slo = Slo.objects.get(domain=domain, name="checkout-latency")
        assert reverse("slos:slo-detail", args=[domain.slug, slo.pk]) in page


def test_a_rollout_without_tagged_data_says_how_to_send_it(
    client, domain, world, people
):
    client.force_login(people["vic"])
    page = client.get(
        reverse("pins:pin", kwargs={"slug": domain.slug, "pk": world["pin"]})
    ).content.decode()
    assert "Nothing tagged with this pin" in page and "POST /api/v1/sli" in page


def test_the_split_queries_do_not_grow_with_samples_and_points(world):
    slo = Slo.objects.get(domain=world["rollout"].domain, name="checkout-latency")
    rollout = world["rollout"]

    def more(n: int) -> None:
        for i in range(n):
            for role, version in (
                ("s", rollout.from_version),
                ("c", rollout.to_version),
            ):
                sample(
                    world,
                    scenario=f"{role}{i % 3}",
                    version=version.short,
                    p50=1,
                    p95=2,
                )
                point(
                    slo,
                    minutes_ago=1 + SliPoint.objects.count(),
                    good=1,
                    total=2,
                    version=version.short,
                )

    assert_constant_queries(more, lambda: rollout_split(rollout))


def test_the_api_answers_the_split(client, domain, world):
    seed(world)
    token = ingest_token_create(domain=domain, name="router", scopes=["pins"])
    headers = {"Authorization": f"Bearer {token.plaintext}"}
    answer = client.get(f"/api/v1/pins/acme/summaries/{PIN}/split", headers=headers)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["candidate_version"] == world["rollout"].to_version.content_hash
    assert body["latency"][0]["candidate"]["p95_ms"] == 450.0
    assert body["errors"][0]["candidate"]["bad"] == 15
    assert body["errors"][0]["stable"]["error_rate"] == pytest.approx(25 / 2000)
    missing = client.get("/api/v1/pins/acme/summaries/nope/split", headers=headers)
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    assert "rollout" in missing.json()["detail"]
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/pins/{owner}/{name}/{pin_id}/split" in schema["paths"]


def test_the_guard_judges_the_candidates_own_points(world):
    """The whole SLO burns little (the candidate takes 5 %), but the
    candidate's own points burn at 20×: rolled back, and the event says so."""
    rollout = world["rollout"]
    slo = Slo.objects.get(domain=rollout.domain, name="checkout-latency")
    slo.min_events = 100
    slo.save()
    point(
        slo, minutes_ago=5, good=9990, total=10000, version=rollout.from_version.short
    )
    point(slo, minutes_ago=5, good=160, total=200, version=rollout.to_version.short)
    assert rollouts.rollout_check(rollout_id=rollout.pk) == "rolled_back"
    event = Rollout.objects.get(pk=rollout.pk).events.get(kind="rolled_back")
    assert event.burn_rate == pytest.approx(20.0)
    assert "on the candidate's points" in event.text


def test_too_few_candidate_events_fall_back_to_the_whole_slo(world):
    rollout = world["rollout"]
    slo = Slo.objects.get(domain=rollout.domain, name="checkout-latency")
    point(
        slo, minutes_ago=5, good=9990, total=10000, version=rollout.from_version.short
    )
    point(slo, minutes_ago=5, good=5, total=10, version=rollout.to_version.short)
    assert rollouts.rollout_check(rollout_id=rollout.pk) == "holding"
    assert Rollout.objects.get(pk=rollout.pk).state == RolloutState.RUNNING


@pytest.fixture
def json_lines():
    from config.logging import json_formatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [
            json.loads(line)
            for line in stream.getvalue().splitlines()
            if line.startswith("{")
        ]

    yield lines
    root.removeHandler(handler)
    root.setLevel(level)


def test_log_lines_of_pin_work_carry_pin_id_and_version(world, json_lines):
    rollout = world["rollout"]
    Rollout.objects.filter(pk=rollout.pk).update(
        stage_started_at=timezone.now() - timedelta(hours=1)
    )
    assert rollouts.rollout_check(rollout_id=rollout.pk) == "advanced"
    # Anything logged while pin work runs (the GitHub adapter, retries) too.
    with pin_log_context(PIN, rollout.to_version):
        logging.getLogger("pipelines.github.client").warning("rate limited")
    logging.getLogger("pipelines.github.client").warning("after")
    lines = json_lines()
    advanced = [line for line in lines if line["event"] == "pin rollout advanced"]
    assert advanced and advanced[0]["pin_id"] == PIN
    assert advanced[0]["pin_version"] == rollout.to_version.short
    [inside] = [line for line in lines if line["event"] == "rate limited"]
    assert (inside["pin_id"], inside["pin_version"]) == (PIN, rollout.to_version.short)
    [after] = [line for line in lines if line["event"] == "after"]
    assert "pin_id" not in after


def test_a_review_log_line_names_the_version_under_review(world, people, json_lines):
    from pipelines.pins.models import Proposal, ProposalPin
    from pipelines.pins.services.reviews import review_submit

    proposal = Proposal.objects.get(pk=world["proposal"])
    Proposal.objects.filter(pk=proposal.pk).update(plan_ok=True)
    proposal.refresh_from_db()
    review_submit(
        proposal=proposal,
        reviewer=people["bob"],
        verdict="request_changes",
        comment="too warm",
    )
    after = ProposalPin.objects.get(proposal=proposal).after
    [line] = [x for x in json_lines() if x["event"] == "pin proposal reviewed"]
    assert (line["pin_id"], line["pin_version"]) == (PIN, after.short)


def test_a_pin_task_failing_for_good_logs_its_pin(world, json_lines, settings):
    """The revert task cannot reach GitHub (no token): its failure lines (the
    dead letter's, Celery's own) carry the pin it was about."""
    from pipelines.pins.tasks import pins_revert_open_task

    settings.GITHUB_TOKEN = ""
    rollout = world["rollout"]
    pins_revert_open_task.apply(args=[rollout.pk])
    lines = json_lines()
    failed = [
        line for line in lines if line.get("task_name") == pins_revert_open_task.name
    ]
    assert failed, lines
    assert all(
        (line["pin_id"], line["pin_version"]) == (PIN, rollout.to_version.short)
        for line in failed
    ), failed


def test_the_split_reads_tagged_rows_through_their_partial_indexes(world):
    """Among 40,000 untagged points and 5,000 untagged samples, the split's
    queries find the few tagged rows through sli_point_pin_idx and
    perf_pin_idx, never by scanning the tables."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.support.explain import plan_nodes_of_sql

    seed(world)
    rollout = world["rollout"]
    slo = Slo.objects.get(domain=rollout.domain, name="checkout-latency")
    start = timezone.now() - timedelta(days=30)
    SliPoint.objects.bulk_create(
        SliPoint(slo=slo, ts=start + timedelta(minutes=m), good=9, total=10)
        for m in range(40_000)
    )
    repository = world["repository"]
    PerfSample.objects.bulk_create(
        PerfSample(
            domain=repository.domain,
            repository=repository,
            commit_sha=f"{i:040x}",
            scenario=f"s{i % 20}",
            p50_ms=1,
            p95_ms=2,
            p99_ms=3,
            sample_count=1,
        )
        for i in range(10_000, 15_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE slos_slipoint")
        cursor.execute("ANALYZE pipelines_perfsample")
    with CaptureQueriesContext(connection) as captured:
        rollout_split(rollout)
    reads = {
        table: [q["sql"] for q in captured.captured_queries if table in q["sql"]]
        for table in ("pipelines_perfsample", "slos_slipoint")
    }
    assert len(reads["pipelines_perfsample"]) == 1
    assert len(reads["slos_slipoint"]) == 2
    for table, index in (
        ("pipelines_perfsample", "perf_pin_idx"),
        ("slos_slipoint", "sli_point_pin_idx"),
    ):
        for sql in reads[table]:
            nodes = plan_nodes_of_sql(sql)
            used = {n.get("Index Name") for n in nodes}
            scans = {(n["Node Type"], n.get("Relation Name")) for n in nodes}
            assert index in used, (sql, nodes)
            assert ("Seq Scan", table) not in scans, (sql, nodes)
