"""The device bank's forms: record a device's next step, take in a donation (rows of devices)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from buurtkit.core import clock
from buurtkit.lending.models import Condition, DeviceKind, DeviceState, Pool

WIPE_FIELDS = ("method", "tool", "operator", "wiped_on")


class DeviceStepForm(forms.Form):
    """The next step of one device; a wipe asks for its evidence. ``expected_seq`` is the
    number of steps the person saw: a second click on the same page is refused."""

    kind = forms.ChoiceField(label=_("Next step"), widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note about this step"), max_length=300, required=False)
    method = forms.CharField(
        label=_("Wipe method"),
        max_length=200,
        required=False,
        help_text=_(
            "For a wipe, for example: NIST 800-88 purge, or factory reset with encryption."
        ),
    )
    tool = forms.CharField(label=_("Wipe tool"), max_length=200, required=False)
    operator = forms.CharField(label=_("Wiped by"), max_length=200, required=False)
    wiped_on = forms.DateField(
        label=_("Wiped on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    expected_seq = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, steps: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(s, DeviceState(s).label) for s in steps]
        if not self.is_bound:
            self.fields["wiped_on"].initial = clock.now().date()

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        evidence = None
        if data["kind"] == DeviceState.WIPED:
            evidence = {name: data.get(name) or "" for name in WIPE_FIELDS}
            if data.get("wiped_on"):
                evidence["wiped_on"] = data["wiped_on"].isoformat()
        return {
            "kind": data["kind"],
            "note": data.get("note") or "",
            "evidence": evidence,
            "expected_seq": data["expected_seq"],
        }

    @staticmethod
    def field_of(name: str) -> str:
        """The form field a service error names (``evidence.method`` → ``method``)."""
        return name.removeprefix("evidence.")


class DonationForm(forms.Form):
    donor_id = forms.TypedChoiceField(
        label=_("Donor organisation"), coerce=int, required=False, empty_value=None
    )
    donor_name = forms.CharField(
        label=_("Or the donor's name"),
        max_length=150,
        required=False,
        help_text=_("A company or person that is not in the list of organisations."),
    )
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    place_id = forms.TypedChoiceField(
        label=_("Where the devices are now"), coerce=int, required=False, empty_value=None
    )
    note = forms.CharField(label=_("Note about the donation"), max_length=300, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(
        self,
        *args: Any,
        donors: list[tuple[int, str]],
        places: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["donor_id"].choices = [("", "—"), *donors]
        self.fields["place_id"].choices = [("", "—"), *places]
        if not self.is_bound:
            self.fields["received_on"].initial = clock.now().date()


class DeviceRowForm(forms.Form):
    """One donated device. A row left as it is (no kind chosen) is skipped."""

    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *DeviceKind.choices])
    brand = forms.CharField(label=_("Brand"), max_length=60, required=False)
    model = forms.CharField(label=_("Model"), max_length=100, required=False)
    serial = forms.CharField(label=_("Serial number"), max_length=100, required=False)
    condition = forms.ChoiceField(
        label=_("Condition"), choices=Condition.choices, initial=Condition.GOOD
    )
    pool = forms.ChoiceField(label=_("For"), choices=Pool.choices, initial=Pool.HANDOUT)


class BaseDeviceRows(forms.BaseFormSet):
    def devices(self) -> list[dict[str, Any]]:
        return [f.cleaned_data for f in self.forms if f.has_changed() and f.cleaned_data]


DeviceRows = forms.formset_factory(
    DeviceRowForm, formset=BaseDeviceRows, extra=3, max_num=500, absolute_max=500
)
