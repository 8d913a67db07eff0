"""Plotly figure builders for the dashboard: plain data in, figure dict out.

Every chart comes with a table of the same numbers (for people who would rather
read them, and for screen readers). Figures carry no theme colours for text and
grid: static/js/dashboard.js applies the page's light or dark palette when it
draws them, so one cached figure serves both modes.
"""

import html
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies
# and readable on both a white and a near-black background.
PALETTE = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D4A017",
    "#8C8C8C",
]
BUDGET_COLOUR = "#E5484D"


@dataclass
class Chart:
    """One figure and the table of the numbers it draws."""

    key: str
    title: str
    figure: dict
    columns: list[str] = field(default_factory=list)
    rows: list[list[object]] = field(default_factory=list)

    @property
    def dom_id(self) -> str:
        return f"fig-{self.key}"

    @property
    def is_empty(self) -> bool:
        return not self.rows

    def rows_html(self) -> SafeString:
        """The table body, escaped: hundreds of rows through the template
        language cost tens of milliseconds; this costs one (a 90-day CI panel's
        1,620 rows: 1 ms). Numbers are written as they are; bucket times and
        series names repeat on every row, so each is escaped once."""
        texts: dict[tuple, str] = {}
        out: list[str] = []
        add = out.append
        for row in self.rows:
            add("<tr>")
            for value in row:
                kind = type(value)
                if kind is float or kind is int:  # digits, sign, point
                    add(f"<td>{value}</td>")
                elif value is None:
                    add("<td>—</td>")
                else:
                    done = texts.get((kind, value))
                    if done is None:
                        done = texts[(kind, value)] = _cell(value)
                    add(done)
            add("</tr>")
        return SafeString("".join(out))  # nosec B703 B308 # _cell escapes every value

    def figure_script(self) -> SafeString:
        """What `{{ figure|json_script:dom_id }}` writes, the same bytes: the
        figure as JSON with <, > and & as \\u escapes, in a script tag. Three
        str.replace() instead of Django's str.translate(), which walks a large
        figure (a 90-day panel's) one character at a time."""
        text = (
            json.dumps(self.figure, cls=DjangoJSONEncoder)
            .replace(">", "\\u003E")
            .replace("<", "\\u003C")
            .replace("&", "\\u0026")
        )
        return format_html(
            '<script id="{}" type="application/json">{}</script>',
            self.dom_id,
            SafeString(text),  # nosec B703 B308 # escaped above, as json_script does
        )


def _cell(value: object) -> str:
    if value is None:
        return "<td>—</td>"
    if type(value) in _PLAIN:  # digits, sign, point: nothing to escape
        return f"<td>{value}</td>"
    # What django.utils.html.escape does, without its lazy-string wrapper:
    # a 90-day panel has thousands of cells.
    return f"<td>{html.escape(str(value))}</td>"


_PLAIN = (int, float)


def _layout(title: str, y_title: str, *, y_range: list[float] | None = None) -> dict:
    # No x-axis title: the figure's caption says the times are UTC and what one
    # point spans, so nothing collides with the tick labels. automargin keeps the
    # y title clear of its ticks whatever their width.
    layout: dict = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "margin": {"l": 16, "r": 16, "t": 40, "b": 16},
        "height": 340,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.14, "yanchor": "top"},
        "xaxis": {"type": "date", "automargin": True},
        "yaxis": {
            "title": {"text": y_title, "standoff": 8},
            "rangemode": "tozero",
            "automargin": True,
        },
    }
    if y_range:
        layout["yaxis"]["range"] = y_range
    return layout


def _draw_marks(chart: Chart, marks: list[dict]) -> None:
    """Events (deployments…) as dotted vertical lines, with a clickable marker at
    the foot of each that opens the page behind it."""
    if not marks:
        return
    chart.figure["layout"]["shapes"] = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": m["t"],
            "x1": m["t"],
            "y0": 0,
            "y1": 1,
            "line": {"color": "#8C8C8C", "width": 1, "dash": "dot"},
        }
        for m in marks
    ]
    chart.figure["data"].append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Deployments",
            "x": [m["t"] for m in marks],
            "y": [0] * len(marks),
            "text": [plotly_text(m["label"]) for m in marks],
            "customdata": [m.get("link") or "" for m in marks],
            "marker": {"symbol": "triangle-up", "size": 10, "color": "#8C8C8C"},
            "hovertemplate": "%{text}<extra></extra>",
        }
    )


