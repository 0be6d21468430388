"""Reads of Buurbel's matching side."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.scoping import get_scoped
from buurtkit.neighbours import announcements, checks, costs, dashboard, rules
from buurtkit.neighbours.announcements import Prompt as Prompt  # returned by announcements_current
from buurtkit.neighbours.models import (
    INTRO_CLOSED,
    Announcement,
    CallSettings,
    Introduction,
    Match,
    MatchRun,
    Participant,
    ProposedPair,
    RuleVersion,
)
from buurtkit.people.models import Organisation
from buurtkit.telephony.models import Call, Price


def participants(*, actor: Actor) -> QuerySet[Participant]:
    actor.require("neighbours.view")
    return Participant.objects.in_community(actor.community).select_related("person")


def rule_versions(*, actor: Actor) -> QuerySet[RuleVersion]:
    actor.require("neighbours.view")
    return RuleVersion.objects.in_community(actor.community).order_by("-number")


def rule_version_get(*, actor: Actor, version_id: int) -> RuleVersion:
    actor.require("neighbours.view")
    return get_scoped(RuleVersion, actor.community, pk=version_id)


def match_runs(*, actor: Actor) -> QuerySet[MatchRun]:
    actor.require("neighbours.view")
    return MatchRun.objects.in_community(actor.community).select_related("rule_version")


def match_run_get(*, actor: Actor, run_id: int) -> MatchRun:
    actor.require("neighbours.view")
    return get_scoped(MatchRun, actor.community, pk=run_id)


def proposed_pairs(*, actor: Actor, run_id: int) -> QuerySet[ProposedPair]:
    """The pairs of one run, best first, each with its explanation."""
    run = match_run_get(actor=actor, run_id=run_id)
    return (
        ProposedPair.objects.in_community(actor.community).filter(run=run).order_by("-score", "id")
    )


# --- announcements --------------------------------------------------------------------------


def announcements_current(
    *, community_id: int, neighbourhood: str, on: dt.date, outbound: bool, language: str
) -> list[Prompt]:
    """The announcements a call plays on ``on`` for someone in ``neighbourhood``: active, for
    everybody or that neighbourhood, (``outbound``: only those for introduction calls); newest
    first, at most three; each in ``language`` (else the community's default, else any)."""
    return announcements.current(
        community_id=community_id,
        neighbourhood=neighbourhood,
        on=on,
        outbound=outbound,
        language=language,
    )


def announcements_list(
    *, actor: Actor, q: str = "", when: str = "", on: dt.date | None = None
) -> QuerySet[Announcement]:
    """Staff's list: search ``q``; ``when`` is current, upcoming, past or inactive."""
    return announcements.listing(actor=actor, q=q, when=when, on=on)


def announcement_get(*, actor: Actor, announcement_id: int) -> Announcement:
    return announcements.get(actor=actor, announcement_id=announcement_id)


def announcement_preview(*, actor: Actor, announcement: Announcement) -> dict[str, Prompt | None]:
    """Per language: what a caller hears (a recording, else the text; with fallbacks)."""
    return announcements.preview(actor=actor, announcement=announcement)


# --- rules and matching runs (staff pages and API) ---------------------------------------------


def rule_version_test_results(*, actor: Actor, version_id: int) -> list[dict[str, Any]]:
    """Run a saved version's test cases: one result per case (passed, what was found, why)."""
    return checks.rule_version_results(rule_version_get(actor=actor, version_id=version_id))


def rule_version_try(
    *,
    actor: Actor,
    eligibility: list[dict[str, Any]],
    weights: list[dict[str, Any]],
    test_cases: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Run test cases against rules as typed, without saving anything (the editor's "try")."""
    actor.require("neighbours.view")
    elig, wts = rules.clean_rules(eligibility, weights)
    cases = checks.clean_test_cases(test_cases)
    unsaved = RuleVersion(
        community=actor.community, number=0, eligibility=elig, weights=wts, test_cases=cases
    )
    return checks.rule_version_results(unsaved)


def proposed_pairs_search(*, actor: Actor, run_id: int, q: str = "") -> QuerySet[ProposedPair]:
    """A run's pairs, best first, with both people; ``q`` finds a participant by name."""
    from django.db.models import Q

    pairs = proposed_pairs(actor=actor, run_id=run_id).select_related(
        "participant_a__person", "participant_b__person"
    )
    for word in q.split()[:5]:
        pairs = pairs.filter(
            Q(participant_a__person__first_name__icontains=word)
            | Q(participant_a__person__last_name__icontains=word)
            | Q(participant_b__person__first_name__icontains=word)
            | Q(participant_b__person__last_name__icontains=word)
        )
    return pairs


# --- costs and dashboard --------------------------------------------------------------------


def cost_projection(*, actor: Actor, **inputs: Any) -> costs.Projection:
    """The yearly telephony cost of Buurbel for a municipality (``neighbours.costs``), priced
    with this community's table of ``inputs["provider"]`` (default twilio). Missing inputs take
    their defaults; wrong ones raise ``ValidationFailed`` with a message per field."""
    actor.require("neighbours.view")
    parsed = costs.parse_inputs(inputs)
    prices, free = dashboard.price_map(community=actor.community, provider=parsed.provider)
    return costs.project(parsed, prices, free)


def call_settings(community_id: int) -> CallSettings:
    """This community's call settings (the defaults, unsaved, until someone changes them)."""
    row = CallSettings.objects.filter(community_id=community_id).first()
    return row or CallSettings(community_id=community_id)


def dashboard_weeks(*, actor: Actor, weeks: int = 8) -> dashboard.Dashboard:
    """Buurbel per week: participants, calls and answer rate, introductions, meetings, costs."""
    actor.require("neighbours.view")
    if not 1 <= weeks <= dashboard.MAX_WEEKS:
        message = _("Choose from 1 to %(n)d weeks.") % {"n": dashboard.MAX_WEEKS}
        raise ValidationFailed(message, fields={"weeks": message})
    return dashboard.weekly(community=actor.community, weeks=weeks)


def price_tables(*, actor: Actor) -> list[dashboard.Table]:
    """The telephony price tables, every item (seeded defaults for what is not stored yet)."""
    actor.require("neighbours.view")
    return dashboard.price_tables(community=actor.community)


def price_get(*, actor: Actor, price_id: int) -> Price:
    """One stored price, to change it (so the permission to change prices is checked first)."""
    actor.require("telephony.prices")
    return get_scoped(Price, actor.community, pk=price_id)


def actual_costs(*, actor: Actor, months: int = 12) -> list[dashboard.Month]:
    """Per month: Buurbel's calls with their real cost, and text messages × the SMS price."""
    actor.require("neighbours.view")
    prices, _free = dashboard.price_map(
        community=actor.community, provider=settings.TELEPHONY_PROVIDER
    )
    return dashboard.actual_by_month(
        community=actor.community, months=months, sms_price_micros=prices.get("sms", 0)
    )


# --- introductions by phone -----------------------------------------------------------------


def matches(*, actor: Actor, state: str = "", q: str = "") -> QuerySet[Match]:
    """Introductions by phone, newest first; ``state`` filters, ``q`` searches both names."""
    actor.require("neighbours.view")
    qs = Match.objects.in_community(actor.community).select_related(
        "participant_a__person", "participant_b__person"
    )
    if state == "open":
        qs = qs.exclude(state__in=INTRO_CLOSED)
    elif state:
        qs = qs.filter(state=state)
    for word in q.split()[:4]:
        qs = qs.filter(
            Q(participant_a__person__first_name__icontains=word)
            | Q(participant_a__person__last_name__icontains=word)
            | Q(participant_b__person__first_name__icontains=word)
            | Q(participant_b__person__last_name__icontains=word)
        )
    return qs.order_by("-created_at", "-id")


def match_counts(*, actor: Actor) -> dict[str, int]:
    actor.require("neighbours.view")
    rows = (
        Match.objects.in_community(actor.community)
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {state: n for state, n in rows}


def match_get(*, actor: Actor, match_id: int) -> Match:
    actor.require("neighbours.view")
    return get_scoped(Match, actor.community, pk=match_id)


def match_history(*, actor: Actor, match: Match) -> QuerySet[Introduction]:
    actor.require("neighbours.view")
    return (
        Introduction.objects.in_community(actor.community).filter(match=match).order_by("at", "id")
    )


def match_calls(*, actor: Actor, match: Match) -> QuerySet[Call]:
    """The calls of an introduction, oldest first, with their events."""
    actor.require("neighbours.view")
    return (
        Call.objects.in_community(actor.community)
        .filter(subject_type="neighbours.match", subject_id=match.pk)
        .prefetch_related("events")
        .order_by("created_at", "id")
    )


def callbacks(*, actor: Actor) -> dict[str, Any]:
    """Who asked on the inbound line to be called back or introduced, newest first."""
    actor.require("neighbours.view")
    calls = (
        Call.objects.in_community(actor.community)
        .filter(direction="in", purpose__startswith="buurbel.", flow_state__callback=True)
        .order_by("-created_at", "-id")[:100]
    )
    wanting = (
        Participant.objects.in_community(actor.community)
        .filter(wants_intro_at__isnull=False, opted_out_at__isnull=True)
        .select_related("person")
        .order_by("-wants_intro_at")[:100]
    )
    return {"calls": list(calls), "participants": list(wanting)}


# --- participants and verification ---------------------------------------------------------

PARTICIPANT_FILTERS = ("verified", "unverified", "opted_out")


def participant_callable(participant: Participant) -> bool:
    """Buurbel may call this participant: active, consented, not opted out, and the phone
    verified for the person's *current* number (a changed number must be verified again)."""
    from buurtkit.neighbours import verification

    return verification.is_callable(participant)


def participant_verified(participant: Participant) -> bool:
    """The person's current phone number is verified (by a code or in person)."""
    from buurtkit.neighbours import verification

    return verification.is_verified(participant)


def callable_participants(community_id: int) -> QuerySet[Participant]:
    """The participants of a community Buurbel may call (for the scheduler and matching)."""
    from buurtkit.neighbours import verification

    return verification.callable_filter(
        Participant.objects.in_community(community_id).select_related("person")
    )


def participants_search(
    *, actor: Actor, q: str = "", status: str = "", organisation_id: int | None = None
) -> QuerySet[Participant]:
    """Participants by name, phone or neighbourhood; ``status``: verified, unverified,
    opted_out or follow_up (staff's follow-up list); ``organisation_id``: registered by that
    partner. Each is annotated with ``verified_phone`` and ``is_verified``."""
    from django.db.models import BooleanField, Case, When

    from buurtkit.neighbours import verification

    actor.require("neighbours.view")
    qs = verification.with_verified_phone(
        Participant.objects.in_community(actor.community).select_related("person", "organisation")
    ).annotate(
        is_verified=Case(
            When(verification.verified_q(), then=True), default=False, output_field=BooleanField()
        )
    )
    for word in q.split()[:4]:
        digits = "".join(ch for ch in word if ch.isdigit())
        cond = (
            Q(person__first_name__icontains=word)
            | Q(person__last_name__icontains=word)
            | Q(neighbourhood__icontains=word)
        )
        if len(digits) >= 3:
            cond |= Q(person__phone__contains=digits.lstrip("0"))
        qs = qs.filter(cond)
    if status == "verified":
        qs = qs.filter(is_verified=True, opted_out_at__isnull=True)
    elif status == "unverified":
        qs = qs.filter(is_verified=False, opted_out_at__isnull=True)
    elif status == "opted_out":
        qs = qs.filter(opted_out_at__isnull=False)
    elif status == "follow_up":
        qs = qs.filter(needs_follow_up=True, opted_out_at__isnull=True)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return qs.order_by("person__last_name", "person__first_name", "id")


def partners(*, actor: Actor) -> QuerySet[Organisation]:
    """The organisations of this community that can register participants (active ones)."""
    actor.require("neighbours.view")
    return Organisation.objects.in_community(actor.community).filter(active=True).order_by("name")


def partner_figures(*, actor: Actor) -> list[dict[str, Any]]:
    """Per partner that registered participants: how many, how many can be called, need
    follow-up, were introduced by phone (an introduction started) and met."""
    from buurtkit.neighbours import verification

    actor.require("neighbours.view")
    base = Participant.objects.in_community(actor.community).filter(organisation__isnull=False)
    rows = {
        r["organisation_id"]: {**r, "callable": 0}
        for r in base.values("organisation_id", "organisation__name")
        .annotate(
            participants=Count("id"),
            follow_up=Count("id", filter=Q(needs_follow_up=True, opted_out_at__isnull=True)),
        )
        .order_by("organisation__name")
    }
    for r in verification.callable_filter(base).values("organisation_id").annotate(n=Count("id")):
        rows[r["organisation_id"]]["callable"] = r["n"]
    matches = Match.objects.in_community(actor.community)
    for field in ("participant_a", "participant_b"):
        for r in (
            matches.filter(**{f"{field}__organisation__isnull": False})
            .values(f"{field}__organisation_id")
            .annotate(n=Count("id"), met=Count("id", filter=Q(met=True)))
        ):
            row = rows[r[f"{field}__organisation_id"]]
            row["introduced"] = row.get("introduced", 0) + r["n"]
            row["met"] = row.get("met", 0) + r["met"]
    return [
        {
            "id": key,
            "name": r["organisation__name"],
            "participants": r["participants"],
            "callable": r["callable"],
            "follow_up": r["follow_up"],
            "introduced": r.get("introduced", 0),
            "met": r.get("met", 0),
        }
        for key, r in rows.items()
    ]


def participant_get(*, actor: Actor, participant_id: int) -> Participant:
    """One participant: staff with ``neighbours.view``, or the resident themself."""
    participant = get_scoped(Participant, actor.community, pk=participant_id)
    if actor.person_id != participant.person_id:
        actor.require("neighbours.view")
    return participant


def participant_of_person(*, actor: Actor, person_id: int) -> Participant | None:
    """The participant row of a person (a resident looks up their own)."""
    if actor.person_id != person_id:
        actor.require("neighbours.view")
    return (
        Participant.objects.in_community(actor.community)
        .select_related("person")
        .filter(person_id=person_id)
        .first()
    )


def participant_verifications(*, actor: Actor, participant: Participant) -> QuerySet[Any]:
    """The codes sent (and in-person checks), newest first."""
    from buurtkit.neighbours.models import PhoneVerification

    if actor.person_id != participant.person_id:
        actor.require("neighbours.view")
    return PhoneVerification.objects.in_community(actor.community).filter(participant=participant)


def participant_open_code(*, actor: Actor, participant: Participant) -> Any:
    """The code waiting to be typed in (not expired, not used up), or None."""
    from buurtkit.neighbours import verification

    if actor.person_id != participant.person_id:
        actor.require("neighbours.view")
    return verification.latest_open(participant)


def participant_introductions(*, actor: Actor, participant: Participant) -> QuerySet[Introduction]:
    """The participant's introduction history (both sides of every pair), newest first."""
    actor.require("neighbours.view")
    return (
        Introduction.objects.in_community(actor.community)
        .filter(Q(participant_a=participant) | Q(participant_b=participant))
        .select_related("participant_a__person", "participant_b__person")
        .order_by("-at", "-id")
    )


def participant_calls(*, actor: Actor, participant: Participant) -> QuerySet[Call]:
    """Calls with this participant: about their codes or introductions, or to/from their
    number (current or verified before), newest first."""
    from buurtkit.neighbours.models import PhoneVerification

    actor.require("neighbours.view")
    numbers = {participant.person.phone} | set(
        PhoneVerification.objects.filter(participant=participant).values_list("phone", flat=True)
    )
    numbers.discard("")
    verification_ids = PhoneVerification.objects.filter(participant=participant).values("pk")
    match_ids = (
        Match.objects.in_community(actor.community)
        .filter(Q(participant_a=participant) | Q(participant_b=participant))
        .values("pk")
    )
    return (
        Call.objects.in_community(actor.community)
        .filter(
            Q(subject_type="neighbours.phoneverification", subject_id__in=verification_ids)
            | Q(subject_type="neighbours.match", subject_id__in=match_ids)
            | Q(to_number__in=numbers)
            | Q(from_number__in=numbers)
        )
        .order_by("-created_at", "-id")
    )


# --- partners: their own participants; the staff's follow-up list --------------------------

#: What a partner's list filters on.
PARTNER_STATUSES = ("waiting", "introduced", "not_verified", "follow_up", "opted_out")


def partner_scope(actor: Actor, *, write: bool = False) -> list[int] | None:
    """The organisations whose participants ``actor`` follows as a partner: its own (a
    partner's login), or ``None`` = every one (staff who may see all Buurbel participants,
    or, for a change, manage them)."""
    from buurtkit.core.errors import PermissionDenied

    actor.require("neighbours.refer")
    if actor.has("neighbours.manage" if write else "neighbours.view"):
        return None
    if not actor.organisation_ids:
        raise PermissionDenied(
            _("Your login is not linked to a partner organisation. Ask a coordinator."),
            code="permission_denied",
        )
    return sorted(actor.organisation_ids)


def _with_partner_view(qs: QuerySet[Participant]) -> QuerySet[Participant]:
    """Annotate what a partner sees of each participant's way through Buurbel: number
    verified, introductions (how many, the latest one's state), Buurbel calls with their
    number and the last answered one (``last_contact``). Nothing about the other neighbours."""
    from django.db.models import BooleanField, Case, IntegerField, OuterRef, Subquery, When
    from django.db.models.functions import Coalesce

    from buurtkit.neighbours import verification

    pair = Q(participant_a=OuterRef("pk")) | Q(participant_b=OuterRef("pk"))
    matches = Match.objects.filter(pair).order_by()
    own_number = Q(to_number=OuterRef("person__phone")) | Q(from_number=OuterRef("person__phone"))
    calls = Call.objects.filter(
        own_number, community_id=OuterRef("community_id"), purpose__startswith="buurbel"
    ).order_by()
    return verification.with_verified_phone(qs).annotate(
        is_verified=Case(
            When(verification.verified_q(), then=True), default=False, output_field=BooleanField()
        ),
        introductions=Coalesce(
            Subquery(
                matches.values("community_id").annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        ),
        latest_state=Subquery(matches.order_by("-created_at", "-pk").values("state")[:1]),
        calls=Coalesce(
            Subquery(
                calls.values("community_id").annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        ),
        last_contact=Subquery(
            calls.filter(answered_at__isnull=False)
            .order_by("-answered_at")
            .values("answered_at")[:1]
        ),
    )


def partner_participants(*, actor: Actor, q: str = "", status: str = "") -> QuerySet[Participant]:
    """A partner's own participants (staff: every partner's), by name, phone or
    neighbourhood; ``status`` one of :data:`PARTNER_STATUSES`. Annotated as
    :func:`_with_partner_view` says."""
    if status and status not in PARTNER_STATUSES:
        msg = _("Choose one of: %(choices)s.") % {"choices": ", ".join(PARTNER_STATUSES)}
        raise ValidationFailed(msg, fields={"status": msg})
    scope = partner_scope(actor)
    qs: QuerySet[Participant] = Participant.objects.in_community(actor.community).select_related(
        "person", "organisation"
    )
    if scope is not None:
        qs = qs.filter(organisation_id__in=scope)
    for word in q.split()[:4]:
        digits = "".join(ch for ch in word if ch.isdigit())
        cond = (
            Q(person__first_name__icontains=word)
            | Q(person__last_name__icontains=word)
            | Q(neighbourhood__icontains=word)
        )
        if len(digits) >= 3:
            cond |= Q(person__phone__contains=digits.lstrip("0"))
        qs = qs.filter(cond)
    qs = _with_partner_view(qs)
    live = Q(opted_out_at__isnull=True)
    if status == "opted_out":
        qs = qs.filter(opted_out_at__isnull=False)
    elif status == "follow_up":
        qs = qs.filter(live, needs_follow_up=True)
    elif status == "not_verified":
        qs = qs.filter(live, Q(is_verified=False, introductions=0))
    elif status == "waiting":
        qs = qs.filter(live, Q(is_verified=True, introductions=0))
    elif status == "introduced":
        qs = qs.filter(live, Q(introductions__gt=0))
    return qs.order_by("person__last_name", "person__first_name", "id")


def partner_state(participant: Participant) -> str:
    """Where a participant annotated by :func:`_with_partner_view` stands: opted_out,
    not_verified, waiting (for a match) or introduced."""
    if participant.opted_out_at:
        return "opted_out"
    if getattr(participant, "introductions", 0):
        return "introduced"
    return "waiting" if getattr(participant, "is_verified", False) else "not_verified"


def partner_participant_reach(
    *, actor: Actor, participant_id: int, write: bool = False, for_update: bool = False
) -> Participant:
    """One participant as a partner may reach it: its own organisation's (another
    organisation's is simply not found, like a wrong id); staff any."""
    from buurtkit.core.errors import NotFound

    scope = partner_scope(actor, write=write)
    participant = get_scoped(Participant, actor.community, for_update=for_update, pk=participant_id)
    if scope is not None and participant.organisation_id not in scope:
        thing = str(Participant._meta.verbose_name).capitalize()
        raise NotFound(_("%(thing)s not found.") % {"thing": thing})
    return participant


def partner_participant_get(*, actor: Actor, participant_id: int) -> Participant:
    """One of a partner's participants with the partner's view (:func:`_with_partner_view`)."""
    participant = partner_participant_reach(actor=actor, participant_id=participant_id)
    return (
        _with_partner_view(Participant.objects.filter(pk=participant.pk))
        .select_related("person", "organisation")
        .get()
    )


def partner_introductions(*, actor: Actor, participant: Participant) -> list[dict[str, Any]]:
    """A participant's introductions as their partner sees them: when, how far it got,
    whether they met and would meet again; never who the other neighbour is."""
    partner_participant_reach(actor=actor, participant_id=participant.pk)
    rows = (
        Match.objects.in_community(actor.community)
        .filter(Q(participant_a=participant) | Q(participant_b=participant))
        .order_by("-created_at", "-pk")
        .values("pk", "created_at", "state", "state_changed_at", "met", "again")
    )
    return [
        {
            "id": r["pk"],
            "started_at": r["created_at"],
            "state": r["state"],
            "changed_at": r["state_changed_at"],
            "met": r["met"],
            "again": r["again"],
        }
        for r in rows
    ]


def follow_up_list(*, actor: Actor, organisation_id: int | None = None) -> QuerySet[Participant]:
    """The staff's follow-up list: participants marked "needs follow-up" who did not opt out,
    of one partner or all, with the last answered Buurbel call (``last_contact``); those not
    reached for longest (or never) first."""
    from django.db.models import F

    actor.require("neighbours.view")
    qs = Participant.objects.in_community(actor.community).filter(
        needs_follow_up=True, opted_out_at__isnull=True
    )
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return (
        _with_partner_view(qs)
        .select_related("person", "organisation")
        .order_by(F("last_contact").asc(nulls_first=True), "person__last_name", "id")
    )
