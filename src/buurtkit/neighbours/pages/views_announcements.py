"""Staff pages for Buurbel's announcements (content distribution): the list with search,
a filter on current/upcoming/past and paging; the form to write one (text per language or a
recording, a period, a neighbourhood); stopping one. The form shows what a caller hears.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core.actor import Actor
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.neighbours import announcements as logic
from buurtkit.neighbours import selectors, services
from buurtkit.neighbours.models import Announcement
from buurtkit.telephony.selectors import recording_path
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate

LANGS = [code for code, _name in settings.LANGUAGES]
WHEN = [
    ("current", gettext_lazy("Playing now")),
    ("upcoming", gettext_lazy("Upcoming")),
    ("past", gettext_lazy("Ended")),
    ("inactive", gettext_lazy("Stopped")),
]


def _language_name(lang: str) -> str:
    return str(get_language_info(lang)["name_translated"])


class AnnouncementForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=logic.MAX_TITLE,
        help_text=gettext_lazy("For staff only; callers do not hear it."),
    )
    starts_on = forms.DateField(
        label=gettext_lazy("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Last day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("At most a year after the first day."),
    )
    neighbourhood = forms.CharField(
        label=gettext_lazy("Neighbourhood"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Leave empty to play it for everybody."),
        widget=forms.TextInput(attrs={"list": "neighbourhoods", "autocomplete": "off"}),
    )
    in_outbound_calls = forms.BooleanField(
        label=gettext_lazy("Play in introduction calls"),
        required=False,
        help_text=gettext_lazy(
            "Without this, it is only played on the phone line residents call themselves."
        ),
    )

    def __init__(self, *args: Any, recordings: dict[str, list[tuple[int, str]]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for lang in LANGS:
            name = _language_name(lang)
            self.fields[f"text_{lang}"] = forms.CharField(
                label=_("Message in %(language)s") % {"language": name},
                required=False,
                max_length=logic.MAX_TEXT,
                help_text=_("Read aloud to callers. At most %(max)d characters.")
                % {"max": logic.MAX_TEXT},
                widget=forms.Textarea(
                    attrs={"rows": 4, "maxlength": logic.MAX_TEXT, "data-count": "1"}
                ),
            )
            self.fields[f"recording_{lang}"] = forms.TypedChoiceField(
                label=_("Recording in %(language)s") % {"language": name},
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", _("(none: read the message aloud)")), *recordings.get(lang, [])],
                help_text=_("A recording is played instead of the message."),
            )

    def language_blocks(self) -> list[dict[str, Any]]:
        return [
            {
                "lang": lang,
                "name": _language_name(lang),
                "text": self[f"text_{lang}"],
                "recording": self[f"recording_{lang}"],
            }
            for lang in LANGS
        ]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "text": {lang: data[f"text_{lang}"] for lang in LANGS if data[f"text_{lang}"]},
            "recording": {
                lang: data[f"recording_{lang}"] for lang in LANGS if data[f"recording_{lang}"]
            },
            "neighbourhood": data["neighbourhood"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "in_outbound_calls": bool(data["in_outbound_calls"]),
        }

    def apply_error(self, exc: ServiceError) -> None:
        placed = False
        for name, message in exc.fields.items():
            target = str(name).replace(".", "_")
            if target == "text":
                target = f"text_{LANGS[0]}"
            if target == "recording":
                target = f"recording_{LANGS[0]}"
            if target in self.fields:
                self.add_error(target, str(message))
                placed = True
        if not placed:
            self.add_error(None, str(exc.detail))


def _initial(announcement: Announcement | None) -> dict[str, Any]:
    if announcement is None:
        today = logic.local_today()
        return {
            "starts_on": today,
            "ends_on": today + dt.timedelta(days=6),
            "in_outbound_calls": True,
        }
    initial: dict[str, Any] = {
        "title": announcement.title,
        "starts_on": announcement.starts_on,
        "ends_on": announcement.ends_on,
        "neighbourhood": announcement.neighbourhood,
        "in_outbound_calls": announcement.in_outbound_calls,
    }
    for lang in LANGS:
        initial[f"text_{lang}"] = (announcement.text or {}).get(lang, "")
        initial[f"recording_{lang}"] = (announcement.recording or {}).get(lang)
    return initial


def _preview(actor: Actor, announcement: Announcement | None) -> list[dict[str, Any]]:
    """Per language: what a caller who speaks it hears (a fallback language is named)."""
    if announcement is None:
        return []
    names = {
        pk: name for items in logic.recording_choices(actor=actor).values() for pk, name in items
    }
    rows = []
    for lang, prompt in selectors.announcement_preview(
        actor=actor, announcement=announcement
    ).items():
        recording_id = (
            int((announcement.recording or {}).get(prompt.language) or 0) if prompt else 0
        )
        rows.append(
            {
                "lang": lang,
                "name": _language_name(lang),
                "prompt": prompt,
                "fallback": _language_name(prompt.language)
                if prompt and prompt.language != lang
                else "",
                "recording_name": names.get(recording_id, "")
                if prompt and prompt.recording_url
                else "",
                # The staff's browser plays it from this site, whatever the public address.
                "play_url": recording_path(recording_id) if prompt and prompt.recording_url else "",
            }
        )
    return rows


def _form_page(
    request: HttpRequest, announcement: Announcement | None, template_status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    form = AnnouncementForm(
        request.POST or None,
        initial=_initial(announcement),
        recordings=logic.recording_choices(actor=actor),
    )
    preview_of = announcement
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("preview"):
                preview_of = logic.unsaved(actor=actor, **form.values())
            elif announcement is None:
                saved = services.announcement_create(actor=actor, **form.values())
                flash(request, _("The announcement is saved."))
                return redirect(
                    "web:buurbel_announcement_edit",
                    slug=actor.community.slug,
                    announcement_id=saved.pk,
                )
            else:
                services.announcement_update(
                    actor=actor, announcement_id=announcement.pk, **form.values()
                )
                flash(request, _("The announcement is saved."))
                return redirect(
                    "web:buurbel_announcement_edit",
                    slug=actor.community.slug,
                    announcement_id=announcement.pk,
                )
        except ServiceError as exc:
            form.apply_error(exc)
    context = {
        "form": form,
        "announcement": announcement,
        "blocks": form.language_blocks(),
        "preview": _preview(actor, preview_of),
        "neighbourhoods": logic.neighbourhoods(actor=actor),
        "can_upload": actor.has("telephony.recordings"),
    }
    status = 422 if form.errors else template_status
    return render(request, "neighbours/announcement_form.html", context, status=status)


@community_page("neighbours.view")
def announcement_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    q = request.GET.get("q", "")
    when = request.GET.get("when", "")
    if when not in dict(WHEN):
        when = ""
    today = logic.local_today()
    page = paginate(request, selectors.announcements_list(actor=actor, q=q, when=when, on=today))
    for a in page:
        if not a.active:
            a.state = _("Stopped")
        elif a.ends_on < today:
            a.state = _("Ended")
        elif a.starts_on > today:
            a.state = _("Upcoming")
        else:
            a.state = _("Playing now")
        a.languages = ", ".join(
            _language_name(lang) for lang in LANGS if lang in a.text or lang in a.recording
        )
    context = {
        "page": page,
        "q": q,
        "when": when,
        "whens": WHEN,
        "can_manage": actor.has("neighbours.manage"),
        "can_upload": actor.has("telephony.recordings"),
    }
    return render(request, "neighbours/announcements.html", context)


@community_page("neighbours.manage")
def announcement_new(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@community_page("neighbours.manage")
def announcement_edit(request: HttpRequest, announcement_id: int) -> HttpResponse:
    actor = actor_of(request)
    announcement = selectors.announcement_get(actor=actor, announcement_id=announcement_id)
    return _form_page(request, announcement)


@require_POST
@community_page("neighbours.manage")
def announcement_deactivate(request: HttpRequest, announcement_id: int) -> HttpResponse:
    actor = actor_of(request)
    services.announcement_deactivate(actor=actor, announcement_id=announcement_id)
    flash(request, _("The announcement is stopped: it is no longer played."))
    return redirect("web:buurbel_announcements", slug=actor.community.slug)
