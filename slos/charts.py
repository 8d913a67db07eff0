"""Plotly figures of one SLO: plain data in, figure dict out."""

from dashboard.board.charts import Chart, line_chart
from slos.models import Slo
from slos.selectors import SloHistory


def sli_chart(slo: Slo, history: SloHistory) -> Chart:
    return line_chart(
        key=f"slo-{slo.pk}-sli",
        title="SLI per hour",
        y_title="SLI (%)",
        unit="%",
        series=[
            {
                "name": slo.name,
                "x": [h.isoformat() for h in history.hours],
                "y": [None if v is None else v * 100 for v in history.sli],
            }
        ],
        budget=slo.objective * 100,
        budget_name="Objective",
        value_format=",.3f",
    )


def budget_chart(slo: Slo, history: SloHistory) -> Chart:
    return line_chart(
        key=f"slo-{slo.pk}-budget",
        title="Error budget left in the window",
        y_title="Budget left (%)",
        unit="%",
        series=[
            {
                "name": "Budget left",
                "x": [h.isoformat() for h in history.hours],
                "y": [None if v is None else v * 100 for v in history.budget_left],
            }
        ],
        budget=0.0,
        budget_name="Budget spent",
    )
