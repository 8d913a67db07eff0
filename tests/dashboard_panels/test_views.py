"""The dashboard page, its panels, the range selector and failing-runs paging."""

import json
import re

import pytest
from django.urls import reverse

from dashboard.board import charts
from dashboard.board.panels import PANELS
from tests.factories import DomainFactory, UserFactory, member

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def figures(html: str) -> dict[str, dict]:
    """Every plotly figure embedded in a response, by its element id."""
    found = re.findall(
        r'<script id="(fig-[^"]+)" type="application/json">(.*?)</script>', html, re.S
    )
    return {key: json.loads(body) for key, body in found}


def point_links(trace: dict) -> list[str]:
    """What a click on each point of a trace opens (static/js/dashboard.js):
    the point's own link (customdata), or the trace's link (meta) narrowed to
    the point's bucket."""
    if "customdata" in trace:
        return trace["customdata"]
    return [charts.point_link(trace["meta"], x) for x in trace["x"]]


def test_shell_renders_every_panel_as_an_htmx_placeholder(engineer_client, domain):
    response = engineer_client.get(reverse("dash:dashboard", args=[domain.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    for slug in PANELS:
        url = reverse("dash:dashboard-panel", args=[domain.slug, slug])
        assert f'hx-get="{url}?range=7d"' in html
    assert html.count('hx-trigger="load"') == len(PANELS)
    # plotly is served by us, never a CDN.
    assert "/static/plotly/plotly.min.js" in html
    assert "cdn" not in html.lower()


def test_range_links_work_without_javascript_and_push_the_url(engineer_client, domain):
    url = reverse("dash:dashboard", args=[domain.slug])
    html = engineer_client.get(url, {"range": "30d"}).content.decode()
    for key in ("24h", "7d", "30d", "90d"):
        assert f'href="{url}?range={key}"' in html
        assert f'hx-get="{url}?range={key}"' in html
    assert 'hx-push-url="true"' in html
    assert re.search(r'range=30d"[^>]*aria-current="page"', html)
    # The panels follow the chosen range.
    assert "?range=30d" in html and 'hx-trigger="load"' in html


def test_htmx_range_change_returns_only_the_panels(engineer_client, domain):
    url = reverse("dash:dashboard", args=[domain.slug])
    response = engineer_client.get(url, {"range": "24h"}, **HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="panels"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_a_bad_range_is_a_problem_not_a_500(engineer_client, domain):
    response = engineer_client.get(
        reverse("dash:dashboard", args=[domain.slug]), {"range": "1y"}
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "24h, 7d, 30d, 90d" in response.json()["detail"]


def test_someone_elses_domain_is_a_404(client, domain, build):
    build.everything(3)
    outsider = UserFactory(username="mallory")
    member(outsider, DomainFactory(slug="other"), "admin")
    client.force_login(outsider)
    assert client.get(reverse("dash:dashboard", args=[domain.slug])).status_code == 404
    for slug in PANELS:
        url = reverse("dash:dashboard-panel", args=[domain.slug, slug])
        response = client.get(url, **HX)
        assert response.status_code == 404
        assert b"payments" not in response.content.lower()


def test_each_panel_renders_its_charts_with_a_table(engineer_client, domain, build):
    build.everything(12)
    expected = {
        "ci-health": {"fig-ci-pass-rate", "fig-ci-duration"},
        "perf": {"fig-perf-p95", "fig-perf-memory"},
        "query-plans": {"fig-plan-cost"},
        "ingestion": {"fig-ingestion"},
        "gates": set(),
        "flaky": set(),
    }
    for slug, keys in expected.items():
        url = reverse("dash:dashboard-panel", args=[domain.slug, slug])
        response = engineer_client.get(url, {"range": "24h"}, **HX)
        assert response.status_code == 200, slug
        html = response.content.decode()
        assert "<html" not in html
        found = figures(html)
        assert set(found) == keys, slug
        for key, figure in found.items():
            assert figure["layout"]["title"]["text"], key
            assert figure["layout"]["yaxis"]["title"]["text"], key
            assert all("hovertemplate" in t for t in figure["data"]), key
            assert f'data-chart="{key}"' in html
        assert html.count('<details class="chart-table">') == len(keys)


def test_ci_health_numbers(engineer_client, domain, build):
    build.runs(9, conclusion_every=3)  # 3 failures, 6 successes
    from dashboard.board.rollups import rollups_refresh

    rollups_refresh()
    url = reverse("dash:dashboard-panel", args=[domain.slug, "ci-health"])
    html = engineer_client.get(url, {"range": "24h"}, **HX).content.decode()
    assert "9 completed runs" in html
    assert "66.7 %" in html
    fig = figures(html)["fig-ci-pass-rate"]
    names = {t["name"] for t in fig["data"]}
    assert names == {"refunds · Nightly — «perf»", "payments-api · CI ✓"}
    assert html.count('class="badge badge-bad"') == 3


def test_perf_panel_draws_the_budget_and_lists_broken_commits(
    engineer_client, domain, build
):
    from pipelines.gates.models import PerfBudget

    PerfBudget.objects.create(domain=domain, scenario="search", p95_ms_max=250)
    PerfBudget.objects.create(domain=domain, scenario="", memory_mb_max=320)
    build.everything(6)
    url = reverse("dash:dashboard-panel", args=[domain.slug, "perf"])
    html = engineer_client.get(url, {"range": "24h"}, **HX).content.decode()
    p95 = figures(html)["fig-perf-p95"]
    budget = [t for t in p95["data"] if t["name"] == "search budget"]
    assert budget and budget[0]["y"] == [250, 250]
    assert budget[0]["line"]["dash"] == "dash"
    memory = figures(html)["fig-perf-memory"]
    assert {t["name"] for t in memory["data"] if "budget" in t["name"]} == {
        "checkout p95 🛒 budget",
        "search budget",
    }
    assert "p95 312 ms &gt; budget 250 ms; +18% vs main" in html


def test_failing_runs_page_through_with_a_cursor(engineer_client, domain, build):
    build.runs(75, conclusion_every=3)  # 25 failures, 10 per page
    from dashboard.board.rollups import rollups_refresh

    rollups_refresh()
    url = reverse("dash:dashboard-panel", args=[domain.slug, "ci-health"])
    html = engineer_client.get(url, {"range": "24h"}, **HX).content.decode()
    seen = re.findall(r"<code>([0-9a-f]{7})</code>", html)
    pages = 1
    while True:
        match = re.search(r'class="older" href="([^"]+)"', html)
        if not match:
            break
        next_url = match.group(1).replace("&amp;", "&")
        html = engineer_client.get(next_url, **HX).content.decode()
        assert html.lstrip().startswith('<div id="failing-runs"')
        seen += re.findall(r"<code>([0-9a-f]{7})</code>", html)
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 25
    # Without htmx the same link is a whole page.
    full = engineer_client.get(next_url)
    assert b"<html" in full.content and b"Older failing runs" not in full.content


def test_a_panel_opens_on_its_own_without_javascript(engineer_client, domain, build):
    build.everything(3)
    url = reverse("dash:dashboard-panel", args=[domain.slug, "ingestion"])
    html = engineer_client.get(url, {"range": "7d"}).content.decode()
    assert "<html" in html and "fig-ingestion" in html and "All panels" in html


def test_ingestion_panel_counts_and_links_dead_letters(client, domain, build):
    from dashboard.models import DeadLetter

    build.deliveries(10)  # 2 failed (every fifth), duplicates 1+2+0+1+2+0+1+2+0+1
    build.deliveries(4, unmapped=True)
    DeadLetter.objects.create(
        task_name="pipelines.process_delivery", error="boom", domain=domain
    )
    from dashboard.board.rollups import rollups_refresh

    rollups_refresh()
    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = reverse("dash:dashboard-panel", args=[domain.slug, "ingestion"])
    html = client.get(url, {"range": "24h"}, **HX).content.decode()
    assert "<strong>10</strong> deliveries received" in html
    assert "<strong>4</strong> deliveries from unmapped repositories" in html
    assert "1</strong> dead letter waiting" in html
    assert f'href="{reverse("platform:dead-letter-list")}"' in html
    assert "≈" in html and "approximate" in html


def test_plotly_is_served_locally_by_whitenoise_from_the_plotly_package(client):
    from django.templatetags.static import static

    url = static("plotly/plotly.min.js")
    response = client.get(url)
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    body = b"".join(response.streaming_content)
    assert b"plotly.js" in body[:2000].lower()
    # Nothing else from plotly's package data is exposed.
    assert client.get(static("plotly/widgetbundle.js")).status_code == 404


def test_bench_noop_exists_only_when_switched_on(client, settings):
    settings.BENCHMARK_ENDPOINTS = False
    assert client.get("/bench/noop").status_code == 404
    settings.BENCHMARK_ENDPOINTS = True
    assert client.get("/bench/noop").status_code == 204


def test_the_webhook_floor_stores_once_pushes_once_and_exists_only_when_on(
    client, settings
):
    """The benchmark's ingest floor: HMAC, one INSERT … ON CONFLICT DO NOTHING
    RETURNING, one LPUSH; 404 unless BENCHMARK_ENDPOINTS is on."""
    import hashlib
    import hmac

    from django.db import connection

    body = b'{"zen": "floor"}'
    signature = hmac.new(
        settings.GITHUB_WEBHOOK_SECRET.encode(), body, hashlib.sha256
    ).hexdigest()
    headers = {
        "X-GitHub-Delivery": "floor-1",
        "X-GitHub-Event": "push",
        "X-Hub-Signature-256": f"sha256={signature}",
    }

    def post(**extra):
        return client.post(
            "/bench/floor/webhook",
            body,
            content_type="application/json",
            headers={**headers, **extra},
        )

    settings.BENCHMARK_ENDPOINTS = False
    assert post().status_code == 404
    settings.BENCHMARK_ENDPOINTS = True
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_floor_delivery (id bigint GENERATED BY DEFAULT AS "
            "IDENTITY PRIMARY KEY, delivery_id varchar(100) NOT NULL UNIQUE, "
            "event varchar(64) NOT NULL, body bytea NOT NULL)"
        )
    assert post().status_code == 202
    assert post().status_code == 200  # the same delivery id: nothing stored
    assert post(**{"X-Hub-Signature-256": "sha256=00"}).status_code == 401
    with connection.cursor() as cursor:
        cursor.execute("SELECT delivery_id, body FROM bench_floor_delivery")
        assert [(d, bytes(b)) for d, b in cursor.fetchall()] == [("floor-1", body)]


def test_chart_tables_escape_what_they_show():
    from dashboard.board.charts import line_chart

    chart = line_chart(
        key="k",
        title="T",
        y_title="Y",
        unit="ms",
        series=[
            {"name": "<script>x</script>", "x": ["2026-02-29T00:00:00Z"], "y": [None]}
        ],
    )
    html = chart.rows_html()
    assert "<script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<td>—</td>" in html
