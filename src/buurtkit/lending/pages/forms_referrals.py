"""Forms of the referral pages: a partner's new request, staff's decisions and caps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from buurtkit.lending.models import AgreementKind, CapPeriod, DeviceKind, Eligibility

BRUSSELS = ZoneInfo("Europe/Brussels")
RESIDENT_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "language",
    "contact_sms",
    "contact_email",
    "contact_phone",
)


class ReferralForm(forms.Form):
    """A new request. ``idempotency_key`` is made once per form and kept when the form comes
    back with errors, so a second click (or a resend) files the request once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    organisation = forms.TypedChoiceField(label=_("For which partner"), coerce=int, choices=[])
    client_ref = forms.CharField(
        label=_("Your reference for this household"),
        max_length=60,
        help_text=_("Your own file number. Do not write the resident's name here."),
    )
    kind = forms.ChoiceField(label=_("Device needed"), choices=DeviceKind.choices)
    purpose = forms.CharField(
        label=_("What is it for?"),
        max_length=300,
        help_text=_("For example: school work, looking for a job, online banking."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    eligibility = forms.ChoiceField(label=_("Why may the household get one?"), choices=[])
    eligibility_note = forms.CharField(
        label=_("Note on the reason"), max_length=300, required=False
    )
    household_size = forms.IntegerField(
        label=_("People in the household"), min_value=1, max_value=30, required=False
    )
    wished = forms.ChoiceField(
        label=_("As"), choices=AgreementKind.choices, initial=AgreementKind.GIFT
    )
    # Only for a loan: the resident's identity (the partner enters it and only they see it).
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(label=_("E-mail address"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, required=False)
    contact_sms = forms.BooleanField(label=_("May receive text messages"), required=False)
    contact_email = forms.BooleanField(label=_("May receive e-mails"), required=False)
    contact_phone = forms.BooleanField(
        label=_("May be phoned (an automated call, also on a landline)"), required=False
    )

    def __init__(self, *args: Any, partners: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = partners
        if len(partners) == 1:
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["organisation"].initial = partners[0][0]
        self.fields["eligibility"].choices = [("", "—"), *Eligibility.choices]
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def main_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name not in RESIDENT_FIELDS]

    def resident_fields(self) -> list[Any]:
        return [self[name] for name in RESIDENT_FIELDS]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        resident = None
        if data["first_name"] or data["last_name"] or data["phone"] or data["email"]:
            resident = {name: data[name] for name in RESIDENT_FIELDS}
        return {
            "organisation_id": data["organisation"],
            "client_ref": data["client_ref"],
            "kind": data["kind"],
            "purpose": data["purpose"],
            "eligibility": data["eligibility"],
            "eligibility_note": data["eligibility_note"],
            "household_size": data["household_size"],
            "wished": data["wished"],
            "resident": resident,
            "idempotency_key": data["idempotency_key"],
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class MatchForm(forms.Form):
    device = forms.TypedChoiceField(
        label=_("Device"), coerce=int, required=False, empty_value=None, choices=[]
    )

    def __init__(self, *args: Any, devices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["device"].choices = [("", _("the one longest on the shelf")), *devices]


class InviteForm(forms.Form):
    place = forms.TypedChoiceField(label=_("Pick up at"), coerce=int, choices=[])
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}))
    channel = forms.ChoiceField(
        label=_("How to invite"),
        choices=[
            ("auto", _("text message or e-mail if we may, otherwise via the partner")),
            ("referrer", _("the partner tells the household")),
        ],
        initial="auto",
    )

    def __init__(self, *args: Any, places: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = places

    def pickup_at(self) -> datetime:
        """The moment in Brussels time, as the clerk meant it."""
        return datetime.combine(self.cleaned_data["day"], self.cleaned_data["time"], BRUSSELS)


class CapForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("Partner"), coerce=int, choices=[])
    period = forms.ChoiceField(label=_("Period"), choices=CapPeriod.choices)
    max_referrals = forms.IntegerField(
        label=_("At most (requests)"),
        min_value=0,
        max_value=100_000,
        required=False,
        help_text=_("Leave empty to remove the limit."),
    )

    def __init__(self, *args: Any, partners: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = partners
