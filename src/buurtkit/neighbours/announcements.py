"""Announcements (content distribution): a message the city types or records for a period and,
optionally, one neighbourhood, played in Buurbel calls and on the inbound line.

``text`` and ``recording`` are keyed by language. A caller hears the recording of their language
when there is one, else its text read aloud; a language without either falls back to the
community's default language, then to any language the announcement has.

The public entry points are the thin wrappers in :mod:`buurtkit.neighbours.services`
(``announcement_create``/``_update``/``_deactivate``) and
:func:`buurtkit.neighbours.selectors.announcements_current`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.neighbours.models import Announcement, Participant
from buurtkit.telephony import services as telephony_services
from buurtkit.telephony.models import Recording
from buurtkit.telephony.selectors import recording_url

MAX_TEXT = 600  # characters per language: about a minute of speech
MAX_TITLE = 120
MAX_DAYS = 366  # a period of at most a year
MAX_PLAYED = 3  # a call plays at most this many announcements
LANGS = [code for code, _name in settings.LANGUAGES]
FIELDS = (
    "title",
    "text",
    "recording",
    "neighbourhood",
    "starts_on",
    "ends_on",
    "in_outbound_calls",
)


@dataclass(frozen=True)
class Prompt:
    """What a call plays: the recording's absolute URL when there is one, else ``text`` read
    aloud. ``language`` is the language chosen (it may be a fallback)."""

    text: str
    recording_url: str
    language: str = ""


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: message})


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or ""))
    except ValueError:
        raise _invalid(field, _("Give a date, for example 2026-03-01.")) from None


def _texts(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _invalid("text", _("Give the text per language."))
    out: dict[str, str] = {}
    for lang, text in value.items():
        if lang not in LANGS:
            raise _invalid("text", _("“%(lang)s” is not one of the languages.") % {"lang": lang})
        if text is None:
            continue
        if not isinstance(text, str):
            raise _invalid(f"text.{lang}", _("Give the text as words."))
        text = " ".join(text.split())  # one line: it is read aloud
        if len(text) > MAX_TEXT:
            raise _invalid(
                f"text.{lang}",
                _("Keep it to %(max)d characters (about a minute of speech); this text has %(n)d.")
                % {"max": MAX_TEXT, "n": len(text)},
            )
        if text:
            out[lang] = text
    return out


def _recordings(community: Community, value: Any) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _invalid("recording", _("Give the recording per language."))
    out: dict[str, int] = {}
    for lang, recording_id in value.items():
        if lang not in LANGS:
            raise _invalid(
                "recording", _("“%(lang)s” is not one of the languages.") % {"lang": lang}
            )
        if recording_id in (None, "", 0):
            continue
        field = f"recording.{lang}"
        try:
            pk = int(recording_id)
        except (TypeError, ValueError):
            raise _invalid(field, _("Choose one of the recordings.")) from None
        recording = Recording.objects.in_community(community).filter(pk=pk).first()
        if recording is None:
            raise _invalid(field, _("Choose one of the recordings."))
        if recording.language != lang:
            raise _invalid(field, _("This recording is not in the language of this field."))
        out[lang] = pk
    return out


def clean(community: Community, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check every field of an announcement; errors name the field (``text.fr``)."""
    title = " ".join(str(values.get("title") or "").split())
    if not title:
        raise _invalid("title", _("Give the announcement a title."))
    if len(title) > MAX_TITLE:
        raise _invalid("title", _("Keep the title to %(max)d characters.") % {"max": MAX_TITLE})
    text = _texts(values.get("text"))
    recording = _recordings(community, values.get("recording"))
    if not text and not recording:
        raise _invalid(
            "text", _("Type the message, or choose a recording, in at least one language.")
        )
    starts_on = _date(values.get("starts_on"), "starts_on")
    ends_on = _date(values.get("ends_on"), "ends_on")
    if ends_on < starts_on:
        raise _invalid("ends_on", _("The last day cannot be before the first day."))
    if (ends_on - starts_on).days >= MAX_DAYS:
        raise _invalid("ends_on", _("An announcement runs for at most a year."))
    neighbourhood = " ".join(str(values.get("neighbourhood") or "").split()).lower()
    if len(neighbourhood) > 40:
        raise _invalid("neighbourhood", _("Keep the neighbourhood to 40 characters."))
    return {
        "title": title,
        "text": text,
        "recording": recording,
        "neighbourhood": neighbourhood,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "in_outbound_calls": bool(values.get("in_outbound_calls", True)),
    }


