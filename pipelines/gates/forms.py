"""Forms for editing one budget at a time on the budgets page."""

from django import forms


class PerfBudgetForm(forms.Form):
    service = forms.CharField(required=False, max_length=50)
    scenario = forms.CharField(required=False, max_length=200)
    p95_ms_max = forms.FloatField(required=False, min_value=0, label="p95 max (ms)")
    memory_mb_max = forms.FloatField(
        required=False, min_value=0, label="Memory max (MB)"
    )
    max_regression_pct = forms.FloatField(
        required=False, min_value=0, label="Regression max (%)"
    )


class QueryPlanBudgetForm(forms.Form):
    service = forms.CharField(required=False, max_length=50)
    query_name = forms.CharField(required=False, max_length=200, label="Query")
    max_total_cost = forms.FloatField(required=False, min_value=0, label="Cost max")
    no_seq_scan_tables = forms.CharField(
        required=False,
        max_length=2000,
        label="No Seq Scan on",
        help_text="Table names, separated by commas.",
    )

    def clean_no_seq_scan_tables(self) -> list[str]:
        raw = self.cleaned_data["no_seq_scan_tables"]
        return [t.strip() for t in raw.split(",") if t.strip()]


FORMS = {"perf": PerfBudgetForm, "query_plans": QueryPlanBudgetForm}
