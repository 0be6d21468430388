"""Forms of the digibuddy register: the register entry, a duty, a cancellation, a certificate."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from buurtkit.activities.models import DutyRole
from buurtkit.activities.services.volunteers import (
    PARTS_OF_DAY,
    WEEKDAYS,
    languages_choices,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
DAY_LABELS = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}
PART_LABELS = {"morning": _("morning"), "afternoon": _("afternoon"), "evening": _("evening")}


def _list_text(values: list[str]) -> str:
    return ", ".join(values)


class VolunteerForm(forms.Form):
    """The register entry. A new volunteer also gets the person's name and number; on a
    duplicate the page offers the person already known (hidden ``person_id``)."""

    person_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=30,
        required=False,
        help_text=_("Mobile or landline, for example 0470 12 34 56."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(label=_("E-mail address"), required=False)
    skills = forms.CharField(
        label=_("What they can help with"),
        max_length=600,
        required=False,
        help_text=_("Separate with commas, for example: smartphone, itsme, e-mail, printer."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages they speak"),
        required=False,
        choices=languages_choices,
        widget=forms.CheckboxSelectMultiple,
    )
    neighbourhoods = forms.CharField(
        label=_("Neighbourhoods"),
        max_length=600,
        required=False,
        help_text=_("Separate with commas."),
    )
    home_visits = forms.BooleanField(label=_("Does home visits"), required=False)
    training_series_id = forms.TypedChoiceField(
        label=_("Digibuddy training"), required=False, coerce=int, empty_value=None
    )
    note = forms.CharField(
        label=_("Note"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, series: list[tuple[int, str]], new: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["training_series_id"]
        field.choices = [("", _("None")), *series]  # type: ignore[attr-defined]
        for day in WEEKDAYS:
            self.fields[f"day_{day}"] = forms.MultipleChoiceField(
                label=DAY_LABELS[day],
                required=False,
                choices=[(p, PART_LABELS[p]) for p in PARTS_OF_DAY],
                widget=forms.CheckboxSelectMultiple,
            )
        if not new:
            for name in ("person_id", "first_name", "last_name", "phone", "email"):
                del self.fields[name]
        else:
            del self.fields["active"]

    @staticmethod
    def initial_for(volunteer: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "skills": _list_text(volunteer.skills),
            "languages": volunteer.languages,
            "neighbourhoods": _list_text(volunteer.neighbourhoods),
            "home_visits": volunteer.home_visits,
            "training_series_id": volunteer.training_series_id or "",
            "note": volunteer.note,
            "active": volunteer.active,
        }
        for day in WEEKDAYS:
            initial[f"day_{day}"] = (volunteer.availability or {}).get(day, [])
        return initial

    def register_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {
            "skills": data["skills"],
            "languages": data["languages"],
            "neighbourhoods": data["neighbourhoods"],
            "home_visits": data["home_visits"],
            "training_series_id": data["training_series_id"],
            "note": data["note"],
            "availability": {d: data[f"day_{d}"] for d in WEEKDAYS if data[f"day_{d}"]},
        }
        if "active" in self.fields:
            values["active"] = data["active"]
        return values

    def person_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {k: data[k] for k in ("first_name", "last_name", "phone", "email") if data.get(k)}


class SessionDutyForm(forms.Form):
    session_id = forms.TypedChoiceField(label=_("Session"), coerce=int)
    role = forms.ChoiceField(label=_("Role"), choices=DutyRole.choices)

    def __init__(self, *args: Any, sessions: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["session_id"].choices = sessions  # type: ignore[attr-defined]


class PlaceDutyForm(forms.Form):
    place_id = forms.TypedChoiceField(label=_("Digipunt"), coerce=int)
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))

    def __init__(self, *args: Any, places: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["place_id"].choices = places  # type: ignore[attr-defined]

    def times(self) -> tuple[datetime, datetime]:
        data = self.cleaned_data
        return (
            datetime.combine(data["day"], data["start"], tzinfo=BRUSSELS),
            datetime.combine(data["day"], data["end"] or time.min, tzinfo=BRUSSELS),
        )


class SlotForm(PlaceDutyForm):
    """Digipunt hours and how many digibuddies they need (the coordinator's gaps page)."""

    needed = forms.IntegerField(
        label=_("Digibuddies needed"),
        min_value=1,
        max_value=20,
        initial=2,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class CertifyForm(forms.Form):
    on = forms.DateField(label=_("Certified on"), widget=forms.DateInput(attrs={"type": "date"}))


class CancelDutyForm(forms.Form):
    reason = forms.CharField(
        label=_("Why can you not come?"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
