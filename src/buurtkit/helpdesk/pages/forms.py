from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from buurtkit.helpdesk.models import Channel, HandoverTo, MessageKind, Status


class FileForm(forms.Form):
    """A ticket filed for someone at the counter, a digipunt or on the phone."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    channel = forms.ChoiceField(
        label=_("How did the question come in?"),
        choices=[
            (Channel.COUNTER, _("at the counter or digipunt")),
            (Channel.PHONE, _("by phone")),
        ],
        widget=forms.RadioSelect,
        initial=Channel.COUNTER,
    )
    person = forms.IntegerField(widget=forms.HiddenInput, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        required=False,
        help_text=_("A landline is fine. Leave empty if the person has no phone."),
    )
    email = forms.EmailField(label=_("E-mail address"), required=False)
    consent = forms.BooleanField(
        label=_("The person agrees that we keep their name and number to answer the question"),
        required=False,
    )
    category = forms.TypedChoiceField(label=_("Topic"), coerce=int, required=False, choices=[])
    subject = forms.CharField(label=_("What is the question about? (a few words)"), max_length=200)
    body = forms.CharField(
        label=_("The question"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=10000,
    )

    def __init__(
        self,
        *args: Any,
        categories: list[tuple[int, str]],
        for_person: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("— choose —")), *categories]
        # A question for someone new: their first name is needed (nothing else is).
        self.fields["first_name"].required = not for_person
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class MessageForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(
        label=_("What do you write?"),
        choices=[
            (MessageKind.REPLY, _("An answer to the resident")),
            (MessageKind.NOTE, _("An internal note (the resident does not see it)")),
            (MessageKind.INCOMING, _("What the resident said or wrote")),
        ],
        widget=forms.RadioSelect,
        initial=MessageKind.REPLY,
    )
    via = forms.ChoiceField(
        label=_("How does the answer reach them?"),
        choices=[
            ("auto", _("The way they asked (e-mail, or else a text message)")),
            ("sms", _("Text message")),
            ("email", _("E-mail")),
            ("told", _("I told them (by phone or in person)")),
            ("chat", _("In their chat window (a live chat)")),
        ],
        initial="auto",
        required=False,
    )
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    handover_to = forms.ChoiceField(
        label=_("Handed over to"), choices=[("", "—"), *HandoverTo.choices], required=False
    )
    volunteer = forms.TypedChoiceField(label=_("Digibuddy"), coerce=int, required=False, choices=[])
    note = forms.CharField(
        label=_("Note (internal)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )

    def __init__(
        self,
        *args: Any,
        statuses: list[tuple[str, str]],
        buddies: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = statuses
        self.fields["volunteer"].choices = [("", "—"), *buddies]


class AssignForm(forms.Form):
    user = forms.TypedChoiceField(label=_("Staff"), coerce=int, required=False, choices=[])
    volunteer = forms.TypedChoiceField(label=_("Digibuddy"), coerce=int, required=False, choices=[])

    def __init__(
        self,
        *args: Any,
        users: list[tuple[int, str]],
        buddies: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "—"), *users]
        self.fields["volunteer"].choices = [("", "—"), *buddies]


class LinksForm(forms.Form):
    category = forms.TypedChoiceField(label=_("Topic"), coerce=int, required=False, choices=[])
    person = forms.IntegerField(label=_("Person (number)"), required=False, min_value=1)
    device = forms.IntegerField(label=_("Device (number)"), required=False, min_value=1)
    registration = forms.IntegerField(label=_("Sign-up (number)"), required=False, min_value=1)

    def __init__(self, *args: Any, categories: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *categories]


class CategoryForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=40, required=False)
    name_nl = forms.CharField(label=_("Name (Dutch)"), max_length=120)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=120, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120, required=False)
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, choices=[])
    first_response_hours = forms.IntegerField(
        label=_("First answer within (hours)"), min_value=1, max_value=8760
    )
    resolution_hours = forms.IntegerField(
        label=_("Solved within (hours)"), min_value=1, max_value=8760
    )
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, teams: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "—"), *teams]


LANGUAGE_CHOICES = [("nl", _("Dutch")), ("fr", _("French")), ("en", _("English"))]


class AnswerForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    text_nl = forms.CharField(
        label=_("Text (Dutch)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    text_fr = forms.CharField(
        label=_("Text (French)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    text_en = forms.CharField(
        label=_("Text (English)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    category = forms.TypedChoiceField(label=_("Topic"), coerce=int, required=False, choices=[])
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, categories: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *categories]


class ArticleForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    slug = forms.SlugField(
        label=_("Short name in the address"),
        max_length=80,
        help_text=_("The same short name in each language makes one page in several languages."),
    )
    title = forms.CharField(label=_("Title"), max_length=160)
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 10}), max_length=20000
    )
    category = forms.TypedChoiceField(label=_("Topic"), coerce=int, required=False, choices=[])
    public = forms.BooleanField(label=_("Show on the public help pages"), required=False)

    def __init__(self, *args: Any, categories: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *categories]


class SettingsForm(forms.Form):
    retention_days = forms.IntegerField(
        label=_("Keep the personal data of closed tickets for (days)"),
        min_value=1,
        max_value=3650,
    )
    visit_rate_euro = forms.DecimalField(
        label=_("Help at home: an outside provider's price per half hour (EUR)"),
        min_value=0,
        max_value=100000,
        decimal_places=2,
        required=False,
    )
    visit_budget_euro = forms.DecimalField(
        label=_("Help at home: budget for outside providers per year (EUR)"),
        min_value=0,
        max_value=100000000,
        decimal_places=2,
        required=False,
    )
    visit_target = forms.IntegerField(
        label=_("Help at home: home visits per year (target)"),
        min_value=0,
        max_value=100000,
        required=False,
    )


class PhoneSettingsForm(forms.Form):
    phone_number = forms.CharField(
        label=_("Helpdesk phone number"),
        help_text=_("The number the city line forwards to. Leave empty: no phone line."),
        max_length=40,
        required=False,
    )
    staff_numbers = forms.CharField(
        label=_("Staff phones on duty"),
        help_text=_("One number per line. In office hours calls go to the first one."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    hours = forms.CharField(
        label=_("Office hours"),
        help_text=_(
            "One line per time slot, like “1-5 09:00-12:00” (1 is Monday, 7 is Sunday). "
            "Outside these hours callers leave a message."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
