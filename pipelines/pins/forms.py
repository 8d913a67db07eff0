"""Forms of the pins pages: a review, and a change proposed here."""

import json

from django import forms

from pipelines.pins.models import ReviewVerdict


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(choices=ReviewVerdict.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_comment(self) -> str:
        comment = self.cleaned_data["comment"]
        if "\x00" in comment:
            raise forms.ValidationError("The comment holds a NUL character.")
        return comment


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise forms.ValidationError("NUL characters are not allowed.")
    return value


class ProposeForm(forms.Form):
    """A new content for one pin. Blank fields keep the current value."""

    title = forms.CharField(max_length=200, validators=[_no_nul])
    rationale = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[_no_nul],
    )
    model = forms.CharField(
        required=False,
        max_length=250,
        validators=[_no_nul],
        help_text="provider/model with a dated version, e.g. openai/gpt-4.1-2025-04-14",
    )
    params = forms.CharField(
        required=False,
        max_length=5000,
        validators=[_no_nul],
        help_text='JSON, e.g. {"temperature": 0.2, "max_tokens": 800}',
    )
    prompt_text = forms.CharField(
        required=False,
        max_length=500_000,
        strip=False,
        validators=[_no_nul],
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="The prompt file's new text (blank keeps it).",
    )
    stages = forms.CharField(
        required=False, max_length=100, help_text="Percentages, e.g. 5, 25, 50, 100"
    )
    hold = forms.RegexField(
        required=False, regex=r"^[1-9][0-9]{0,5}[smhd]$", help_text="e.g. 30m"
    )
    guard_slo = forms.CharField(required=False, max_length=150, validators=[_no_nul])
    max_burn = forms.FloatField(required=False, min_value=0.01, max_value=1000)

    def clean_params(self) -> dict | None:
        text = self.cleaned_data["params"].strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"Not JSON: {exc}.") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("Give a JSON object of parameters.")
        return value

    def clean_stages(self) -> list[int] | None:
        text = self.cleaned_data["stages"].strip()
        if not text:
            return None
        try:
            return [int(part) for part in text.replace(" ", "").split(",") if part]
        except ValueError as exc:
            raise forms.ValidationError(
                "Whole percentages separated by commas."
            ) from exc

    def changes(self, current_rollout: dict | None) -> dict:
        data = self.cleaned_data
        changes: dict = {}
        if data["model"]:
            changes["model"] = data["model"].strip()
        if data["params"] is not None:
            changes["params"] = data["params"]
        rollout = dict(current_rollout or {})
        for key in ("stages", "hold", "guard_slo", "max_burn"):
            if data.get(key) not in (None, ""):
                rollout[key] = data[key]
        if rollout != (current_rollout or {}):
            changes["rollout"] = rollout
        return changes

    def prompt(self) -> str | None:
        return self.cleaned_data["prompt_text"] or None
