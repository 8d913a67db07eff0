"""Forms of the incident page: a note, a milestone."""

from datetime import UTC

from django import forms


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