def _snapshot(a: Announcement) -> dict[str, Any]:
    return {
        "title": a.title,
        "languages": sorted(set(a.text) | set(a.recording)),
        "recording": a.recording,
        "neighbourhood": a.neighbourhood,
        "starts_on": a.starts_on.isoformat(),
        "ends_on": a.ends_on.isoformat(),
        "in_outbound_calls": a.in_outbound_calls,
        "active": a.active,
    }


# --- writes ---------------------------------------------------------------------------------


@transaction.atomic
def create(*, actor: Actor, **values: Any) -> Announcement:
    actor.require("neighbours.manage")
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise _invalid(sorted(unknown)[0], _("This field is not known."))
    data = clean(actor.community, values)
    now = clock.now()
    announcement = Announcement.objects.create(
        community=actor.community,
        created_by=actor.label[:150],
        created_at=now,
        updated_at=now,
        **data,
    )
    audit_record(
        actor=actor,
        verb="neighbours.announcement_create",
        obj=announcement,
        data=_snapshot(announcement),
    )
    return announcement


@transaction.atomic
def update(*, actor: Actor, announcement_id: int, **changes: Any) -> Announcement:
    """Change the given fields (the others stay); the result is checked as a whole."""
    actor.require("neighbours.manage")
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise _invalid(sorted(unknown)[0], _("This field is not known."))
    announcement = get_scoped(Announcement, actor.community, for_update=True, pk=announcement_id)
    values: dict[str, Any] = {name: getattr(announcement, name) for name in FIELDS}
    values.update(changes)
    data = clean(actor.community, values)
    for name, value in data.items():
        setattr(announcement, name, value)
    announcement.updated_at = clock.now()
    announcement.save()
    audit_record(
        actor=actor,
        verb="neighbours.announcement_update",
        obj=announcement,
        data=_snapshot(announcement),
    )
    return announcement


@transaction.atomic
def deactivate(*, actor: Actor, announcement_id: int) -> Announcement:
    """Stop playing an announcement (kept for the history). Doing it twice changes nothing."""
    actor.require("neighbours.manage")
    announcement = get_scoped(Announcement, actor.community, for_update=True, pk=announcement_id)
    if not announcement.active:
        return announcement
    announcement.active = False
    announcement.updated_at = clock.now()
    announcement.save(update_fields=["active", "updated_at"])
    audit_record(actor=actor, verb="neighbours.announcement_deactivate", obj=announcement)
    return announcement


# --- reads ----------------------------------------------------------------------------------


WHEN = ("current", "upcoming", "past", "inactive")


def listing(
    *, actor: Actor, q: str = "", when: str = "", on: dt.date | None = None
) -> QuerySet[Announcement]:
    """The community's announcements, newest period first; ``when`` is current, upcoming, past
    (ended) or inactive (stopped by hand), relative to ``on`` (default: today in Brussels)."""
    actor.require("neighbours.view")
    on = on or local_today()
    rows = Announcement.objects.in_community(actor.community)
    if q.strip():
        term = q.strip()
        rows = rows.filter(
            Q(title__icontains=term) | Q(neighbourhood__icontains=term) | Q(text__icontains=term)
        )
    if when == "current":
        rows = rows.filter(active=True, starts_on__lte=on, ends_on__gte=on)
    elif when == "upcoming":
        rows = rows.filter(active=True, starts_on__gt=on)
    elif when == "past":
        rows = rows.filter(ends_on__lt=on)
    elif when == "inactive":
        rows = rows.filter(active=False)
    return rows.order_by("-starts_on", "-id")


def get(*, actor: Actor, announcement_id: int) -> Announcement:
    actor.require("neighbours.view")
    return get_scoped(Announcement, actor.community, pk=announcement_id)


