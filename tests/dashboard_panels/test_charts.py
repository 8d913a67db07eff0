"""Chart builders: names from users (workflows, scenarios, queries) stay text."""

from dashboard.board.charts import line_chart, perf_p95_chart, stacked_bars

HOSTILE = '<a href="https://evil.example/">win</a><img src=x onerror=alert(1)>'


def test_series_names_are_escaped_in_legend_and_hover_text():
    chart = perf_p95_chart(
        {
            "scenarios": [
                {
                    "name": HOSTILE,
                    "points": [{"t": "2026-02-28T23:00:00Z", "p95_ms": 120.0}],
                    "p95_budget_ms": 100.0,
                }
            ]
        }
    )
    traces = chart.figure["data"]
    assert len(traces) == 2  # the series and its budget line
    for trace in traces:
        assert "<a" not in trace["name"] and "<img" not in trace["name"]
        assert "&lt;a href=" in trace["name"]
        text = trace["hovertemplate"].removesuffix("<extra></extra>")
        assert "<" not in text and "&lt;img src=x" in text
    # The table keeps the name and escapes it exactly once.
    assert "&lt;a href=&quot;https://evil.example/&quot;&gt;" in chart.rows_html()


def test_stacked_bar_names_are_escaped():
    chart = stacked_bars(
        key="k", title="t", y_title="y", x=["t"], stacks=[{"name": HOSTILE, "y": [1]}]
    )
    (trace,) = chart.figure["data"]
    assert trace["name"].startswith("&lt;a href=") and "<img" not in trace["name"]
    assert trace["hovertemplate"].startswith("&lt;a href=")


def test_ampersand_is_escaped_so_entities_in_names_stay_literal():
    chart = line_chart(
        key="k",
        title="t",
        y_title="y",
        unit="ms",
        series=[{"name": "R&D &lt;b&gt;", "x": ["t"], "y": [1.0]}],
    )
    assert chart.figure["data"][0]["name"] == "R&amp;D &amp;lt;b&amp;gt;"


def test_a_figure_and_its_table_are_written_as_django_would_write_them():
    """The figure's script tag is byte for byte what `json_script` writes (a
    hostile name cannot close the tag), and the table escapes every cell, with
    numbers that compare equal (1 and 1.0) still written apart."""
    from django.utils.html import escape, json_script

    chart = line_chart(
        key="k",
        title="t",
        y_title="y",
        unit="ms",
        series=[
            {"name": HOSTILE + "</script>&", "x": ["a", "b", "c"], "y": [1, 1.0, 2.5]},
            {"name": "second", "x": ["a"], "y": [None]},
        ],
    )
    assert chart.figure_script() == json_script(chart.figure, chart.dom_id)
    assert "</script>&" not in chart.figure_script().split(">", 1)[1][:-9]
    expected = "".join(
        "<tr>"
        + "".join(f"<td>{'—' if v is None else escape(v)}</td>" for v in row)
        + "</tr>"
        for row in chart.rows
    )
    assert chart.rows_html() == expected
    assert "<td>1</td>" in expected and "<td>1.0</td>" in expected
