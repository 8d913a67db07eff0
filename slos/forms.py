"""Forms of the SLO pages: a domain admin creates or edits an SLO by hand."""

import math

from django import forms

from slos.models import Slo
from slos.specs import NAME_RE


class SloForm(forms.Form):
    name = forms.CharField(max_length=150)
    display_name = forms.CharField(max_length=200, required=False)
    service = forms.CharField(max_length=100, required=False)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    objective_percent = forms.FloatField(
        label="Objective (%)", help_text="e.g. 99.9", min_value=0.0, max_value=100.0
    )
    window_days = forms.IntegerField(min_value=1, max_value=400, initial=30)
    min_events = forms.IntegerField(
        min_value=0,
        max_value=2_147_483_647,
        initial=100,
        help_text="Alerts stay quiet while their long window has fewer events.",
    )

    def __init__(self, *args, domain=None, slo: Slo | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.domain = domain
        self.slo = slo
        if slo is not None:
            self.fields["name"].disabled = True  # the name is the SLO's identity
            self.fields["name"].initial = slo.name

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not NAME_RE.match(name):
            raise forms.ValidationError("Letters, digits, dots, dashes, underscores.")
        taken = Slo.objects.filter(domain=self.domain, name=name)
        if self.slo is not None:
            taken = taken.exclude(pk=self.slo.pk)
        if taken.exists():
            raise forms.ValidationError("This domain already has an SLO of that name.")
        return name

    def clean_objective_percent(self) -> float:
        value = self.cleaned_data["objective_percent"]
        if not math.isfinite(value) or not 0 < value < 100:
            raise forms.ValidationError("Strictly between 0 and 100.")
        return value

    def definition(self) -> dict:
        data = self.cleaned_data
        return {
            "display_name": data["display_name"],
            "service": data["service"],
            "description": data["description"],
            "objective": data["objective_percent"] / 100,
            "window_seconds": data["window_days"] * 86400,
            "min_events": data["min_events"],
        }

    @classmethod
    def for_slo(cls, slo: Slo) -> "SloForm":
        return cls(
            domain=slo.domain,
            slo=slo,
            initial={
                "name": slo.name,
                "display_name": slo.display_name,
                "service": slo.service,
                "description": slo.description,
                "objective_percent": round(slo.objective * 100, 6),
                "window_days": slo.window_seconds // 86400,
                "min_events": slo.min_events,
            },
        )
