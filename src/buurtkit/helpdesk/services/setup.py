"""The helpdesk's set-up: teams, categories with their deadlines, standard answers, the
knowledge base and the community's settings. Coordinators edit them (``helpdesk.manage``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.helpdesk.models import Article, Category, HelpdeskSettings, StandardAnswer, Team

LANGUAGES = ("nl", "fr", "en")

#: The teams every community starts with.
DEFAULT_TEAMS: list[tuple[str, dict[str, str]]] = [
    ("frontdesk", {"nl": "Meldpunt", "fr": "Point de contact", "en": "Front desk"}),
    ("devices", {"nl": "Digibank", "fr": "Banque numérique", "en": "Device bank"}),
]

#: The seed's topics (004, objective 3; 002, the helpdesk stories): key, team, hours to the
#: first answer, hours to the solution, names.
DEFAULT_CATEGORIES: list[tuple[str, str, int, int, dict[str, str]]] = [
    (
        "itsme-eid",
        "frontdesk",
        8,
        72,
        {"nl": "itsme en eID", "fr": "itsme et eID", "en": "itsme and eID"},
    ),
    (
        "citizen-profile",
        "frontdesk",
        24,
        120,
        {
            "nl": "Burgerprofiel en e-Box",
            "fr": "Profil citoyen et eBox",
            "en": "Citizen profile and e-box",
        },
    ),
    (
        "banking-phishing",
        "frontdesk",
        4,
        48,
        {
            "nl": "Online bankieren en phishing",
            "fr": "Banque en ligne et hameçonnage",
            "en": "Online banking and phishing",
        },
    ),
    (
        "health-insurer",
        "frontdesk",
        24,
        120,
        {"nl": "Ziekenfonds", "fr": "Mutualité", "en": "Health insurer"},
    ),
    (
        "tax-on-web",
        "frontdesk",
        24,
        120,
        {"nl": "Tax-on-web", "fr": "Tax-on-web", "en": "Tax-on-web"},
    ),
    (
        "school-apps",
        "frontdesk",
        24,
        120,
        {"nl": "Schoolapps", "fr": "Applications scolaires", "en": "School apps"},
    ),
    (
        "device-problems",
        "devices",
        24,
        168,
        {"nl": "Problemen met een toestel", "fr": "Problèmes d'appareil", "en": "Device problems"},
    ),
    (
        "other",
        "frontdesk",
        24,
        120,
        {"nl": "Iets anders", "fr": "Autre chose", "en": "Something else"},
    ),
]

MAX_HOURS = 24 * 365
MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 3650


def _clean_names(name: dict[str, str], field: str = "name") -> dict[str, str]:
    cleaned = {
        lang: str(text).strip()[:120]
        for lang, text in (name or {}).items()
        if lang in LANGUAGES and str(text).strip()
    }
    if not cleaned:
        msg = _("Write the name in at least one language.")
        raise ValidationFailed(msg, fields={field: msg})
    return cleaned


@transaction.atomic
def categories_ensure_defaults(*, actor: Actor) -> list[Category]:
    """The seed's teams and categories, once per community (what exists is left alone)."""
    actor.require("helpdesk.manage")
    community = actor.community
    teams: dict[str, Team] = {}
    for key, name in DEFAULT_TEAMS:
        teams[key], _made = Team.objects.get_or_create(
            community=community, key=key, defaults={"name": name}
        )
    made = []
    for position, (key, team, first, resolve, name) in enumerate(DEFAULT_CATEGORIES):
        category, created = Category.objects.get_or_create(
            community=community,
            key=key,
            defaults={
                "name": name,
                "team": teams[team],
                "first_response_hours": first,
                "resolution_hours": resolve,
                "position": position,
            },
        )
        if created:
            made.append(category)
    if made:
        audit_record(
            actor=actor,
            verb="helpdesk.categories_seeded",
            obj=community,
            data={"categories": [c.key for c in made]},
        )
    return list(Category.objects.in_community(community))


