"""Forms of monitoring's pages: they read what was typed; services decide what is right."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from buurtkit.monitoring.models import BudgetCategory

DATE = forms.DateInput(attrs={"type": "date"})


class PlanForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    funder = forms.CharField(label=_("Funder"), max_length=150, required=False)
    starts_on = forms.DateField(
        label=_("Starts on"), widget=DATE, help_text=_("The first day of a month.")
    )
    ends_on = forms.DateField(
        label=_("Ends on"), widget=DATE, help_text=_("The last day of a month.")
    )
    municipality_ids = forms.TypedMultipleChoiceField(
        label=_("Municipalities"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("With two or more, the dashboard shows each target per municipality."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, municipalities: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality_ids"].choices = municipalities  # type: ignore[attr-defined]


class TargetForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Empty: the indicator's name."),
    )
    indicator = forms.ChoiceField(label=_("Indicator"), required=False)
    breakdown = forms.CharField(
        label=_("Only this part"),
        max_length=80,
        required=False,
        help_text=_("For example kind:it_cafe for the IT cafés among the sessions."),
    )
    value = forms.IntegerField(label=_("Target"), min_value=1, max_value=2**31 - 1)
    starts_on = forms.DateField(
        label=_("From"), widget=DATE, required=False, help_text=_("Empty: the plan's start.")
    )
    ends_on = forms.DateField(
        label=_("Until"), widget=DATE, required=False, help_text=_("Empty: the plan's end.")
    )
    objective_id = forms.TypedChoiceField(
        label=_("Objective"), coerce=int, required=False, empty_value=None
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("How it is measured when there is no indicator yet."),
    )

    def __init__(
        self,
        *args: Any,
        indicators: list[tuple[str, str]],
        objectives: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [("", _("no indicator yet")), *indicators]  # type: ignore[attr-defined]
        self.fields["objective_id"].choices = [("", "—"), *objectives]  # type: ignore[attr-defined]


class ObjectiveForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


class BudgetLineForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=BudgetCategory.choices)
    title = forms.CharField(label=_("What for"), max_length=200)
    planned = forms.DecimalField(
        label=_("Planned (euro)"), min_value=0, max_digits=13, decimal_places=2
    )

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "category": data["category"],
            "title": data["title"],
            "planned_cents": _cents(data["planned"]),
        }


class SpendingForm(forms.Form):
    spent_on = forms.DateField(label=_("Date"), widget=DATE)
    amount = forms.DecimalField(
        label=_("Amount (euro)"),
        max_digits=13,
        decimal_places=2,
        help_text=_("A negative amount corrects an earlier entry."),
    )
    note = forms.CharField(label=_("What for"), max_length=200, required=False)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "spent_on": data["spent_on"],
            "amount_cents": _cents(data["amount"]),
            "note": data["note"],
        }


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    done_on = forms.DateField(
        label=_("Done on"), widget=DATE, required=False, help_text=_("Empty: not done yet.")
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
