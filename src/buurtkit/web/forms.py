from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from buurtkit.core.errors import ServiceError
from buurtkit.core.permissions import ROLE_CHOICES
from buurtkit.people.models import ConsentKind, OrganisationKind


def apply_service_error(form: forms.Form, exc: ServiceError) -> None:
    """Show a service's error on the form, next to the fields it names."""
    placed = False
    for name, message in exc.fields.items():
        if name in form.fields and not form.fields[name].widget.is_hidden:
            form.add_error(name, str(message))
            placed = True
        elif name in form.fields:
            # A hidden field has nowhere to show its message: say it on top of the form.
            form.add_error(None, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(exc.detail))


class PersonForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    preferred_language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=30,
        required=False,
        help_text=_("Mobile or landline, for example 0470 12 34 56."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(label=_("E-mail address"), required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    neighbourhood = forms.CharField(label=_("Neighbourhood"), max_length=100, required=False)
    birth_year = forms.IntegerField(
        label=_("Birth year"), required=False, min_value=1900, max_value=2100
    )
    has_smartphone = forms.BooleanField(label=_("Has a smartphone"), required=False)


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(choices=ConsentKind.choices)
    granted = forms.TypedChoiceField(
        choices=[("1", _("Yes")), ("0", _("No"))], coerce=lambda v: v == "1"
    )


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    slug = forms.CharField(
        label=_("Short name"),
        max_length=50,
        help_text=_("Lower-case letters, digits and dashes, e.g. library-rabot."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=30, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class MembershipForm(forms.Form):
    """An invitation: by the login's user name, or by e-mail address (a link is sent)."""

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        required=False,
        help_text=_("They see the invitation after signing in."),
    )
    email = forms.EmailField(
        label=_("Or e-mail address"),
        max_length=254,
        required=False,
        help_text=_("They get a link to accept the invitation."),
    )
    organisation = forms.TypedChoiceField(
        label=_("Organisation"), required=False, coerce=int, empty_value=None
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", _("(none)")), *organisations]  # type: ignore[attr-defined]


class MembershipEditForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    active = forms.BooleanField(label=_("Active"), required=False)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What is this key for?"))
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    organisation = forms.TypedChoiceField(
        label=_("Organisation"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", _("(none)")), *organisations]  # type: ignore[attr-defined]


class PasswordSetForm(forms.Form):
    password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class GiveLoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