def _draw_annotations(chart: Chart, annotations: list[dict], x_range: list) -> None:
    """The registered sources' events (incidents, pin moves: see
    dashboard.board.annotations): a span shaded from its start to its end (to the
    range's end while it lasts) or a dotted line, and a marker per event that
    opens the page behind it. Markers sit in a row per source along the top of
    the plot (an overlaid axis from 0 to 1), clear of the deployments' row at
    the foot; one that began before the range sits at the range's start."""
    if not annotations:
        return
    layout = chart.figure["layout"]
    shapes = layout.setdefault("shapes", [])
    layout["yaxis2"] = {
        "overlaying": "y",
        "range": [0, 1],
        "visible": False,
        "fixedrange": True,
    }
    start, end = x_range
    for row, source in enumerate(annotations):
        marks = source["marks"]
        colours = [m.get("colour") or source["colour"] for m in marks]
        for m, colour in zip(marks, colours, strict=True):
            if "end" in m:
                shapes.append(
                    {
                        "type": "rect",
                        "xref": "x",
                        "yref": "paper",
                        "x0": max(m["t"], start),
                        "x1": min(m["end"] or end, end),
                        "y0": 0,
                        "y1": 1,
                        "fillcolor": colour,
                        "opacity": 0.1,
                        "line": {"width": 0},
                        "layer": "below",
                    }
                )
            else:
                shapes.append(
                    {
                        "type": "line",
                        "xref": "x",
                        "yref": "paper",
                        "x0": m["t"],
                        "x1": m["t"],
                        "y0": 0,
                        "y1": 1,
                        "line": {"color": colour, "width": 1, "dash": "dot"},
                    }
                )
        chart.figure["data"].append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": plotly_text(source["name"]),
                "yaxis": "y2",
                "x": [max(m["t"], start) for m in marks],
                "y": [0.96 - 0.08 * row] * len(marks),
                "text": [plotly_text(m["label"]) for m in marks],
                "customdata": [m.get("link") or "" for m in marks],
                "cliponaxis": False,
                "marker": {
                    "symbol": source["symbol"],
                    "size": 11,
                    "color": colours,
                    "line": {"width": 1, "color": "#FFFFFF"},
                },
                "hovertemplate": "%{text}<extra></extra>",
            }
        )


def frame(chart_list: list[Chart], data: dict) -> list[Chart]:
    """Fit every time chart of a panel to the panel's range: the x axis spans the
    whole range (a lone point sits where it belongs, not alone in a 1 ms wide
    axis labelled `08:59:59.9995`) and ticks and hover labels follow the width
    of one point (hours for 24 hours, days beyond)."""
    x_range, step_s = data.get("x_range"), data.get("step_s")
    if not x_range or not step_s:
        return chart_list
    hourly = step_s < 86_400
    marks = data.get("marks") or []
    annotations = data.get("annotations") or []
    for chart in chart_list:
        _draw_marks(chart, marks)
        _draw_annotations(chart, annotations, x_range)
        xaxis = chart.figure["layout"].setdefault("xaxis", {})
        xaxis.update(
            {
                "range": x_range,
                "tickformat": "%H:%M\n%b %d" if hourly else "%b %d",
                "hoverformat": "%b %d %H:%M UTC" if hourly else "%b %d (UTC day)",
            }
        )
    return chart_list


def plotly_text(name: object) -> str:
    """A user-supplied name as plotly text. Plotly renders trace names and hover
    text as a subset of HTML (<a href>, <b>, <br>…), so a scenario named
    `<a href=…>` would be a live link in the legend. Escaping &, < and > makes it
    literal text: plotly decodes those three entities when drawing. Quotes stay
    as they are: plotly does not decode &quot;, and without a tag they are harmless."""
    return html.escape(str(name), quote=False)


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _budget_trace(name: str, x: list[str], value: float, unit: str) -> dict:
    name = plotly_text(name)
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": [x[0], x[-1]] if x else [],
        "y": [value, value],
        "line": {"color": BUDGET_COLOUR, "dash": "dash", "width": 2},
        "hovertemplate": f"{name}: %{{y:,.0f}} {unit}<extra></extra>",
    }


