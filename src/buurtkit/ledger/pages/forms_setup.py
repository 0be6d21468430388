"""Forms of the circle setup page: plain fields, checked again by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class CurrencyForm(forms.Form):
    code = forms.CharField(
        label=_("Short code"),
        max_length=8,
        help_text=_("1 to 8 letters, for example TOR. It cannot change later."),
    )
    name_nl_singular = forms.CharField(label=_("Name in Dutch (one)"), max_length=40)
    name_nl_plural = forms.CharField(label=_("Name in Dutch (more)"), max_length=40)
    name_en_singular = forms.CharField(
        label=_("Name in English (one)"), max_length=40, required=False
    )
    name_en_plural = forms.CharField(
        label=_("Name in English (more)"), max_length=40, required=False
    )
    name_fr_singular = forms.CharField(
        label=_("Name in French (one)"), max_length=40, required=False
    )
    name_fr_plural = forms.CharField(
        label=_("Name in French (more)"), max_length=40, required=False
    )
    decimals = forms.IntegerField(
        label=_("Decimals"),
        min_value=0,
        max_value=4,
        initial=0,
        help_text=_("0: only whole torekes. It cannot change later."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    euro_cents_per_unit = forms.IntegerField(
        label=_("Value of one unit in euro cents"),
        min_value=0,
        initial=10,
        help_text=_("What a shop gets in euro for one unit: 10 means ten of them make one euro."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    denominations = forms.CharField(
        label=_("Paper notes"),
        max_length=120,
        required=False,
        help_text=_("The values of the paper notes, for example: 1, 5, 10."),
    )
    approval_threshold = forms.CharField(
        label=_("Rewards above this amount need a second person"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )

    def names(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            lang: {
                "singular": data.get(f"name_{lang}_singular", ""),
                "plural": data.get(f"name_{lang}_plural", ""),
            }
            for lang in ("nl", "en", "fr")
        }


class _OrganisationChoice(forms.ChoiceField):
    def __init__(self, organisations: list[Any], **kwargs: Any) -> None:
        choices = [("", _("Choose…"))] + [(str(o.pk), o.name) for o in organisations]
        super().__init__(label=_("Organisation"), choices=choices, **kwargs)


class OfficeForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    name = forms.CharField(
        label=_("Name of the exchange office"),
        max_length=150,
        help_text=_("For example: Loket Buurtwerk."),
    )

    def __init__(self, *args: Any, organisations: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation_id"] = _OrganisationChoice(
            organisations,
            help_text=_("Where the office is; its address is shown to residents."),
        )


class BudgetForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    starts_on = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.CharField(
        label=_("Budget"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )

    def __init__(self, *args: Any, organisations: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation_id"] = _OrganisationChoice(
            organisations,
            help_text=_("The organisation that rewards volunteers from this budget."),
        )
        self.order_fields(["idempotency_key", "organisation_id"])


class ShopForm(forms.Form):
    def __init__(self, *args: Any, organisations: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation_id"] = _OrganisationChoice(
            organisations,
            help_text=_(
                "A shop that is not in the list yet: add it under Organisations first, "
                "with its address."
            ),
        )
        self.fields["organisation_id"].label = _("Shop")
