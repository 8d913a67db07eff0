"""The stored DORA summary per domain and the overview's DORA column (issues 11
and 15): the summary holds what incidents/dora.py computes for its window (and
what an independent computation finds), the column reads every domain in one
query, says "no deployments" rather than judging a domain without any, says
when it was computed, and links to the domain's DORA panel; the beat's task
refreshes the rows in a real worker, and a deployment status or an incident
asks for one."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import dora
from incidents.models import DoraSummary
from incidents.overview import dora_cells
from incidents.services.dora_facts import (
    deployment_outcome_record,
    deployment_status_received,
)
from incidents.services.dora_summaries import (
    dora_summaries_refresh,
    dora_summary_refresh,
    overall_band,
)
from incidents.services.incidents import IncidentReport, incident_upsert
from tests.factories import DomainFactory, RepositoryFactory, UserFactory, member
from tests.incidents.factories import DeploymentFactory, IncidentFactory
from tests.incidents.test_dora import START, _close, _expected, _scenario

pytestmark = pytest.mark.django_db

KEYS = (
    "deployments",
    "deployments_per_day",
    "lead_time_seconds",
    "lead_time_commits",
    "production_deployments",
    "failed_deployments",
    "change_failure_rate",
    "time_to_restore_seconds",
    "restored_incidents",
    "mean_time_to_acknowledge_seconds",
)
BANDS = (
    "deployment_frequency_band",
    "lead_time_band",
    "change_failure_rate_band",
    "time_to_restore_band",
)


def _cell(html: str, slug: str) -> str:
    """The DORA cell of the domain's row on the overview."""
    start = html.index(f'<tr data-domain="{slug}"')
    row = html[start : html.index("</tr>", start)]
    cells = re.findall(r"<td [^>]*>.*?</td>", row, flags=re.S)
    titles = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', html)[1:]
    return cells[titles.index("DORA (30 days)")]


def _deployments(repository, n: int, *, end: datetime, failed_every: int = 0):
    """n production deployments over the last 29 days before `end`."""
    for i in range(n):
        at = end - timedelta(days=29) + timedelta(hours=i * 29 * 24 / n)
        deployment = DeploymentFactory(repository=repository, created_at=at)
        failed = failed_every and i % failed_every == 0
        deployment_outcome_record(
            deployment=deployment,
            state="failure" if failed else "success",
            at=at + timedelta(minutes=5),
        )


def _viewer(client, *domains):
    user = UserFactory()
    for domain in domains:
        member(user, domain, "viewer")
    client.force_login(user)


# --- The summary is dora.py's keys for its window ----------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_the_summary_holds_the_keys_of_its_window(seed):
    domain, deployments, commits, incidents = _scenario(seed)
    now = START + timedelta(days=30)
    summary = dora_summary_refresh(domain=domain, now=now)
    summary.refresh_from_db()
    assert summary.window_start == START and summary.computed_at == now
    report = dora.dora_report(domain, start=START, end=now).keys
    independent = _expected(deployments, commits, incidents, START, now)
    for name in KEYS:
        stored = getattr(summary, name)
        assert _close(stored, getattr(report, name)), (name, stored)
        assert _close(stored, independent[name]), (name, stored, independent[name])
    for name in BANDS:
        assert getattr(summary, name) == (getattr(report, name) or ""), name
    bands = [getattr(summary, name) for name in BANDS if getattr(summary, name)]
    order = ["low", "medium", "high", "elite"]
    assert summary.overall_band == min(bands, key=order.index)


def test_the_overall_band_is_the_worst_known_key():
    assert overall_band("elite", None, "medium", "high") == "medium"
    assert overall_band("", "low", "elite", None) == "low"
    assert overall_band(None, "", None, None) == ""


def test_a_refresh_replaces_the_row_and_covers_every_domain():
    quiet = DomainFactory()
    busy = DomainFactory()
    now = timezone.now()
    _deployments(RepositoryFactory(domain=busy), 6, end=now)
    assert dora_summaries_refresh(now=now - timedelta(days=40)) >= 2
    assert DoraSummary.objects.get(domain=busy).deployments == 0  # before them
    dora_summaries_refresh(now=now)
    assert DoraSummary.objects.filter(domain__in=[quiet, busy]).count() == 2
    assert DoraSummary.objects.get(domain=busy).deployments == 6
    assert DoraSummary.objects.get(domain=busy).computed_at == now


