"""Every chart point opens the page behind it, and the domain's events are drawn
on its time charts (issue 15): a performance or query-plan point opens the
samples of its bucket, or its commit's page when the bucket measured one
commit; incidents and pin moves are annotations that open their pages, read
with one query per source when a panel is built, and cached with it."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.board import annotations as annotations_registry
from dashboard.board.annotations import AnnotationSource
from dashboard.board.rollups import rollups_refresh
from tests.dashboard_panels.test_views import HX, figures, point_links
from tests.support.queries import assert_constant_queries

pytestmark = pytest.mark.django_db


def _panel(client, domain, slug: str, **params) -> str:
    url = reverse("dash:dashboard-panel", args=[domain.slug, slug])
    response = client.get(url, {"range": "24h", **params}, **HX)
    assert response.status_code == 200
    return response.content.decode()


def _sample(domain, repository, *, scenario: str, sha: str, p95: float, hours_ago=5):
    from pipelines.models import PerfSample

    sample = PerfSample.objects.create(
        domain=domain,
        repository=repository,
        scenario=scenario,
        commit_sha=sha,
        branch="main",
        p50_ms=p95 / 2,
        p95_ms=p95,
        p99_ms=p95 * 2,
        peak_memory_mb=512.5,
        sample_count=100,
    )
    PerfSample.objects.filter(pk=sample.pk).update(
        created_at=timezone.now() - timedelta(hours=hours_ago)
    )
    return sample


# --- Drill-down from performance and query-plan points -------------------------------
def test_a_perf_point_of_several_commits_opens_the_samples_of_its_bucket(
    engineer_client, domain, build
):
    build.perf(6)  # three commits per scenario, all in one hour
    rollups_refresh()
    fig = figures(_panel(engineer_client, domain, "perf"))["fig-perf-p95"]
    search = next(t for t in fig["data"] if t["name"] == "search")
    [link] = [
        c
        for c, y in zip(point_links(search), search["y"], strict=True)
        if y is not None
    ]
    path, query = link.split("?")
    assert path == "perf-samples/"
    bounds = parse_qs(query)
    assert bounds["scenario"] == ["search"] and bounds["drill"] == ["1"]
    start = datetime.fromisoformat(bounds["from"][0])
    assert datetime.fromisoformat(bounds["to"][0]) - start == timedelta(hours=1)
    assert start.isoformat().replace("+00:00", "Z") == search["x"][0]

    page = engineer_client.get(f"/d/{domain.slug}/{link}")
    assert page.status_code == 200  # several commits: the list, not one of them
    text = page.content.decode()
    assert text.count('<tr data-commit="') == 3
    assert "checkout" not in text.split("<tbody")[1]  # only this scenario
    assert f'href="/d/{domain.slug}/commits/' in text  # each row opens its commit
    # The memory chart's points open the same buckets.
    memory = figures(_panel(engineer_client, domain, "perf"))["fig-perf-memory"]
    search = next(t for t in memory["data"] if t["name"] == "search")
    links = point_links(search)
    assert [c for c, y in zip(links, search["y"], strict=True) if y] == [link]


def test_a_perf_point_of_one_commit_opens_that_commit_with_its_numbers(
    engineer_client, domain, repositories
):
    sha = "e" * 40
    _sample(domain, repositories[1], scenario="solo ✓", sha=sha, p95=187.4)
    rollups_refresh()
    fig = figures(_panel(engineer_client, domain, "perf"))["fig-perf-p95"]
    [link] = point_links(next(t for t in fig["data"] if t["name"] == "solo ✓"))
    response = engineer_client.get(f"/d/{domain.slug}/{link}")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == f"/d/{domain.slug}/commits/{sha}/"
    assert parse_qs(target.query) == {"repository": ["acme/refunds"]}
    commit = engineer_client.get(response["Location"]).content.decode()
    measured = commit[commit.index('id="measured"') :]
    assert "solo ✓" in measured and "187.4" in measured  # the charted value
    # Without drill=1 (the list opened by hand) the one row is listed instead.
    listed = engineer_client.get(f"/d/{domain.slug}/{link.replace('&drill=1', '')}")
    assert (
        listed.status_code == 200 and f'data-commit="{sha}"' in listed.content.decode()
    )


def test_a_breach_marker_stays_drawn_and_opens_its_bucket(
    engineer_client, domain, repositories
):
    from pipelines.gates.models import PerfBudget

    PerfBudget.objects.create(domain=domain, scenario="search", p95_ms_max=204)
    for sha, p95 in (("1" * 40, 201), ("2" * 40, 203), ("3" * 40, 205)):
        _sample(domain, repositories[0], scenario="search", sha=sha, p95=p95)
    rollups_refresh()
    fig = figures(_panel(engineer_client, domain, "perf"))["fig-perf-p95"]
    breach = next(t for t in fig["data"] if t["name"] == "Over budget")
    line = next(t for t in fig["data"] if t["name"] == "search")
    assert breach["y"] == [205] and breach["marker"]["symbol"] == "x"
    assert breach["customdata"] == point_links(line)  # the same bucket's samples
    # Drawn after the line, so on top of it.
    assert fig["data"].index(breach) > fig["data"].index(line)


def test_a_query_plan_point_opens_its_plans_or_its_commit(
    engineer_client, domain, build
):
    build.plans(4)  # two commits per query in the last hour
    rollups_refresh()
    fig = figures(_panel(engineer_client, domain, "query-plans"))["fig-plan-cost"]
    trace = next(t for t in fig["data"] if t["name"] == "søk")
    [link] = point_links(trace)
    assert link.startswith("query-plans/?query=s%C3%B8k&from=")
    page = engineer_client.get(f"/d/{domain.slug}/{link}")
    assert page.status_code == 200
    assert page.content.decode().count('<tr data-commit="') == 2

    from pipelines.models import QueryPlan

    QueryPlan.objects.filter(query_name="søk").exclude(
        pk=QueryPlan.objects.filter(query_name="søk").first().pk
    ).delete()
    response = engineer_client.get(f"/d/{domain.slug}/{link}")
    assert response.status_code == 302
    assert "/commits/" in response["Location"]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "yesterday"},
        {"to": "2026-13-40"},
        {"from": "2026-11-29T10:00:00Z", "to": "2026-11-29T09:00:00Z"},
        {"from": "0001-01-01T00:00:00+14:00"},
        {"from": "9" * 500},
    ],
)
def test_bad_bounds_are_a_400_saying_why(engineer_client, domain, params):
    url = reverse("pipelines:perf-samples", args=[domain.slug])
    response = engineer_client.get(url, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]
    page = engineer_client.get(url, params, HTTP_ACCEPT="text/html")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert 'role="alert"' in page.content.decode()


def test_the_samples_page_query_count_is_constant(engineer_client, domain, build):
    url = reverse("pipelines:perf-samples", args=[domain.slug])
    now = datetime.now(UTC)
    params = {"scenario": "search", "from": f"{now - timedelta(days=1):%Y-%m-%d}"}

    def call():
        assert engineer_client.get(url, {**params, "drill": "1"}).status_code == 200

    call()
    assert_constant_queries(build.perf, call)


def test_the_commit_page_query_count_is_constant_in_measurements(
    engineer_client, domain, repositories
):
    from pipelines.models import QueryPlan

    sha = "f" * 40
    url = f"/d/{domain.slug}/commits/{sha}/"
    serial = iter(range(1000))

    def measure(n: int) -> None:
        for _ in range(n):
            i = next(serial)
            _sample(domain, repositories[0], scenario=f"s{i}", sha=sha, p95=100 + i)
            QueryPlan.objects.create(
                domain=domain,
                repository=repositories[1],
                query_name=f"q{i}",
                commit_sha=sha,
                plan={},
                startup_cost=0,
                total_cost=10 + i,
                seq_scan_relations=["orders"],
            )

    def call():
        assert engineer_client.get(url).status_code == 200

    call()
    assert_constant_queries(measure, call)
    page = engineer_client.get(url).content.decode()
    assert "Performance samples" in page and "Query plans" in page
    assert "<code>orders</code>" in page


# --- Annotations: incidents and pin moves ---------------------------------------------
def _incident(domain, *, hours_ago: float, resolved_after=None, severity="SEV1"):
    from incidents.models import Incident

    started = timezone.now() - timedelta(hours=hours_ago)
    return Incident.objects.create(
        domain=domain,
        source="api",
        external_id=f"inc-{hours_ago}-{severity}",
        title="Checkout «down» for ünïcode users",
        severity=severity,
        status="resolved" if resolved_after else "triggered",
        started_at=started,
        resolved_at=started + resolved_after if resolved_after else None,
    )


def test_incidents_are_drawn_on_the_time_charts_and_open_their_page(
    engineer_client, domain, build
):
    build.runs(4)
    rollups_refresh()
    resolved = _incident(domain, hours_ago=5, resolved_after=timedelta(minutes=30))
    open_one = _incident(domain, hours_ago=30, severity="SEV3")  # began before 24h
    _incident(domain, hours_ago=60, resolved_after=timedelta(hours=1))  # long over
    html = _panel(engineer_client, domain, "ci-health")
    for key in ("fig-ci-pass-rate", "fig-ci-duration"):
        fig = figures(html)[key]
        trace = next(t for t in fig["data"] if t["name"] == "Incidents")
        assert trace["customdata"] == [
            f"incidents/{resolved.pk}/",
            f"incidents/{open_one.pk}/",
        ]
        assert trace["text"][0].startswith("SEV1 incident: Checkout «down»")
        assert trace["text"][0].endswith("(resolved)")
        assert trace["marker"]["color"] == ["#D55E00", "#E69F00"]
        start, end = fig["layout"]["xaxis"]["range"]
        # The open incident began before the range: its marker sits at its start,
        # and its span runs to the range's end.
        assert trace["x"][1] == start
        spans = [s for s in fig["layout"]["shapes"] if s["type"] == "rect"]
        assert [(s["x0"] == start, s["x1"] == end) for s in spans] == [
            (False, False),
            (True, True),
        ]
        assert trace["yaxis"] == "y2" and fig["layout"]["yaxis2"]["range"] == [0, 1]
    # Listed under the charts too, as links.
    assert f'href="/d/{domain.slug}/incidents/{resolved.pk}/"' in html
    assert "(ongoing)" in html
    assert (
        engineer_client.get(f"/d/{domain.slug}/incidents/{resolved.pk}/").status_code
        == 200
    )


def test_pin_moves_are_drawn_and_open_their_proposal_or_pin(
    engineer_client, domain, build, repositories
):
    from pipelines.pins.models import Pin, Proposal, RolloutEvent
    from tests.pins.factories import pin_world, version

    build.plans(2)
    rollups_refresh()
    made = pin_world(domain, repositories[0], pin_id="summary")
    rollout = Pin.objects.get(pk=made["pin"]).rollouts.get()
    rollout.proposal = Proposal.objects.get(pk=made["proposal"])
    rollout.save()
    RolloutEvent.objects.create(
        rollout=rollout, kind="started", traffic_pct=5, text="rollout started at 5%"
    )
    RolloutEvent.objects.create(
        rollout=rollout, kind="rolled_back", traffic_pct=0, text="burn 3.1 > 2"
    )
    # A pin that served at once (no rollout), and one removed since.
    quick = version(repositories[1], "classifier", text="x", temperature=0)
    Pin.objects.create(
        domain=domain,
        repository=repositories[1],
        pin_id="classifier",
        current=quick,
        stable=quick,
        default_sha="a" * 40,
        changed_at=timezone.now() - timedelta(hours=2),
    )
    gone = version(repositories[1], "old", text="y", temperature=0)
    Pin.objects.create(
        domain=domain,
        repository=repositories[1],
        pin_id="old",
        current=gone,
        stable=gone,
        default_sha="a" * 40,
        removed=True,
        changed_at=timezone.now() - timedelta(hours=3),
    )
    fig = figures(_panel(engineer_client, domain, "query-plans"))["fig-plan-cost"]
    trace = next(t for t in fig["data"] if t["name"] == "Pin moves")
    moves = dict(zip(trace["text"], trace["customdata"], strict=True))
    short = rollout.to_version.content_hash[:12]
    assert moves == {
        f"pin summary → {short}: burn 3.1 &gt; 2": f"proposals/{made['proposal']}/",
        f"pin summary → {short}: rollout started at 5%": (
            f"proposals/{made['proposal']}/"
        ),
        f"pin classifier → {quick.content_hash[:12]}: serves at once (no rollout)": (
            f"pins/{Pin.objects.get(pin_id='classifier').pk}/"
        ),
        "pin old removed": "proposals/",
    }
    assert "#D55E00" in trace["marker"]["color"]  # the rollback stands out
    for link in set(moves.values()):
        assert engineer_client.get(f"/d/{domain.slug}/{link}").status_code == 200


def test_each_source_is_read_once_per_domain_and_range_for_all_its_panels(
    engineer_client, domain, build, monkeypatch
):
    """The annotated panels of a page load together: the first reads each
    source, the others (and the same panel again) use what it read."""
    build.runs(3)
    rollups_refresh()
    calls = []

    def marks(domain_id, time_range):
        calls.append((domain_id, time_range.key))
        return [{"t": "2000-01-01T00:00:00Z", "label": "<b>x</b>", "link": "runs/"}]

    monkeypatch.setattr(annotations_registry, "ANNOTATION_SOURCES", {})
    annotations_registry.annotation_source_register(
        AnnotationSource(key="probe", name="Probe", marks=marks)
    )
    html = _panel(engineer_client, domain, "ci-health")
    _panel(engineer_client, domain, "ci-health")  # cached: not read again
    perf = _panel(engineer_client, domain, "perf")  # the same page: not either
    assert calls == [(domain.pk, "24h")]
    assert "· Probe: <a" in perf  # its events' list, from what ci-health read
    _panel(engineer_client, domain, "perf", range="7d")  # another range: read
    assert calls == [(domain.pk, "24h"), (domain.pk, "7d")]
    for fig in figures(html).values():
        probe = next(t for t in fig["data"] if t["name"] == "Probe")
        assert probe["text"] == ["&lt;b&gt;x&lt;/b&gt;"]  # names are text, never HTML
    # A panel without time charts reads none.
    _panel(engineer_client, domain, "gates")
    assert len(calls) == 2


def test_a_new_incident_shows_on_cached_charts_at_once(
    engineer_client, domain, build, django_capture_on_commit_callbacks
):
    """The CI panel is cached for minutes; an incident reported meanwhile is on
    its charts at the next view, not after the cache's TTL."""
    from incidents.services.incidents import IncidentReport, incident_upsert

    build.runs(4)
    build.perf(2)
    rollups_refresh()
    before = figures(_panel(engineer_client, domain, "ci-health"))
    before |= figures(_panel(engineer_client, domain, "perf"))
    assert all(
        "Incidents" not in [t["name"] for t in fig["data"]] for fig in before.values()
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = incident_upsert(
            domain=domain,
            report=IncidentReport(
                source="api",
                external_id="INC-now",
                title="Checkout errors",
                severity="SEV2",
                started_at=timezone.now() - timedelta(minutes=20),
            ),
        ).obj
    after = figures(_panel(engineer_client, domain, "ci-health"))
    after |= figures(_panel(engineer_client, domain, "perf"))
    for key in ("fig-ci-pass-rate", "fig-perf-p95"):
        trace = next(t for t in after[key]["data"] if t["name"] == "Incidents")
        assert trace["customdata"] == [f"incidents/{created.pk}/"]


def _ci_data(domain):
    from dashboard.board.panels import PANELS, panel_build
    from dashboard.board.panels.common import RANGES

    return panel_build(PANELS["ci-health"], domain.pk, RANGES["24h"])


def test_a_ci_point_opens_the_runs_of_its_bucket(engineer_client, domain, build):
    """Each CI point links to our runs page narrowed to its workflow and its
    bucket; the page lists exactly the runs the point counted."""
    build.runs(6, hours_ago=5)  # started 4-5 h ago
    build.runs(6, hours_ago=30)  # outside the 24 h range
    rollups_refresh()
    fig = figures(_panel(engineer_client, domain, "ci-health"))["fig-ci-pass-rate"]
    trace = next(t for t in fig["data"] if t["name"].endswith("CI ✓"))
    link = point_links(trace)[-1]
    query = parse_qs(urlsplit(link).query)
    assert query["workflow"] == ["CI ✓"] and query["drill"] == ["1"]
    [repository] = query["repository"]
    start = datetime.fromisoformat(query["from"][0])
    end = datetime.fromisoformat(query["to"][0])
    assert end - start == timedelta(hours=1)  # the 24 h range's bucket
    page = engineer_client.get(f"/d/{domain.slug}/{link}")
    assert page.status_code == 200
    html = page.content.decode()
    from pipelines.models import Run

    counted = Run.objects.filter(
        domain=domain,
        workflow="CI ✓",
        repository__full_name=repository,
        started_at__gte=start,
        started_at__lt=end,
    )
    point = next(
        p
        for w in _ci_data(domain)["workflows"]
        if w["name"] == trace["name"]
        for p in w["points"]
        if p["t"] == trace["x"][-1]
    )
    assert counted.count() == point["runs"]  # the page lists what the point counts
    assert counted.exists()
    for run in Run.objects.filter(domain=domain):
        shown = f'/d/{domain.slug}/runs/{run.pk}/"' in html
        assert shown == counted.filter(pk=run.pk).exists(), run
    assert 'data-testid="run-bounds"' in html and "any time" in html


def test_bad_run_bounds_are_said_on_the_page_and_a_400_for_htmx(
    engineer_client, domain, build
):
    build.runs(2)
    url = f"/d/{domain.slug}/runs/"
    page = engineer_client.get(url, {"from": "yesterday"}, HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert "from must be a time in ISO 8601" in page.content.decode()
    fragment = engineer_client.get(
        url, {"from": "2026-01-02", "to": "2026-01-01"}, **HX
    )
    assert fragment.status_code == 400
    assert fragment["Content-Type"] == "application/problem+json"
    assert fragment.json()["detail"] == "from must be before to."
