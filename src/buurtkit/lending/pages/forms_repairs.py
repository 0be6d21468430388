"""Forms of the repair pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from buurtkit.lending.models import Repairer, RepairState


class RepairOpenForm(forms.Form):
    device = forms.CharField(
        label=_("Device label"),
        max_length=20,
        help_text=_("The number on the sticker, for example DB-000123."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    problem = forms.CharField(
        label=_("What is wrong?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Describe the device's problem. Do not write the resident's name."),
    )
    repairer = forms.ChoiceField(
        label=_("Who repairs it?"), choices=Repairer.choices, initial=Repairer.AFTER_SALES
    )
    repairer_name = forms.CharField(
        label=_("Name of the repairer"),
        max_length=150,
        required=False,
        help_text=_("For example the second-hand shop, the repair café or the partner."),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class RepairCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How did it end?"),
        choices=[(s, RepairState(s).label) for s in ("fixed", "replaced", "beyond_repair")],
    )
    replacement = forms.TypedChoiceField(
        label=_("Replacement device"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Only when the device is replaced: an available device of the same kind."),
    )
    note = forms.CharField(label=_("What was done"), max_length=300, required=False)

    def __init__(self, *args: Any, replacements: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["replacement"].choices = [("", "—"), *replacements]  # type: ignore[attr-defined]
