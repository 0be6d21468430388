"""Reach per target group (issue 15): consented profiles, the community's population figures
per group, unique people reached across modules, and a person's digital track.

Writes (``profile_save``, ``profile_withdraw``, ``group_figures_save``) are keyword-only,
atomic and audited; reads need ``monitoring.view`` (figures), ``people.manage`` (a profile)
or ``monitoring.track`` (a person's track).

Unique reach is read from the roll-up's subject table (ADR 0016): every indicator that
``reaches_people`` lists the people it reached per month, so the people reached in a period,
across all modules, are one ``COUNT(DISTINCT subject_id)``; per target group, those ids are
joined to the consented profiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.indicators import BRUSSELS, indicators_of
from buurtkit.core.modules import MODULES
from buurtkit.core.scoping import get_scoped, scoped
from buurtkit.core.tracks import TRACK_PROVIDERS, TrackEvent
from buurtkit.monitoring.models import (
    SENIOR_BANDS,
    AgeBand,
    GroupFigure,
    IndicatorSubject,
    JobSeeking,
    Profile,
    TargetGroup,
)
from buurtkit.monitoring.selectors import month_range
from buurtkit.people.models import Consent, ConsentKind, Person
from buurtkit.people.services import person_record_consent

#: Counts from 1 to 4 are shown as "< 5" (no one can be picked out of a small group).
SMALL = 5
#: The seed's ambition: reach at least 10 % of each target group.
DEFAULT_AMBITION = 10
FLAGS = (
    "low_literacy",
    "low_schooling",
    "inactive",
    "migration",
    "second_language",
    "low_income",
    "living_alone",
)

#: How each target group is found among the profiles.
GROUP_Q: dict[str, Q] = {
    TargetGroup.SENIORS: Q(age_band__in=SENIOR_BANDS),
    TargetGroup.LOW_LITERACY: Q(low_literacy=True),
    TargetGroup.LOW_SCHOOLING: Q(low_schooling=True),
    TargetGroup.JOB_SEEKER_SHORT: Q(job_seeking=JobSeeking.SHORT),
    TargetGroup.JOB_SEEKER_MEDIUM: Q(job_seeking=JobSeeking.MEDIUM),
    TargetGroup.JOB_SEEKER_LONG: Q(job_seeking=JobSeeking.LONG),
    TargetGroup.INACTIVE: Q(inactive=True),
    TargetGroup.MIGRATION: Q(migration=True),
    TargetGroup.SECOND_LANGUAGE: Q(second_language=True),
    TargetGroup.LOW_INCOME: Q(low_income=True),
    TargetGroup.LIVING_ALONE: Q(living_alone=True),
}

#: The demo's defaults (seed 004, "Bereik van de doelgroep"): the Kortrijk residents of each
#: group at risk of digital exclusion. Job seekers: 2,017 × 16 % split by how long.
SEED_POPULATION: dict[str, int] = {
    TargetGroup.SENIORS: 5200,
    TargetGroup.MIGRATION: 5982,
    TargetGroup.INACTIVE: 8544,
    TargetGroup.SECOND_LANGUAGE: 494,
    TargetGroup.LOW_SCHOOLING: 2441,
    TargetGroup.JOB_SEEKER_SHORT: 174,
    TargetGroup.JOB_SEEKER_MEDIUM: 54,
    TargetGroup.JOB_SEEKER_LONG: 95,
}


def age_band_of(birth_year: int | None, today: date) -> str:
    if not birth_year:
        return ""
    age = today.year - birth_year
    for limit, band in ((18, AgeBand.UNDER_18), (30, AgeBand.A18_29), (50, AgeBand.A30_49),
                        (65, AgeBand.A50_64), (75, AgeBand.A65_74)):  # fmt: skip
        if age < limit:
            return str(band)
    return str(AgeBand.A75_PLUS)


def _local_today() -> date:
    return timezone.localtime(clock.now(), BRUSSELS).date()


# --- consent and profile ----------------------------------------------------------------------


def _latest_consent(person_ref: Any) -> Subquery:
    return Subquery(
        Consent.objects.filter(person=person_ref, kind=ConsentKind.PROFILE_STATISTICS)
        .order_by("-at", "-id")
        .values("granted")[:1]
    )


def has_profile_consent(*, person: Person) -> bool:
    latest = (
        Consent.objects.in_community(person.community_id)
        .filter(person=person, kind=ConsentKind.PROFILE_STATISTICS)
        .order_by("-at", "-id")
        .values_list("granted", flat=True)
        .first()
    )
    return bool(latest)


def counted_profiles(community: Any) -> QuerySet[Profile]:
    """The profiles that count: their person's newest "per target group" consent is given."""
    return (
        scoped(Profile, community)
        .annotate(_consent=_latest_consent(OuterRef("person")))
        .filter(_consent=True)
    )