def recording_choices(*, actor: Actor) -> dict[str, list[tuple[int, str]]]:
    """The community's recordings per language, to choose from in the form."""
    actor.require("neighbours.manage")
    out: dict[str, list[tuple[int, str]]] = {lang: [] for lang in LANGS}
    for r in Recording.objects.in_community(actor.community).order_by("name", "id"):
        out.setdefault(r.language, []).append((r.pk, r.name))
    return out


def neighbourhoods(*, actor: Actor) -> list[str]:
    """The neighbourhoods the participants live in (to choose from in the form)."""
    actor.require("neighbours.view")
    values = (
        Participant.objects.in_community(actor.community)
        .exclude(neighbourhood="")
        .values_list("neighbourhood", flat=True)
        .distinct()
    )
    return sorted(set(values))


def unsaved(*, actor: Actor, **values: Any) -> Announcement:
    """An announcement checked like a real one but not saved (for a preview)."""
    actor.require("neighbours.manage")
    return Announcement(community=actor.community, **clean(actor.community, values))


def preview(*, actor: Actor, announcement: Announcement) -> dict[str, Prompt | None]:
    """Per language of the installation: what a caller who speaks it hears."""
    actor.require("neighbours.view")
    ids = {int(pk) for pk in (announcement.recording or {}).values() if pk}
    urls = {
        r.pk: recording_url(r)
        for r in Recording.objects.in_community(actor.community).filter(pk__in=ids)
    }
    default = actor.community.default_language
    return {lang: prompt_for(announcement, lang, default, urls) for lang in LANGS}


def local_today() -> dt.date:
    return timezone.localtime(clock.now()).date()


def _language_order(language: str, default: str, available: set[str]) -> list[str]:
    order = [language, default, *LANGS, *sorted(available)]
    return list(dict.fromkeys(lang for lang in order if lang in available))


def prompt_for(
    announcement: Announcement,
    language: str,
    default: str,
    urls: Mapping[int, str],
) -> Prompt | None:
    """The announcement in ``language`` (else ``default``, else any); a recording wins over text."""
    recordings = {
        lang: urls[int(pk)]
        for lang, pk in (announcement.recording or {}).items()
        if pk and int(pk) in urls
    }
    texts = {lang: t for lang, t in (announcement.text or {}).items() if t}
    for lang in _language_order(language, default, set(recordings) | set(texts)):
        return Prompt(texts.get(lang, ""), recordings.get(lang, ""), lang)
    return None


def current(
    *, community_id: int, neighbourhood: str, on: dt.date, outbound: bool, language: str
) -> list[Prompt]:
    """What a call in ``community_id`` plays on ``on``: the active announcements of that day for
    everybody or for ``neighbourhood`` (only those meant for introduction calls when
    ``outbound``), newest first, at most :data:`MAX_PLAYED`."""
    community = Community.objects.get(pk=community_id)
    rows = Announcement.objects.in_community(community_id).filter(
        active=True, starts_on__lte=on, ends_on__gte=on
    )
    area = " ".join((neighbourhood or "").split()).lower()
    rows = (
        rows.filter(Q(neighbourhood="") | Q(neighbourhood=area))
        if area
        else rows.filter(neighbourhood="")
    )
    if outbound:
        rows = rows.filter(in_outbound_calls=True)
    chosen = list(rows.order_by("-starts_on", "-created_at", "-id")[:MAX_PLAYED])
    ids = {int(pk) for a in chosen for pk in (a.recording or {}).values() if pk}
    urls = {
        r.pk: recording_url(r)
        for r in Recording.objects.in_community(community_id).filter(pk__in=ids)
    }
    prompts = [prompt_for(a, language, community.default_language, urls) for a in chosen]
    return [p for p in prompts if p is not None]


# --- recordings in use ----------------------------------------------------------------------


def _announcements_using(community_id: int, recording_id: int) -> str:
    """The announcements that have not ended and still play the recording."""
    rows = Announcement.objects.in_community(community_id).filter(
        active=True, ends_on__gte=local_today()
    )
    titles = [
        _("announcement “%(title)s”") % {"title": a.title}
        for a in rows.order_by("starts_on", "id")
        if str(recording_id) in {str(pk) for pk in (a.recording or {}).values()}
    ]
    return ", ".join(titles)


def register() -> None:
    """Tell telephony that a recording an announcement plays cannot be deleted."""
    telephony_services.register_recording_use(_announcements_using)
