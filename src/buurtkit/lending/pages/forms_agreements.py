"""The form of the agreement texts page: a new version of one text."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from buurtkit.lending.services.handovers import MAX_BODY, MAX_TITLE


class AgreementTextForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    body = forms.CharField(
        label=_("Text"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Plain words, short sentences. An empty line starts a new paragraph. The devices, "
            "dates, price and signature are added to the agreement by themselves."
        ),
    )
    #: The version the text was based on: a second click or someone else's newer version is
    #: refused instead of published twice.
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