@dataclass(frozen=True)
class ProfileView:
    person: Person
    consent: bool
    profile: Profile | None
    groups: list[str]  # labels of the groups the person belongs to
    derived_band: str  # from the birth year, when there is one


def profile_get(*, actor: Actor, person_id: int) -> ProfileView:
    """A person's profile, shown only while the consent is given."""
    actor.require("people.manage")
    person = get_scoped(Person, actor.community, pk=person_id)
    consent = has_profile_consent(person=person)
    profile = scoped(Profile, actor.community).filter(person=person).first() if consent else None
    groups = []
    if profile is not None:
        groups = [str(label) for key, label in TargetGroup.choices if _in_group(profile, key)]
    return ProfileView(
        person, consent, profile, groups, age_band_of(person.birth_year, _local_today())
    )


def _in_group(profile: Profile, group: str) -> bool:
    if group == TargetGroup.SENIORS:
        return profile.age_band in SENIOR_BANDS
    if group.startswith("job_seeker_"):
        return profile.job_seeking == group.removeprefix("job_seeker_")
    return bool(getattr(profile, group))


@transaction.atomic
def profile_save(
    *,
    actor: Actor,
    person_id: int,
    consent: bool,
    age_band: str = "",
    postcode: str = "",
    job_seeking: str = "",
    groups: list[str] | None = None,
) -> Profile:
    """Store a person's profile, entered by staff at the counter. ``consent``: the person
    agreed just now (recorded as the consent "may be counted per target group"); without a
    consent, given now or before, nothing is stored. The age band comes from the birth year
    when the person has one. ``groups``: the yes/no target groups (``FLAGS``)."""
    actor.require("people.manage")
    person = get_scoped(Person, actor.community, for_update=True, pk=person_id)
    if person.anonymised_at:
        msg = _("This person was anonymised: their profile can no longer be changed.")
        raise ValidationFailed(msg, fields={"person": msg})
    if consent and not has_profile_consent(person=person):
        person_record_consent(
            actor=actor,
            person_id=person.pk,
            kind=ConsentKind.PROFILE_STATISTICS,
            granted=True,
        )
    elif not has_profile_consent(person=person):
        msg = _("Ask the person first: a profile is only kept with their consent.")
        raise ValidationFailed(msg, fields={"consent": msg})
    derived = age_band_of(person.birth_year, _local_today())
    band = derived or (age_band or "").strip()
    if band and band not in AgeBand.values:
        msg = _("Choose an age band from the list.")
        raise ValidationFailed(msg, fields={"age_band": msg})
    job = (job_seeking or "").strip()
    if job and job not in JobSeeking.values:
        msg = _("Choose how long the person has been looking for work.")
        raise ValidationFailed(msg, fields={"job_seeking": msg})
    chosen = set(groups or [])
    unknown = sorted(chosen - set(FLAGS))
    if unknown:
        msg = _("Unknown target group: %(group)s.") % {"group": unknown[0]}
        raise ValidationFailed(msg, fields={"groups": msg})
    code = (postcode or person.postcode or "").strip()
    if len(code) > 10:
        msg = _("A postcode has at most 10 characters.")
        raise ValidationFailed(msg, fields={"postcode": msg})
    profile, created = Profile.objects.select_for_update().get_or_create(
        person=person,
        defaults={"community": actor.community, "updated_at": clock.now()},
    )
    profile.age_band = band
    profile.postcode = code
    profile.job_seeking = job
    for flag in FLAGS:
        setattr(profile, flag, flag in chosen)
    profile.updated_at = clock.now()
    profile.save()
    # The log says that the profile changed, never what is in it.
    audit_record(
        actor=actor,
        verb="monitoring.profile_saved",
        obj=person,
        data={"created": created},
    )
    return profile


@transaction.atomic
def profile_withdraw(*, actor: Actor, person_id: int) -> None:
    """The person no longer wants to be counted per target group: the consent is withdrawn
    and the profile removed."""
    actor.require("people.manage")
    person = get_scoped(Person, actor.community, for_update=True, pk=person_id)
    person_record_consent(
        actor=actor, person_id=person.pk, kind=ConsentKind.PROFILE_STATISTICS, granted=False
    )
    scoped(Profile, actor.community).filter(person=person).delete()
    audit_record(actor=actor, verb="monitoring.profile_removed", obj=person)


# --- the community's figures per group --------------------------------------------------------


def group_figures(*, actor: Actor) -> dict[str, GroupFigure]:
    """Each target group's figure (an unsaved default of 10 % and no population if none)."""
    actor.require("monitoring.view")
    found = {f.group: f for f in scoped(GroupFigure, actor.community)}
    return {
        key: found.get(key)
        or GroupFigure(
            community=actor.community,
            group=key,
            population=None,
            ambition_percent=DEFAULT_AMBITION,
        )
        for key in TargetGroup.values
    }