# --- The overview's column ------------------------------------------------------------
def test_the_overview_shows_the_keys_and_links_to_the_dora_panel(client):
    domain = DomainFactory(name="Pagos ünd Zahlungen")
    now = timezone.now()
    _deployments(RepositoryFactory(domain=domain), 60, end=now)  # ~2 a day
    IncidentFactory(
        domain=domain,
        severity="SEV2",
        status="resolved",
        started_at=now - timedelta(days=3),
        resolved_at=now - timedelta(days=3) + timedelta(hours=2),
    )
    dora_summaries_refresh(now=now)
    _viewer(client, domain)
    html = client.get("/").content.decode()
    assert '<th scope="col" title="The worst band' in html
    cell = _cell(html, domain.slug)
    href = f"/d/{domain.slug}/dashboard/?range=30d#panel-dora"
    # Frequency elite (60 in 30 days), no lead time (no commits), no failures
    # (elite), restore 2 h (high): high overall.
    assert f'<a href="{href}">high · 2.0/day</a>' in cell
    assert "deploys 2.0/day (elite)" in cell and "lead time —" in cell
    assert "failures 0 % (elite)" in cell and "restore 2 h (high)" in cell
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'as of <time datetime="{stamp}"' in cell
    assert 'class="level-0"' in cell
    panel_page = client.get(href.split("#")[0]).content.decode()
    assert 'id="panel-dora"' in panel_page


def test_a_domain_without_deployments_is_not_judged_on_them(client):
    empty = DomainFactory(name="Empty")
    restored = DomainFactory(name="Restored only")
    now = timezone.now()
    IncidentFactory(
        domain=restored,
        severity="SEV1",
        status="resolved",
        started_at=now - timedelta(days=2),
        resolved_at=now - timedelta(days=2) + timedelta(minutes=20),
    )
    dora_summaries_refresh(now=now)
    summary = DoraSummary.objects.get(domain=empty)
    assert summary.deployments_per_day is None and summary.overall_band == ""
    _viewer(client, empty, restored)
    html = client.get("/").content.decode()
    cell = _cell(html, empty.slug)
    assert ">no deployments</a>" in cell
    assert "/day" not in cell and "elite" not in cell and "low" not in cell
    assert 'class="level-none"' in cell
    cell = _cell(html, restored.slug)
    assert ">elite · no deployments</a>" in cell
    assert "restore 20 min (elite)" in cell


def test_low_needs_attention_and_medium_is_watched(client):
    now = timezone.now()
    failing, shaky = DomainFactory(name="Failing"), DomainFactory(name="Shaky")
    _deployments(RepositoryFactory(domain=failing), 10, end=now, failed_every=2)
    _deployments(RepositoryFactory(domain=shaky), 10, end=now, failed_every=3)
    dora_summaries_refresh(now=now)
    # 5 of 10 failed: 50 % (low); 4 of 10: 40 % (medium).
    _viewer(client, failing, shaky)
    html = client.get("/").content.decode()
    cell = _cell(html, failing.slug)
    assert 'class="level-2"' in cell and "failures 50 % (low)" in cell
    assert ">low · 1.2/week</a>" in cell  # 5 succeeded in 30 days
    cell = _cell(html, shaky.slug)
    assert 'class="level-1"' in cell and "failures 40 % (medium)" in cell
    assert re.findall(r'<tr data-domain="([\w-]+)"', html)[0] == failing.slug


def test_a_missing_or_stale_summary_says_so(client):
    missing, stale = DomainFactory(name="Missing"), DomainFactory(name="Stale")
    old = timezone.now() - timedelta(seconds=3 * settings.DORA_SUMMARY_SECONDS + 60)
    dora_summary_refresh(domain=stale, now=old)
    _viewer(client, missing, stale)
    html = client.get("/").content.decode()
    cell = _cell(html, missing.slug)
    assert ">not computed yet</a>" in cell and "computed every 5 min" in cell
    cell = _cell(html, stale.slug)
    assert "stale (computed every 5 min)" in cell
    stamp = old.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'as of <time datetime="{stamp}"' in cell


