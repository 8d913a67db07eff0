"""Plotly figures of pins: a rollout's traffic share over time."""

from dashboard.board.charts import Chart, line_chart
from pipelines.pins.models import Rollout


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