@transaction.atomic
def group_figures_save(
    *, actor: Actor, figures: dict[str, tuple[int | None, int]]
) -> list[GroupFigure]:
    """Set the population and the ambition (%) of target groups: {group: (population, %)}."""
    actor.require("monitoring.manage")
    saved = []
    for group, (population, ambition) in figures.items():
        if group not in TargetGroup.values:
            msg = _("Unknown target group: %(group)s.") % {"group": group}
            raise ValidationFailed(msg, fields={"group": msg})
        if population is not None and not 0 <= population <= 10_000_000:
            msg = _("Give a number of residents from 0 to 10,000,000.")
            raise ValidationFailed(msg, fields={f"{group}_population": msg})
        if not 0 <= ambition <= 100:
            msg = _("Give a share from 0 to 100 %.")
            raise ValidationFailed(msg, fields={f"{group}_ambition": msg})
        figure, _created = GroupFigure.objects.update_or_create(
            community=actor.community,
            group=group,
            defaults={"population": population, "ambition_percent": ambition},
        )
        saved.append(figure)
    audit_record(
        actor=actor, verb="monitoring.group_figures_saved", data={"groups": sorted(figures)}
    )
    return saved


# --- reach -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupReach:
    group: str
    label: str
    people: int
    population: int | None
    ambition_percent: int

    @property
    def suppressed(self) -> bool:
        return 0 < self.people < SMALL

    @property
    def shown(self) -> str:
        return f"< {SMALL}" if self.suppressed else str(self.people)

    @property
    def ambition_people(self) -> int | None:
        if self.population is None:
            return None
        return -(-self.population * self.ambition_percent // 100)  # rounded up

    @property
    def share_of_population(self) -> float | None:
        """Per cent of the group's residents reached (None when suppressed or unknown)."""
        if not self.population or self.suppressed:
            return None
        return round(100 * self.people / self.population, 1)

    @property
    def share_of_ambition(self) -> int | None:
        if not self.ambition_people or self.suppressed:
            return None
        return round(100 * self.people / self.ambition_people)


@dataclass(frozen=True)
class Reach:
    first: date
    after: date
    people: int  # unique people reached across the modules
    profiled: int  # of whom with a counted profile
    groups: list[GroupReach]
    indicators: list[str]  # the indicators that reach people, of the modules switched on

    @property
    def people_shown(self) -> str:
        return f"< {SMALL}" if 0 < self.people < SMALL else str(self.people)

    @property
    def profiled_shown(self) -> str:
        return f"< {SMALL}" if 0 < self.profiled < SMALL else str(self.profiled)


def reached_ids(*, community: Any, first: date, after: date) -> QuerySet[Any]:
    """The ids of the people any module reached in the months [first, after)."""
    keys = [i.key for i in indicators_of(community.enabled_modules or []) if i.reaches_people]
    return (
        scoped(IndicatorSubject, community)
        .filter(indicator__in=keys, breakdown="", month__gte=first, month__lt=after)
        .values("subject_id")
    )


def reach(*, actor: Actor, first: date, last: date) -> Reach:
    """Unique people reached across the modules in the months ``first``..``last``, per target
    group (consented profiles only), against the community's figures."""
    actor.require("monitoring.view")
    start, after = month_range(first, last)
    community = actor.community
    keys = [i.key for i in indicators_of(community.enabled_modules or []) if i.reaches_people]
    reached = reached_ids(community=community, first=start, after=after)
    people = reached.aggregate(n=Count("subject_id", distinct=True))["n"] or 0
    profiles = counted_profiles(community).filter(person_id__in=reached.distinct())
    counts = profiles.aggregate(
        _all=Count("pk"), **{g: Count("pk", filter=q) for g, q in GROUP_Q.items()}
    )
    figures = group_figures(actor=actor)
    groups = [
        GroupReach(
            group=key,
            label=str(label),
            people=int(counts[key] or 0),
            population=figures[key].population,
            ambition_percent=figures[key].ambition_percent,
        )
        for key, label in TargetGroup.choices
    ]
    return Reach(start, after, int(people), int(counts["_all"] or 0), groups, keys)


# --- the digital track -----------------------------------------------------------------------


@dataclass(frozen=True)
class TrackLine:
    at: datetime
    module: str
    module_name: str
    what: str
    detail: str


def track(*, actor: Actor, person_id: int) -> tuple[Person, list[TrackLine]]:
    """What every module switched on here did with one person, oldest first."""
    actor.require("monitoring.track")
    person = get_scoped(Person, actor.community, pk=person_id)
    lines: list[TrackLine] = []
    for module, provider in TRACK_PROVIDERS.values():
        if module not in MODULES or not actor.community.has_module(module):
            continue
        for event in provider(actor.community.pk, person.pk):
            lines.append(_line(event))
    lines.sort(key=lambda line: line.at)
    return person, lines


def _line(event: TrackEvent) -> TrackLine:
    module = MODULES.get(event.module)
    return TrackLine(
        event.at,
        event.module,
        str(module.name) if module else event.module,
        str(event.what),
        event.detail,
    )