def line_chart(
    *,
    key: str,
    title: str,
    y_title: str,
    unit: str,
    series: list[dict],
    budget: float | None = None,
    budget_name: str = "Budget",
    value_format: str = ",.1f",
    y_range: list[float] | None = None,
) -> Chart:
    """Lines over time. `series` = [{"name", "x": [iso…], "y": [num|None…]}]."""
    traces = []
    rows: list[list[object]] = []
    all_x: list[str] = []
    for i, s in enumerate(series):
        name = plotly_text(s["name"])
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": s["x"],
                "y": s["y"],
                "connectgaps": False,
                "line": {"color": _colour(i), "width": 2, "dash": s.get("dash")},
                # Big enough that a single point (one run, one bucket) shows.
                "marker": {"size": 7},
                "hovertemplate": f"{name}: %{{y:{value_format}}} {unit}<extra></extra>",
            }
        )
        if s.get("link"):
            # Clicking a point opens the page behind it (static/js/dashboard.js):
            # the same page for every point, or that point's bucket of it.
            traces[-1]["meta"] = _link_meta(s)
        all_x.extend(s["x"])
        rows.extend(
            [t, s["name"], None if v is None else round(v, 2)]
            for t, v in zip(s["x"], s["y"], strict=True)
        )
    all_x.sort()
    traces.extend(_breach_traces(series, rows))
    if budget is not None and all_x:
        traces.append(_budget_trace(budget_name, [all_x[0], all_x[-1]], budget, unit))
    for i, s in enumerate(series):
        # A budget per series: a dashed line in that series' colour.
        if s.get("budget") is not None and all_x:
            trace = _budget_trace(
                f"{s['name']} budget", [all_x[0], all_x[-1]], s["budget"], unit
            )
            trace["line"]["color"] = _colour(i)
            traces.append(trace)
    rows.sort(key=lambda r: (r[0], r[1]))
    return Chart(
        key=key,
        title=title,
        figure={"data": traces, "layout": _layout(title, y_title, y_range=y_range)},
        columns=["Bucket start (UTC)", "Series", f"{y_title}"],
        rows=rows,
    )


def _link_meta(s: dict) -> dict:
    """What a click on a point of the series opens, said once per trace (a
    90-day chart has thousands of points): the series' link, narrowed by
    static/js/dashboard.js to the point's bucket, as bucket_link() does, when
    the series says how wide a bucket is."""
    return {"link": s["link"], "bucket_s": s.get("bucket_s") or 0}


def point_link(meta: dict, start: str) -> str:
    """The page a point at `start` of a trace with this `meta` opens (what the
    script computes on a click)."""
    if not meta.get("bucket_s"):
        return meta["link"]
    return bucket_link(meta["link"], start, meta["bucket_s"])


def bucket_link(link: str, start: str, width_s: int) -> str:
    """`link` for the bucket [start, start + width) (ISO times, UTC; `drill=1`:
    a bucket of one commit opens that commit)."""
    begin = datetime.fromisoformat(start).astimezone(UTC)
    end = begin + timedelta(seconds=width_s)
    bounds = {
        "from": begin.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "to": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "drill": 1,
    }
    return f"{link}{'&' if '?' in link else '?'}{urlencode(bounds)}"


def _breach_traces(series: list[dict], rows: list[list[object]]) -> list[dict]:
    """A red ✕ on every bucket whose worst value broke its series' budget, at
    that worst value: a breach must not be averaged away by the bucket. The same
    points go into the chart's table."""
    xs: list[str] = []
    ys: list[float] = []
    text: list[str] = []
    links: list[str] = []
    for s in series:
        budget = s.get("budget")
        if budget is None:
            continue
        peaks = s.get("peaks") or s["y"]
        meta = _link_meta(s) if s.get("link") else None
        for t, peak in zip(s["x"], peaks, strict=True):
            if peak is not None and peak > budget:
                xs.append(t)
                ys.append(peak)
                text.append(plotly_text(s["name"]))
                links.append(point_link(meta, t) if meta else "")
                rows.append([t, f"{s['name']} over budget (worst)", round(peak, 2)])
    if not xs:
        return []
    return [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Over budget",
            "x": xs,
            "y": ys,
            "text": text,
            # The breach opens the bucket's samples too (the worst among them).
            **({"customdata": links} if any(links) else {}),
            "marker": {"symbol": "x", "size": 12, "color": BUDGET_COLOUR},
            "hovertemplate": "%{text} over budget: %{y:,.0f}<extra></extra>",
        }
    ]


def stacked_bars(
    *, key: str, title: str, y_title: str, x: list[str], stacks: list[dict]
) -> Chart:
    """Stacked counts over time. `stacks` = [{"name", "y": [int…]}]."""
    traces = [
        {
            "type": "bar",
            "name": plotly_text(s["name"]),
            "x": x,
            "y": s["y"],
            **({"meta": {"link": s["link"], "bucket_s": 0}} if s.get("link") else {}),
            "marker": {"color": s.get("color") or _colour(i)},
            "hovertemplate": f"{plotly_text(s['name'])}: %{{y:,}}<extra></extra>",
        }
        for i, s in enumerate(stacks)
    ]
    layout = _layout(title, y_title)
    layout["barmode"] = "stack"
    rows = [[t, *[s["y"][i] for s in stacks]] for i, t in enumerate(x)]
    return Chart(
        key=key,
        title=title,
        figure={"data": traces, "layout": layout},
        columns=["Bucket start (UTC)", *[s["name"] for s in stacks]],
        rows=rows,
    )