@transaction.atomic
def team_save(*, actor: Actor, key: str, name: dict[str, str], active: bool = True) -> Team:
    """Add a team, or rename (or retire) the team with this key."""
    actor.require("helpdesk.manage")
    key = key.strip().lower()[:40]
    if not key or not key.replace("-", "").isalnum():
        msg = _("Use lower-case letters, digits and dashes for the key.")
        raise ValidationFailed(msg, fields={"key": msg})
    team, created = Team.objects.select_for_update().get_or_create(
        community=actor.community, key=key, defaults={"name": _clean_names(name)}
    )
    if not created:
        team.name, team.active = _clean_names(name), active
        team.save(update_fields=["name", "active"])
    audit_record(actor=actor, verb="helpdesk.team_saved", obj=team, data={"key": key})
    return team


def _hours(value: int, field: str) -> int:
    if not 1 <= int(value) <= MAX_HOURS:
        msg = _("Give a number of hours from 1 to %(max)s.") % {"max": MAX_HOURS}
        raise ValidationFailed(msg, fields={field: msg})
    return int(value)


@transaction.atomic
def category_save(
    *,
    actor: Actor,
    category_id: int | None = None,
    key: str = "",
    name: dict[str, str],
    team_id: int | None = None,
    first_response_hours: int = 24,
    resolution_hours: int = 120,
    active: bool = True,
) -> Category:
    """Add a category (``category_id`` None, with a ``key``) or change one. New deadlines
    count for tickets that come in afterwards."""
    actor.require("helpdesk.manage")
    first = _hours(first_response_hours, "first_response_hours")
    resolve = _hours(resolution_hours, "resolution_hours")
    if resolve < first:
        msg = _("The solution cannot be due before the first answer.")
        raise ValidationFailed(msg, fields={"resolution_hours": msg})
    team = get_scoped(Team, actor.community, pk=team_id) if team_id else None
    if category_id is None:
        key = key.strip().lower()[:40]
        if not key or not key.replace("-", "").isalnum():
            msg = _("Use lower-case letters, digits and dashes for the key.")
            raise ValidationFailed(msg, fields={"key": msg})
        if Category.objects.in_community(actor.community).filter(key=key).exists():
            msg = _("There is already a category with this key.")
            raise ValidationFailed(msg, fields={"key": msg})
        category = Category(community=actor.community, key=key)
        category.position = Category.objects.in_community(actor.community).count()
    else:
        category = get_scoped(Category, actor.community, for_update=True, pk=category_id)
    category.name = _clean_names(name)
    category.team = team
    category.first_response_hours, category.resolution_hours = first, resolve
    category.active = active
    category.save()
    audit_record(
        actor=actor,
        verb="helpdesk.category_saved",
        obj=category,
        data={"key": category.key, "team": team_id, "first": first, "resolve": resolve},
    )
    return category


def _clean_texts(texts: dict[str, str], field: str = "texts") -> dict[str, str]:
    cleaned = {
        lang: str(text).strip()[:4000]
        for lang, text in (texts or {}).items()
        if lang in LANGUAGES and str(text).strip()
    }
    if not cleaned:
        msg = _("Write the text in at least one language.")
        raise ValidationFailed(msg, fields={field: msg})
    return cleaned


@transaction.atomic
def standard_answer_save(
    *,
    actor: Actor,
    answer_id: int | None = None,
    title: str,
    texts: dict[str, str],
    category_id: int | None = None,
    active: bool = True,
) -> StandardAnswer:
    actor.require("helpdesk.manage")
    title = title.strip()[:120]
    if not title:
        msg = _("Write a title.")
        raise ValidationFailed(msg, fields={"title": msg})
    category = get_scoped(Category, actor.community, pk=category_id) if category_id else None
    if answer_id is None:
        answer = StandardAnswer(community=actor.community)
    else:
        answer = get_scoped(StandardAnswer, actor.community, for_update=True, pk=answer_id)
    answer.title, answer.texts, answer.category, answer.active = (
        title,
        _clean_texts(texts),
        category,
        active,
    )
    answer.save()
    audit_record(actor=actor, verb="helpdesk.answer_saved", obj=answer, data={})
    return answer


