"""Forms for the domain pages: members and ingest tokens."""

from django import forms
from django.contrib.auth import get_user_model

from dashboard.domains import policy, selectors

LAST_ADMIN = (
    "%(username)s is this domain's only admin. Make someone else admin first, "
    "so the domain is never left without one."
)


class MemberAddForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        help_text="The person's login name. They must have an account already.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(choices=policy.Role.choices, initial=policy.Role.VIEWER)

    def __init__(self, *args, domain=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.domain = domain

    def clean(self) -> dict:
        data = super().clean()
        user, role = data.get("user"), data.get("role")
        if user and role and selectors.leaves_no_admin(self.domain, user, role):
            raise forms.ValidationError(LAST_ADMIN % {"username": user.get_username()})
        return data

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(
                "No account with that username. Ask an operator to create it first."
            )
        self.cleaned_data["user"] = user
        return username


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=policy.Role.choices)

    def __init__(self, *args, membership=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership

    def clean_role(self) -> str:
        role = self.cleaned_data["role"]
        m = self.membership
        if selectors.leaves_no_admin(m.domain, m.user, role):
            raise forms.ValidationError(
                LAST_ADMIN % {"username": m.user.get_username()}
            )
        return role


class ReviewTokenForm(forms.Form):
    """A reviewer's own `reviews` token (for reviewing from scripts or CI)."""

    name = forms.CharField(
        max_length=100,
        help_text="Where you will use it, for example “review script”.",
    )


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What will use it, for example “GitHub Actions” or “Jenkins”.",
    )
    scopes = forms.MultipleChoiceField(
        choices=[(s.value, f"{s.value} — {s.label}") for s in policy.TokenScope],
        widget=forms.CheckboxSelectMultiple,
        help_text="What the token may send. Give it only what it needs.",
        error_messages={
            "required": "Choose at least one scope.",
            "invalid_choice": "Your role on this domain does not allow the scope "
            "%(value)s (it needs another action; ask a domain admin).",
        },
    )

    def __init__(self, *args, actions: frozenset[str] = frozenset(), **kwargs):
        # Only the scopes the person's role allows: a token never grants more.
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [
            (s.value, f"{s.value} — {s.label}")
            for s in policy.TokenScope
            if policy.scope_allowed(s, actions)
        ]
