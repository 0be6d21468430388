"""Forms of the QR code staff pages (codes, claiming, batches, webhooks).

The route editor and the form-fields editor are built by hand in their views: they hold lists of
blocks that a fixed Django form cannot describe.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from buurtkit.core.errors import ServiceError

Choices = list[tuple[Any, Any]]

# Service field names → form field names (``routes.1.url`` is the first route's address).
SERVICE_FIELDS = {"owner_id": "owner", "routes.1.url": "url", "routes.1.form": "form"}


def apply_qr_error(form: forms.Form, exc: ServiceError) -> None:
    """A service's error next to the field it names; anything else above the form."""
    placed = False
    for name, message in exc.fields.items():
        target = SERVICE_FIELDS.get(name, name)
        if target in form.fields:
            form.add_error(target, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(exc.detail))


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _team_field(help_text: Any = None) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("Team"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=help_text
        or _("Only the members of this team (and coordinators) can change the code."),
    )


class _TeamsMixin:
    fields: dict[str, Any]

    def set_teams(self, teams: Choices) -> None:
        self.fields["owner"].choices = [("", _("(no team)")), *teams]


class CodeForm(_TeamsMixin, forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=150,
        required=False,
        help_text=_("What the code is on, for example “Bench at the Blaisantvest”."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        help_text=_("Separated by commas, for example: bench, park."),
    )
    owner = _team_field()
    slug = forms.CharField(
        label=_("Vanity name"),
        required=False,
        max_length=60,
        help_text=_("Optional short name for links, for example bank-rabot (/q/bank-rabot)."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    contact = forms.CharField(
        label=_("Contact for questions"),
        required=False,
        max_length=200,
        help_text=_("Shown when the code is paused. Empty: the team's phone or e-mail."),
    )
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, teams: Choices, creating: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.set_teams(teams)
        if creating:
            del self.fields["expected_version"]
            self.fields["url"] = forms.CharField(
                label=_("Where a scan goes"),
                required=False,
                max_length=1000,
                help_text=_(
                    "A web address (https://…). Leave empty to make a blank code and decide later."
                ),
                widget=forms.URLInput(attrs={"inputmode": "url", "autocapitalize": "none"}),
            )


class ClaimForm(_TeamsMixin, forms.Form):
    title = forms.CharField(
        label=_("What is this code on?"),
        max_length=150,
        help_text=_("For example “Laptop 12” or “Bench at the Blaisantvest”."),
    )
    owner = _team_field()
    target = forms.ChoiceField(
        label=_("What happens when someone scans it?"),
        widget=forms.RadioSelect,
        initial="url",
    )
    url = forms.CharField(
        label=_("Web address"),
        required=False,
        max_length=1000,
        widget=forms.URLInput(attrs={"inputmode": "url", "autocapitalize": "none"}),
    )
    form = forms.TypedChoiceField(label=_("Form"), required=False, coerce=int, empty_value=None)
    link_type = forms.ChoiceField(label=_("Linked object"), required=False)
    link_id = forms.CharField(
        label=_("Number of the object"),
        required=False,
        max_length=40,
        help_text=_("The number shown on the object's page."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(
        self, *args: Any, teams: Choices, forms_: Choices, link_types: Choices, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.set_teams(teams)
        self.fields["form"].choices = [("", _("(choose a form)")), *forms_]  # type: ignore[attr-defined]
        self.fields["link_type"].choices = [("", _("(nothing)")), *link_types]  # type: ignore[attr-defined]
        targets = [("url", _("Go to a web address"))]
        if forms_:
            targets.append(("form", _("Fill in a form")))
        if link_types:
            targets.append(("link", _("What the linked object suggests")))
        self.fields["target"].choices = targets  # type: ignore[attr-defined]
        target = self.data.get("target") if self.is_bound else self.initial.get("target", "url")
        self.fields["url"].required = target == "url"
        self.fields["form"].required = target == "form"


class BatchForm(_TeamsMixin, forms.Form):
    size = forms.IntegerField(
        label=_("Number of codes"),
        min_value=1,
        help_text=_("At most 100,000. Large batches are made in the background."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=120,
        help_text=_("For example “Stickers for the new laptops”."),
    )
    owner = _team_field(_("Only the members of this team (and coordinators) can change the codes."))
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        help_text=_("Separated by commas; every code of the batch gets them."),
    )

    def __init__(self, *args: Any, teams: Choices, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.set_teams(teams)


class WebhookForm(_TeamsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(
        label=_("Address"),
        max_length=500,
        help_text=_("Where we send the scans or answers: https://…"),
        widget=forms.URLInput(attrs={"inputmode": "url", "autocapitalize": "none"}),
    )
    owner = _team_field(_("The team that looks after this connection."))

    def __init__(self, *args: Any, teams: Choices, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.set_teams(teams)
