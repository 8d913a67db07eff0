"""Forms of the incident page: a note, a milestone."""

from datetime import UTC

from django import forms

from incidents.models import ActionItemState, LearningKind


class NoteForm(forms.Form):
    text = forms.CharField(max_length=10_000, strip=True)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if "\x00" in text:
            raise forms.ValidationError("The note may not contain NUL characters.")
        return text


class MilestoneForm(forms.Form):
    name = forms.CharField(max_length=200, strip=True)
    at = forms.DateTimeField()

    def clean_at(self):
        at = self.cleaned_data["at"]
        return at if at.tzinfo else at.replace(tzinfo=UTC)


class PostmortemForm(forms.Form):
    summary = forms.CharField(required=False, widget=forms.Textarea, max_length=20_000)
    impact = forms.CharField(required=False, widget=forms.Textarea, max_length=20_000)
    root_cause = forms.CharField(
        required=False, widget=forms.Textarea, max_length=20_000
    )
    trigger = forms.CharField(required=False, widget=forms.Textarea, max_length=20_000)
    detection = forms.CharField(
        required=False, widget=forms.Textarea, max_length=20_000
    )
    went_well = forms.CharField(
        required=False, widget=forms.Textarea, max_length=20_000, label="What went well"
    )
    went_badly = forms.CharField(
        required=False,
        widget=forms.Textarea,
        max_length=20_000,
        label="What went badly",
    )


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=300)
    owner = forms.CharField(max_length=200, required=False)
    due_on = forms.DateField(required=False)


class ActionItemStateForm(forms.Form):
    item = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    state = forms.ChoiceField(choices=ActionItemState.choices)


class LearningForm(forms.Form):
    kind = forms.ChoiceField(choices=LearningKind.choices)
    title = forms.CharField(max_length=300)
    rationale = forms.CharField(widget=forms.Textarea, max_length=20_000)
