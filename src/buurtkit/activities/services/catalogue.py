"""The programme: categories, activities (series) and their sessions at places."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.activities.models import (
    ActivityKind,
    Category,
    Level,
    Registration,
    RegistrationState,
    Series,
    Session,
)
from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, ValidationFailed
from buurtkit.core.scoping import get_scoped
from buurtkit.people.models import Organisation
from buurtkit.places.models import Place

LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
MAX_CAPACITY = 500

#: The six course categories of the Kortrijk plan; communities rename or add their own.
DEFAULT_CATEGORIES: list[tuple[str, dict[str, str]]] = [
    (
        "information",
        {"nl": "Informatie zoeken", "fr": "Chercher des informations", "en": "Finding information"},
    ),
    ("communicating", {"nl": "Communiceren", "fr": "Communiquer", "en": "Communicating"}),
    (
        "problem-solving",
        {"nl": "Problemen oplossen", "fr": "Résoudre des problèmes", "en": "Solving problems"},
    ),
    (
        "software",
        {"nl": "Software gebruiken", "fr": "Utiliser des logiciels", "en": "Using software"},
    ),
    ("safety", {"nl": "Veilig online", "fr": "Utilisation sûre", "en": "Safe use"}),
    (
        "repair",
        {
            "nl": "Herstel en onderhoud",
            "fr": "Réparation et entretien",
            "en": "Repair and maintenance",
        },
    ),
]


def clean_texts(field: str, values: Any, *, required: bool, limit: int) -> dict[str, str]:
    """A text per language (``{"nl": …, "fr": …}``): known languages, trimmed, within ``limit``."""
    if isinstance(values, str):
        values = {"nl": values}
    if not isinstance(values, dict):
        values = {}
    cleaned: dict[str, str] = {}
    for language, text in values.items():
        if language not in LANGUAGES:
            msg = _("Unknown language “%(language)s”.") % {"language": language}
            raise ValidationFailed(msg, fields={field: msg})
        text = str(text or "").strip()
        if len(text) > limit:
            msg = _("At most %(n)d characters.") % {"n": limit}
            raise ValidationFailed(msg, fields={f"{field}.{language}": msg})
        if text:
            cleaned[language] = text
    if required and not cleaned:
        msg = _("Write it in at least one language.")
        raise ValidationFailed(msg, fields={field: msg})
    return cleaned


@transaction.atomic
def categories_ensure_defaults(*, actor: Actor) -> list[Category]:
    """The six default categories, created once (a second call changes nothing)."""
    actor.require("activities.manage")
    made = []
    for position, (key, name) in enumerate(DEFAULT_CATEGORIES):
        category, _created = Category.objects.get_or_create(
            community=actor.community, key=key, defaults={"name": name, "position": position}
        )
        made.append(category)
    return made


@transaction.atomic
def series_create(
    *,
    actor: Actor,
    kind: str,
    title: Any,
    description: Any = None,
    category_id: int | None = None,
    level: str = Level.SHORT,
    language: str = "nl",
    partner_id: int | None = None,
    price_cents: int = 0,
    whole_series: bool = False,
    self_assessment: bool = False,
    published: bool = True,
) -> Series:
    actor.require("activities.manage")
    if kind not in ActivityKind.values:
        msg = _("Choose the kind of activity.")
        raise ValidationFailed(msg, fields={"kind": msg})
    if level not in Level.values:
        msg = _("Choose the level.")
        raise ValidationFailed(msg, fields={"level": msg})
    if language not in LANGUAGES:
        msg = _("Choose the language the activity is given in.")
        raise ValidationFailed(msg, fields={"language": msg})
    if not 0 <= price_cents <= 100_000:
        msg = _("The price must be between 0 and 1000 euro.")
        raise ValidationFailed(msg, fields={"price_cents": msg})
    series = Series.objects.create(
        community=actor.community,
        kind=kind,
        title=clean_texts("title", title, required=True, limit=150),
        description=clean_texts("description", description, required=False, limit=2000),
        category=get_scoped(Category, actor.community, pk=category_id) if category_id else None,
        level=level,
        language=language,
        partner=get_scoped(Organisation, actor.community, pk=partner_id) if partner_id else None,
        price_cents=price_cents,
        whole_series=whole_series,
        self_assessment=self_assessment,
        published=published,
    )
    audit_record(actor=actor, verb="activities.series_created", obj=series, data={"kind": kind})
    return series


@transaction.atomic
def session_add(
    *,
    actor: Actor,
    series_id: int,
    place_id: int,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    buddies_needed: int = 0,
) -> Session:
    actor.require("activities.manage")
    series = get_scoped(Series, actor.community, for_update=True, pk=series_id)
    place = get_scoped(Place, actor.community, pk=place_id)
    if ends_at <= starts_at:
        msg = _("A session ends after it starts.")
        raise ValidationFailed(msg, fields={"ends_at": msg})
    if not 1 <= capacity <= MAX_CAPACITY:
        msg = _("Give between 1 and %(n)d seats.") % {"n": MAX_CAPACITY}
        raise ValidationFailed(msg, fields={"capacity": msg})
    if not 0 <= buddies_needed <= 50:
        msg = _("Give between 0 and 50 digibuddies.")
        raise ValidationFailed(msg, fields={"buddies_needed": msg})
    signed_up = Registration.objects.filter(session__series=series).exclude(
        state=RegistrationState.CANCELLED
    )
    if series.whole_series and signed_up.exists():
        raise Conflict(
            _("People already signed up for the whole series: add sessions before that.")
        )
    session = Session.objects.create(
        community=actor.community,
        series=series,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        buddies_needed=buddies_needed,
    )
    audit_record(actor=actor, verb="activities.session_added", obj=session, data={})
    return session


def session_is_open(session: Session) -> bool:
    """Whether people can still sign up: not cancelled and not started."""
    return session.cancelled_at is None and session.starts_at > clock.now()
