"""Forms of the ingestion pages."""

import re

from django import forms

REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,39}/[A-Za-z0-9_.-]{1,100}$")


class RepositoryMapForm(forms.Form):
    full_name = forms.CharField(
        label="Repository",
        max_length=140,
        help_text="owner/name, as on GitHub.",
    )
    default_branch = forms.CharField(
        max_length=255,
        required=False,
        help_text="Leave empty: GitHub's next delivery says which it is.",
    )

    def clean_full_name(self) -> str:
        value = (
            self.cleaned_data["full_name"]
            .strip()
            .removeprefix("https://github.com/")
            .strip("/")
        )
        if not REPOSITORY_NAME.match(value):
            raise forms.ValidationError(
                "Give the repository as owner/name, for example octo-org/payments-api."
            )
        return value

    def clean_default_branch(self) -> str:
        value = self.cleaned_data["default_branch"].strip()
        if "\x00" in value:
            raise forms.ValidationError("A branch name has no NUL character.")
        return value
