"""Forms of the users and grants pages: they parse and check what was typed; the services
(accounts/services.py) decide and audit."""

import secrets
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dangvu.accounts import selectors
from dangvu.accounts.models import Role, User
from dangvu.core.forms import DateField, StyledForm
from dangvu.organizations.models import Organization

# No 0/o, 1/l/i: a generated password is read out and typed by people, often older ones.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def generated_password() -> str:
    """Three groups of four characters, e.g. ``k7mq-2wxa-pn4e`` (about 59 bits)."""
    groups = ("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


class OrganizationCodeField(forms.CharField):
    """An organization typed by its code; the form turns it into an Organization in clean()."""

    def __init__(self, **kwargs: Any):
        super().__init__(
            label=_("Organization code"),
            max_length=40,
            help_text=_("The code shown on the organization's page, e.g. A1-01."),
            **kwargs,
        )


class GrantFields(StyledForm):
    """An organization (by code, in the admin's scope, not dissolved) and a role on it."""

    organization = OrganizationCodeField()
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    valid_from = DateField(
        label=_("Valid from"), help_text=_("dd/mm/yyyy; empty: from today."), required=False
    )

    def __init__(self, *args: Any, admin: Any, **kwargs: Any):
        self.admin = admin
        super().__init__(*args, **kwargs)

    def clean_organization(self) -> Organization:
        code = self.cleaned_data["organization"]
        organization = selectors.organization_by_code(self.admin, code)
        if organization is None:
            raise ValidationError(_("No organization with this code in your scope."))
        if organization.dissolved_on is not None:
            raise ValidationError(_("This organization is dissolved."))
        return organization


class UserCreateForm(GrantFields):
    """A new user with his first grant; an empty password is generated and shown once."""

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and . _ - only, e.g. nguyenvanhung."),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave it empty to have one generated and shown once."),
    )
    field_order = ["username", "full_name", "email", "organization", "role", "valid_from"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password"):
            # the full name goes into first_name whole: Vietnamese names do not split in two
            candidate = User(
                username=data.get("username", ""),
                first_name=data.get("full_name", ""),
                email=data.get("email", ""),
            )
            try:
                validate_password(data["password"], candidate)
            except ValidationError as error:
                self.add_error("password", error)
        return data


class GrantForm(GrantFields):
    valid_to = DateField(
        label=_("Valid until"), help_text=_("dd/mm/yyyy; empty: no end."), required=False
    )


class EndGrantForm(StyledForm):
    on = DateField(label=_("Ends on"), required=True)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class PasswordResetForm(StyledForm):
    password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave it empty to have one generated and shown once."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if password:
            validate_password(password, self.user)
        return password


class OwnPasswordForm(StyledForm, PasswordChangeForm):
    """Django's form to change one's own password, drawn like the others."""