# --- The dashboard's charts -------------------------------------------------------------
def ci_pass_rate_chart(data: dict) -> Chart:
    return line_chart(
        key="ci-pass-rate",
        title="Pass rate by workflow",
        y_title="Pass rate (%)",
        unit="%",
        series=[
            {
                "name": w["name"],
                "x": [p["t"] for p in w["points"]],
                "y": [p["pass_rate"] for p in w["points"]],
                "link": w.get("link"),
                "bucket_s": data.get("step_s"),  # a point opens its bucket's runs
            }
            for w in data["workflows"]
        ],
        y_range=[0, 101],
    )


def ci_duration_chart(data: dict) -> Chart:
    series = []
    for w in data["workflows"]:
        x = [p["t"] for p in w["points"]]
        series.append(
            {
                "name": f"{w['name']} p95",
                "x": x,
                "y": [_minutes(p["p95_s"]) for p in w["points"]],
                "link": w.get("link"),
                "bucket_s": data.get("step_s"),
            }
        )
        series.append(
            {
                "name": f"{w['name']} p50",
                "x": x,
                "y": [_minutes(p["p50_s"]) for p in w["points"]],
                "dash": "dot",
                "link": w.get("link"),
                "bucket_s": data.get("step_s"),
            }
        )
    chart = line_chart(
        key="ci-duration",
        title="Run duration (p50 dotted, p95 solid)",
        y_title="Duration (min)",
        unit="min",
        series=series,
    )
    # Keep p50 and p95 of one workflow in the same colour.
    for i, trace in enumerate(chart.figure["data"]):
        trace["line"]["color"] = _colour(i // 2)
    return chart


def _against_budget(
    groups: list[dict],
    value: str,
    budget: str,
    peak: str | None = None,
    step_s: int | None = None,
) -> list[dict]:
    """One line per group (scenario or query) with its budget drawn beside it;
    `peak` names the bucket's worst value, checked against the budget. A group's
    `link` opens what was measured in a point's bucket (`step_s` wide)."""
    return [
        {
            "name": g["name"],
            "x": [p["t"] for p in g["points"]],
            "y": [p[value] for p in g["points"]],
            "peaks": [p.get(peak or value) for p in g["points"]],
            "budget": g.get(budget),
            "link": g.get("link"),
            "bucket_s": step_s,
        }
        for g in groups
    ]


def perf_p95_chart(data: dict) -> Chart:
    return line_chart(
        key="perf-p95",
        title="p95 latency by scenario",
        y_title="p95 (ms)",
        unit="ms",
        series=_against_budget(
            data["scenarios"],
            "p95_ms",
            "p95_budget_ms",
            "p95_max_ms",
            step_s=data.get("step_s"),
        ),
        value_format=",.0f",
    )


def perf_memory_chart(data: dict) -> Chart:
    return line_chart(
        key="perf-memory",
        title="Peak memory by scenario",
        y_title="Peak memory (MB)",
        unit="MB",
        series=_against_budget(
            data["scenarios"],
            "memory_mb",
            "memory_budget_mb",
            step_s=data.get("step_s"),
        ),
        value_format=",.0f",
    )


def plan_cost_chart(data: dict) -> Chart:
    return line_chart(
        key="plan-cost",
        title="Query-plan total cost by query",
        y_title="Planner total cost",
        unit="",
        series=_against_budget(
            data["queries"], "cost", "budget", step_s=data.get("step_s")
        ),
        value_format=",.0f",
    )


def ingestion_chart(data: dict) -> Chart:
    points = data["points"]
    return stacked_bars(
        key="ingestion",
        title=f"Webhook deliveries per {data.get('per', 'hour')}",
        y_title="Deliveries",
        x=[p["t"] for p in points],
        stacks=[
            {
                "name": "Processed",
                "y": [p["ok"] for p in points],
                "link": "deliveries/",
            },
            {
                "name": "Duplicates",
                "y": [p["duplicates"] for p in points],
                "link": "deliveries/",
            },
            {
                "name": "Failed",
                "y": [p["failed"] for p in points],
                "color": BUDGET_COLOUR,
                "link": "deliveries/",
            },
        ],
    )


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 2)
