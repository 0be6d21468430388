"""Forms of the resident pay flow and the counter's PIN actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

# A PIN is typed on the phone's number pad; never stored or suggested by the browser.
PIN_ATTRS = {
    "inputmode": "numeric",
    "autocomplete": "off",
    "pattern": "[0-9]*",
    "maxlength": "6",
    "class": "pin",
}


def pin_field(label: Any, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=6, widget=forms.PasswordInput(attrs=PIN_ATTRS), **kwargs
    )


class PayeeForm(forms.Form):
    number = forms.CharField(
        label=_("Account number of who you pay"),
        max_length=20,
        help_text=_("9 digits, for example 1234 5678 9. It is on the shop's sticker."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class AmountForm(forms.Form):
    amount = forms.CharField(
        label=_("How much?"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("What for?"),
        max_length=200,
        required=False,
        help_text=_("For example: bread. The other person sees this."),
    )


class ConfirmForm(forms.Form):
    to = forms.CharField(widget=forms.HiddenInput, max_length=20)
    amount = forms.CharField(widget=forms.HiddenInput, max_length=20)
    description = forms.CharField(widget=forms.HiddenInput, max_length=200, required=False)
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class ConfirmWithPinForm(ConfirmForm):
    pin = pin_field(_("Your payment PIN"), help_text=_("4 to 6 digits. Only you know it."))


class PinForm(forms.Form):
    """Choose or change one's own PIN; the current one is asked when there is one."""

    current_pin = pin_field(_("Your current PIN"))
    pin = pin_field(_("New PIN"), help_text=_("4 to 6 digits. Not 1234 or 0000."))
    pin_again = pin_field(_("New PIN again"))

    def __init__(self, *args: Any, has_pin: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not has_pin:
            del self.fields["current_pin"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pin") and data.get("pin_again") and data["pin"] != data["pin_again"]:
            self.add_error("pin_again", _("The two PINs are not the same."))
        return data


class CounterPinForm(forms.Form):
    """At the counter: the resident types a new PIN after staff checked their identity."""

    pin = pin_field(_("New PIN (the resident types it)"), help_text=_("4 to 6 digits."))
    pin_again = pin_field(_("New PIN again"))
    identity_checked = forms.BooleanField(
        label=_("I checked the identity card of this person."), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pin") and data.get("pin_again") and data["pin"] != data["pin_again"]:
            self.add_error("pin_again", _("The two PINs are not the same."))
        return data


class LostPhoneForm(forms.Form):
    identity_checked = forms.BooleanField(
        label=_("I checked the identity card of this person."), required=False
    )


class PaymentRequestForm(forms.Form):
    """A shop asks for an amount; the payer scans the QR code that follows."""

    account = forms.TypedChoiceField(label=_("For which account?"), coerce=int, choices=())
    amount = forms.CharField(
        label=_("How much?"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("What for?"),
        max_length=200,
        required=False,
        help_text=_("For example: bread. The payer sees this."),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, accounts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        field.choices = [(a.pk, a.name) for a in accounts]  # type: ignore[attr-defined]
        if len(accounts) == 1:
            field.widget = forms.HiddenInput()
            field.initial = accounts[0].pk


class PayRequestForm(forms.Form):
    """The payer accepts a request: the PIN (unless staff pay on behalf at the counter)."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class PayRequestWithPinForm(PayRequestForm):
    pin = pin_field(_("Your payment PIN"), help_text=_("4 to 6 digits. Only you know it."))
