from __future__ import annotations

from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS as DAY_NAMES
from django.utils.translation import gettext_lazy as _

from buurtkit.places.models import HoursKind, Internet, PlaceKind

SLOTS_PER_DAY = 2


class PlaceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind of place"), choices=PlaceKind.choices)
    host_id = forms.TypedChoiceField(
        label=_("Host organisation"), coerce=int, required=False, empty_value=None
    )
    street = forms.CharField(label=_("Street and number"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    municipality_id = forms.TypedChoiceField(
        label=_("Municipality"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Left empty, it follows from the postcode."),
    )
    neighbourhood = forms.CharField(label=_("Neighbourhood"), max_length=100, required=False)
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    email = forms.EmailField(label=_("E-mail address"), required=False)
    description = forms.CharField(
        label=_("What people can come for (in plain words)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    wheelchair = forms.BooleanField(label=_("Wheelchair accessible"), required=False)
    hearing_loop = forms.BooleanField(label=_("Hearing loop"), required=False)
    accessibility_note = forms.CharField(
        label=_("Accessibility note"), max_length=200, required=False
    )
    pcs = forms.IntegerField(label=_("PCs"), min_value=0, max_value=1000, initial=0)
    laptops = forms.IntegerField(label=_("Laptops"), min_value=0, max_value=1000, initial=0)
    tablets = forms.IntegerField(label=_("Tablets"), min_value=0, max_value=1000, initial=0)
    printer = forms.BooleanField(label=_("Printer"), required=False)
    scanner = forms.BooleanField(label=_("Scanner"), required=False)
    internet = forms.ChoiceField(label=_("Internet"), choices=Internet.choices)

    def __init__(
        self,
        *args: Any,
        hosts: list[tuple[int, str]],
        municipalities: list[tuple[int, str]],
        language: str = "nl",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.language = language
        self.fields["host_id"].choices = [("", "—"), *hosts]  # type: ignore[attr-defined]
        self.fields["municipality_id"].choices = [("", "—"), *municipalities]  # type: ignore[attr-defined]

    def service_data(self, existing: dict[str, str] | None = None) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        description = dict(existing or {})
        text = data.pop("description", "").strip()
        if text:
            description[self.language] = text
        else:
            description.pop(self.language, None)
        data["description"] = description
        return data


class HoursForm(forms.Form):
    """The week as staff fill it in: per day up to two periods, open or drop-in help."""

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: list[tuple[str, list[tuple[Any, Any, Any, Any]]]] = []
        for weekday, day_name in DAY_NAMES.items():
            slots = []
            for slot in range(1, SLOTS_PER_DAY + 1):
                prefix = f"d{weekday}_{slot}"
                self.fields[f"{prefix}_opens"] = forms.TimeField(
                    label=_("opens"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
                )
                self.fields[f"{prefix}_closes"] = forms.TimeField(
                    label=_("closes"),
                    required=False,
                    widget=forms.TimeInput(attrs={"type": "time"}),
                )
                self.fields[f"{prefix}_kind"] = forms.ChoiceField(
                    label=_("kind"),
                    choices=HoursKind.choices,
                    initial=HoursKind.OPEN,
                    required=False,
                )
                self.fields[f"{prefix}_buddy"] = forms.TypedChoiceField(
                    label=_("digibuddy on duty"),
                    choices=[("", "—"), *people],
                    coerce=int,
                    required=False,
                    empty_value=None,
                )
                slots.append(
                    tuple(self[f"{prefix}_{part}"] for part in ("opens", "closes", "kind", "buddy"))
                )
            self.rows.append((str(day_name), slots))

    @staticmethod
    def initial_for(hours: list[Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        used: dict[int, int] = {}
        for h in hours:
            slot = used.get(h.weekday, 0) + 1
            if slot > SLOTS_PER_DAY:
                continue
            used[h.weekday] = slot
            prefix = f"d{h.weekday}_{slot}"
            initial.update(
                {
                    f"{prefix}_opens": h.opens,
                    f"{prefix}_closes": h.closes,
                    f"{prefix}_kind": h.kind,
                    f"{prefix}_buddy": h.digibuddy_id,
                }
            )
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for weekday in DAY_NAMES:
            for slot in range(1, SLOTS_PER_DAY + 1):
                prefix = f"d{weekday}_{slot}"
                opens, closes = cleaned.get(f"{prefix}_opens"), cleaned.get(f"{prefix}_closes")
                if (opens is None) != (closes is None):
                    self.add_error(f"{prefix}_closes", _("Fill in both times, or neither."))
                elif opens is not None and closes is not None and opens >= closes:
                    self.add_error(
                        f"{prefix}_closes", _("The closing time must be after the opening time.")
                    )
        return cleaned

    def periods(self) -> list[dict[str, Any]]:
        out = []
        for weekday in DAY_NAMES:
            for slot in range(1, SLOTS_PER_DAY + 1):
                prefix = f"d{weekday}_{slot}"
                if self.cleaned_data.get(f"{prefix}_opens") is None:
                    continue
                out.append(
                    {
                        "weekday": weekday,
                        "opens": self.cleaned_data[f"{prefix}_opens"],
                        "closes": self.cleaned_data[f"{prefix}_closes"],
                        "kind": self.cleaned_data.get(f"{prefix}_kind") or HoursKind.OPEN,
                        "digibuddy_id": self.cleaned_data.get(f"{prefix}_buddy"),
                    }
                )
        return out


class ExceptionForm(forms.Form):
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    opens = forms.TimeField(
        label=_("Opens"),
        required=False,
        help_text=_("Leave both times empty when the place is closed all day."),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    closes = forms.TimeField(
        label=_("Closes"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=150,
        required=False,
        help_text=_("For example: Christmas holiday. Visitors see it."),
    )
