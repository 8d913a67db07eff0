"""A scenario named like HTML is drawn by the real plotly.js as text: no link, no
image, in the legend or the hover label."""

import pytest

from dashboard.board.charts import perf_p95_chart
from dashboard.platform.staticfinders import PLOTLY_DIR

pytestmark = [pytest.mark.browser]

HOSTILE = '<a href="https://evil.example/">win</a><img src=x id=pwned>'


def test_plotly_draws_a_hostile_scenario_name_as_text(page):
    chart = perf_p95_chart(
        {
            "scenarios": [
                {
                    "name": HOSTILE,
                    "points": [
                        {"t": "2026-02-28T23:00:00Z", "p95_ms": 120.0},
                        {"t": "2026-02-29T00:00:00Z", "p95_ms": 90.0},
                    ],
                    "p95_budget_ms": 100.0,
                }
            ]
        }
    )
    page.set_content('<div id="chart"></div>')
    page.add_script_tag(path=str(PLOTLY_DIR / "plotly.min.js"))
    page.evaluate("f => Plotly.newPlot('chart', f.data, f.layout)", chart.figure)
    legend = page.locator("#chart .legend")
    assert legend.locator("a").count() == 0
    assert page.locator("#chart a[href*='evil'], #pwned, #chart image").count() == 0
    texts = legend.locator("text.legendtext").all_text_contents()
    assert HOSTILE in texts and f"{HOSTILE} budget" in texts
