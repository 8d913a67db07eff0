"""Plotly figures of pins: a rollout's traffic share over time, and its
latency and errors split by pin version."""

from dashboard.board.charts import Chart, line_chart
from pipelines.pins.models import Rollout
from pipelines.pins.split import ROLES, PinSplit


def rollout_chart(rollout: Rollout) -> Chart:
    """The candidate's traffic % at each event (step by step), and the guard
    SLO's burn rate where it was measured."""
    events = list(rollout.events.all())
    times = [e.created_at.isoformat() for e in events]
    series = [
        {
            "name": f"{rollout.pin.pin_id} traffic",
            "x": times,
            "y": [float(e.traffic_pct) for e in events],
        }
    ]
    measured = [e for e in events if e.burn_rate is not None]
    if measured:
        series.append(
            {
                "name": f"{rollout.guard_slo} burn × 10",
                "x": [e.created_at.isoformat() for e in measured],
                "y": [min(100.0, e.burn_rate * 10) for e in measured],
                "dash": "dot",
            }
        )
    return line_chart(
        key=f"rollout-{rollout.pk}",
        title=f"Rollout of {rollout.pin.pin_id}",
        y_title="Traffic (%)",
        unit="%",
        series=series,
        budget=(rollout.max_burn or 0) * 10 if measured else None,
        budget_name="max burn × 10",
        y_range=[0, 100],
    )


def split_charts(split: PinSplit) -> list[Chart]:
    """The split's two figures, over the same window as its table: each
    tagged sample's p95 by scenario and version, and the error rate per
    minute or hour of one SLO (the guard's when it has tagged points) by
    version."""
    rollout = split.rollout
    latency: dict[tuple[str, str], dict[str, list]] = {}
    for scenario, role, created_at, p95 in split.p95_points:
        series = latency.setdefault((scenario, role), {"x": [], "y": []})
        series["x"].append(created_at.isoformat())
        series["y"].append(float(p95))
    p95_chart = line_chart(
        key=f"split-p95-{rollout.pk}",
        title=f"p95 by version: {rollout.pin.pin_id}",
        y_title="p95 (ms)",
        unit="ms",
        series=[
            {
                "name": f"{scenario} · {role} {split.versions[role].short}",
                **points,
                "dash": "dot" if role == "stable" else None,
            }
            for (scenario, role), points in sorted(latency.items())
        ],
    )
    errors: dict[str, dict[str, list]] = {}
    for hour, role, good, total in split.error_buckets:
        series = errors.setdefault(role, {"x": [], "y": []})
        series["x"].append(hour.isoformat())
        series["y"].append(100.0 * (total - good) / total if total else None)
    error_chart = line_chart(
        key=f"split-errors-{rollout.pk}",
        title=f"Error rate per {split.bucket} by version: "
        f"{split.error_chart_slo or 'no SLI points'}",
        y_title="Errors (%)",
        unit="%",
        value_format=".3f",
        series=[
            {
                "name": f"{role} {split.versions[role].short}",
                **errors[role],
                "dash": "dot" if role == "stable" else None,
            }
            for role in ROLES
            if role in errors
        ],
    )
    return [p95_chart, error_chart]