def test_the_column_reads_every_domain_in_one_query():
    now = timezone.now()

    def queries_for(n: int) -> tuple[int, int]:
        domains = [DomainFactory() for _ in range(n)]
        for domain in domains[::2]:
            _deployments(RepositoryFactory(domain=domain), 3, end=now)
        dora_summaries_refresh(now=now)
        with (
            CaptureQueriesContext(connections["replica"]) as replica,
            CaptureQueriesContext(connections["default"]) as default,
        ):
            cells = dora_cells(domains, now)
        assert set(cells) == {d.pk for d in domains}
        return len(default) + len(replica), sum(
            c.text == "medium · 3 in 30 days" for c in cells.values()
        )

    five = queries_for(5)
    fifty = queries_for(50)
    assert five[0] == fifty[0] == 1
    assert (five[1], fifty[1]) == (3, 25)


# --- The demo, the beat and the worker -------------------------------------------------
def test_the_demo_leaves_summaries_for_the_overview(client, tmp_path):
    from django.core.management import call_command

    call_command("load_demo", stdout=open(tmp_path / "out", "w"))  # noqa: SIM115
    payments = DoraSummary.objects.get(domain__slug="payments")
    assert payments.deployments > 20 and payments.overall_band
    assert payments.restored_incidents == 2
    search = DoraSummary.objects.get(domain__slug="search")
    assert search.deployments_per_day is None
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="alice"))
    html = client.get("/").content.decode()
    assert "/day</a>" in _cell(html, "payments")
    assert ">no deployments</a>" in _cell(html, "search")


def test_the_beat_refreshes_the_summaries_every_five_minutes():
    from incidents.tasks import dora_summaries_refresh_task

    entry = settings.CELERY_BEAT_SCHEDULE["refresh-dora-summaries"]
    assert entry["task"] == dora_summaries_refresh_task.name
    assert entry["schedule"] == settings.DORA_SUMMARY_SECONDS == 300


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_a_worker_refreshes_summaries_from_the_beat_and_on_a_deployment(
    celery_worker,
):
    from config.tasks import enqueue
    from incidents.tasks import dora_summaries_refresh_task

    domain = DomainFactory()
    repository = RepositoryFactory(domain=domain)
    _deployments(repository, 4, end=timezone.now())

    def wait_for(predicate, what: str) -> None:
        deadline = time.monotonic() + 60
        while not predicate() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert predicate(), f"{what}\n{celery_worker.output()[-3000:]}"

    assert enqueue(dora_summaries_refresh_task)
    wait_for(
        lambda: DoraSummary.objects.filter(domain=domain, deployments=4).exists(),
        "the beat's task stored the summary",
    )
    # A new deployment's status asks for a refresh of its domain alone.
    deployment = DeploymentFactory(
        repository=repository, created_at=timezone.now() - timedelta(minutes=10)
    )
    deployment_status_received(
        None,
        deployment=deployment,
        state="success",
        status_id=1,
        created_at=timezone.now() - timedelta(minutes=5),
    )
    wait_for(
        lambda: DoraSummary.objects.filter(domain=domain, deployments=5).exists(),
        "the deployment status refreshed the summary",
    )
    # So does an incident reported for the domain.
    started = timezone.now() - timedelta(hours=3)
    incident_upsert(
        domain=domain,
        report=IncidentReport(
            source="api",
            external_id="INC-ünïcode-1",
            status="resolved",
            severity="SEV2",
            started_at=started,
            resolved_at=started + timedelta(minutes=45),
        ),
    )
    wait_for(
        lambda: DoraSummary.objects.filter(
            domain=domain, restored_incidents=1, time_to_restore_seconds=45 * 60
        ).exists(),
        "the incident refreshed the summary",
    )