@transaction.atomic
def article_save(
    *,
    actor: Actor,
    language: str,
    slug: str,
    title: str,
    body: str,
    public: bool = False,
    category_id: int | None = None,
    article_id: int | None = None,
) -> Article:
    """Write a knowledge-base article: the article ``article_id``, or else the one with
    ``slug`` in ``language`` (made when there is none)."""
    actor.require("helpdesk.manage")
    errors: dict[str, str] = {}
    if language not in LANGUAGES:
        errors["language"] = _("Choose Dutch, French or English.")
    slug = slug.strip().lower()[:80]
    if not slug or not slug.replace("-", "").isalnum():
        errors["slug"] = _("Use lower-case letters, digits and dashes for the short name.")
    title, body = title.strip()[:160], body.strip()[:20000]
    if not title:
        errors["title"] = _("Write a title.")
    if not body:
        errors["body"] = _("Write the text.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    category = get_scoped(Category, actor.community, pk=category_id) if category_id else None
    same = Article.objects.in_community(actor.community).filter(language=language, slug=slug)
    if article_id is not None:
        article = get_scoped(Article, actor.community, for_update=True, pk=article_id)
        if same.exclude(pk=article_id).exists():
            msg = _("There is already a page with this short name in this language.")
            raise ValidationFailed(msg, fields={"slug": msg})
    else:
        article = same.select_for_update().first() or Article(community=actor.community)
    article.language, article.slug, article.title, article.body = language, slug, title, body
    article.public, article.category, article.updated_at = public, category, clock.now()
    article.save()
    audit_record(
        actor=actor,
        verb="helpdesk.article_saved",
        obj=article,
        data={"slug": slug, "language": language, "public": public},
    )
    return article


def settings_of(community: Community) -> HelpdeskSettings:
    found, _made = HelpdeskSettings.objects.get_or_create(community=community)
    return found


@transaction.atomic
def helpdesk_settings_update(
    *,
    actor: Actor,
    retention_days: int,
    visit_rate_cents: int | None = None,
    visit_budget_cents: int | None = None,
    visit_target: int | None = None,
) -> HelpdeskSettings:
    """How long closed tickets keep personal data; and for help at home: an outside
    provider's rate per half hour and the yearly budget (cents), the yearly target (visits).
    A value left out (``None``) stays as it is."""
    actor.require("helpdesk.manage")
    errors: dict[str, str] = {}
    if not MIN_RETENTION_DAYS <= int(retention_days) <= MAX_RETENTION_DAYS:
        errors["retention_days"] = _("Give a number of days from %(min)s to %(max)s.") % {
            "min": MIN_RETENTION_DAYS,
            "max": MAX_RETENTION_DAYS,
        }
    bounds = {
        "visit_rate_cents": (visit_rate_cents, 0, 100_000_00),
        "visit_budget_cents": (visit_budget_cents, 0, 100_000_000_00),
        "visit_target": (visit_target, 0, 100_000),
    }
    for field, (value, low, high) in bounds.items():
        if value is not None and not low <= int(value) <= high:
            errors[field] = _("Give a number from %(min)s to %(max)s.") % {"min": low, "max": high}
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    found = settings_of(actor.community)
    found = HelpdeskSettings.objects.select_for_update().get(pk=found.pk)
    found.retention_days = int(retention_days)
    for field, (value, _low, _high) in bounds.items():
        if value is not None:
            setattr(found, field, int(value))
    found.save(update_fields=["retention_days", *bounds])
    audit_record(
        actor=actor,
        verb="helpdesk.settings_changed",
        obj=found,
        data={"retention_days": found.retention_days}
        | {field: getattr(found, field) for field in bounds},
    )
    return found


def names_of(value: dict[str, Any], language: str) -> str:
    return str(value.get(language) or value.get("nl") or next(iter(value.values()), ""))


@transaction.atomic
def category_change(
    *,
    actor: Actor,
    category_id: int,
    name: dict[str, str] | None = None,
    team_id: int | None = None,
    first_response_hours: int | None = None,
    resolution_hours: int | None = None,
    active: bool | None = None,
) -> Category:
    """Change only the given fields of a category (the API's PATCH)."""
    actor.require("helpdesk.manage")
    category = get_scoped(Category, actor.community, pk=category_id)
    return category_save(
        actor=actor,
        category_id=category_id,
        name=name if name is not None else category.name,
        team_id=team_id if team_id is not None else category.team_id,
        first_response_hours=first_response_hours or category.first_response_hours,
        resolution_hours=resolution_hours or category.resolution_hours,
        active=category.active if active is None else active,
    )
