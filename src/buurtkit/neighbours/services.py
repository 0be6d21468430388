"""Every write of Buurbel's matching side: participants, rule versions, matching runs."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.scoping import get_scoped
from buurtkit.neighbours import announcements, matching, rules
from buurtkit.neighbours import facts as facts_mod
from buurtkit.neighbours.checks import (
    _invalid,
    clean_profile,
    clean_test_cases,
    rule_version_results,
)
from buurtkit.neighbours.models import (
    Announcement,
    CallSettings,
    Introduction,
    Match,
    MatchRun,
    Outcome,
    Participant,
    PhoneVerification,
    ProposedPair,
    RuleStatus,
    RuleVersion,
)
from buurtkit.people.models import Organisation, Person
from buurtkit.people.phones import normalise_phone

# --- participants ------------------------------------------------------------------------


@transaction.atomic
def participant_register(
    *,
    actor: Actor,
    person_id: int,
    consent: bool,
    organisation_id: int | None = None,
    needs_follow_up: bool = False,
    follow_up_note: str = "",
    **profile: Any,
) -> Participant:
    """Register a resident for Buurbel. Needs a valid phone number and the resident's consent.

    ``organisation_id``: the partner who registers them (default: the one organisation of the
    login registering them, if it has exactly one), so the partner's figures count them.
    ``needs_follow_up`` puts a vulnerable participant on the staff's follow-up list.
    """
    person = get_scoped(Person, actor.community, for_update=True, pk=person_id)
    if actor.person_id != person.pk:
        actor.require("neighbours.manage")
    if not consent:
        raise _invalid("consent", _("Buurbel can only call someone who agrees to it."))
    if person.anonymised_at:
        raise Conflict(_("This person has been anonymised and can no longer be changed."))
    if not person.phone:
        raise _invalid("phone", _("Buurbel needs a phone number to call."))
    normalise_phone(person.phone)  # refuses a number that is not a real one
    if Participant.objects.in_community(actor.community).filter(person=person).exists():
        raise Conflict(_("This person already takes part in Buurbel."), code="already_registered")
    values = clean_profile(profile)
    if organisation_id is not None or needs_follow_up or follow_up_note:
        actor.require("neighbours.manage")  # staff record these, not the resident
    if organisation_id is None and len(actor.organisation_ids) == 1:
        (organisation_id,) = actor.organisation_ids
    participant = Participant.objects.create(
        community=actor.community,
        person=person,
        consent_at=clock.now(),
        organisation=_partner(actor, organisation_id),
        needs_follow_up=bool(needs_follow_up),
        follow_up_note=_note(follow_up_note),
        **values,
    )
    audit_record(actor=actor, verb="neighbours.participant_registered", obj=participant)
    return participant


# --- partners: registering and following up their own people ------------------------------


def _registering_partner(actor: Actor, organisation_id: int | None) -> Organisation | None:
    """The partner a registration is for. A partner's login registers for its own
    organisation (never another one); staff (``neighbours.manage``) may name any partner, or
    none (then their login's one organisation, if it has exactly one)."""
    own = sorted(actor.organisation_ids)
    if actor.has("neighbours.manage"):
        if organisation_id is None and len(own) == 1:
            (organisation_id,) = own  # like participant_register: the login's one partner
        return _partner(actor, organisation_id)
    if not own:
        raise PermissionDenied(
            _("Your login is not linked to a partner organisation. Ask a coordinator."),
            code="permission_denied",
        )
    if organisation_id is None:
        if len(own) > 1:
            raise _invalid("organisation_id", _("Choose the organisation you register for."))
        organisation_id = own[0]
    if organisation_id not in own:
        raise PermissionDenied(
            _("You can only register people for your own organisation."),
            code="permission_denied",
        )
    return get_scoped(Organisation, actor.community, pk=organisation_id)


@transaction.atomic
def partner_participant_register(
    *,
    actor: Actor,
    first_name: str,
    last_name: str = "",
    phone: str,
    consent: bool,
    organisation_id: int | None = None,
    needs_follow_up: bool = False,
    follow_up_note: str = "",
    idempotency_key: str | None = None,
    **profile: Any,
) -> Participant:
    """A partner (``neighbours.refer``) registers a resident it helps: the person and their
    Buurbel profile in one step, for the partner's own organisation. Another resident with
    the same name and number is not looked up (registering tells nothing about who else is
    known). A retry with the same ``idempotency_key`` answers the first registration."""
    actor.require("neighbours.refer")
    organisation = _registering_partner(actor, organisation_id)
    if not consent:
        raise _invalid("consent", _("Buurbel can only call someone who agrees to it."))
    values = clean_profile(profile)
    note = _note(follow_up_note)
    if needs_follow_up and not note:
        raise _invalid("follow_up_note", _("Say in a few words why someone should check on them."))
    names = {"first_name": str(first_name or "").strip(), "last_name": str(last_name or "").strip()}
    if not names["first_name"]:
        raise _invalid("first_name", _("Give the resident's first name."))
    if not str(phone or "").strip():
        raise _invalid("phone", _("Buurbel needs a phone number to call."))
    key = clean_key(idempotency_key, required=False)
    request_hash = fingerprint(
        {
            **names,
            "phone": phone,
            "organisation": organisation.pk if organisation else None,
            "follow_up": [bool(needs_follow_up), note],
            "profile": values,
        }
    )

    def create() -> Participant:
        from buurtkit.people.services import person_create

        # The partner may register this one person (not change or read others): the right
        # is lent for this call only.
        registering = replace(actor, permissions=actor.permissions | {"people.manage"})
        person = person_create(
            actor=registering,
            consents={"data_processing": True},
            allow_duplicate=True,
            phone=phone,
            preferred_language=values["language"],
            **names,
        )
        participant = Participant.objects.create(
            community=actor.community,
            person=person,
            consent_at=clock.now(),
            organisation=organisation,
            needs_follow_up=bool(needs_follow_up),
            follow_up_note=note if needs_follow_up else "",
            idempotency_key=key,
            request_hash=request_hash,
            **values,
        )
        audit_record(
            actor=actor,
            verb="neighbours.participant_registered",
            obj=participant,
            data={"organisation": organisation.pk if organisation else None, "by_partner": True},
        )
        return participant

    if not key:
        return create()
    return run_once(
        queryset=Participant.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request_hash),
        create=create,
        conflict=_("This idempotency key was used for another registration."),
    )


def _set_follow_up(
    actor: Actor, participant: Participant, needs_follow_up: bool, note: str
) -> Participant:
    note = _note(note)
    if needs_follow_up and not note:
        raise _invalid("note", _("Say in a few words why someone should check on them."))
    before = participant.needs_follow_up
    participant.needs_follow_up = bool(needs_follow_up)
    participant.follow_up_note = note if needs_follow_up else ""
    participant.save(update_fields=["needs_follow_up", "follow_up_note", "updated_at"])
    audit_record(
        actor=actor,
        verb="neighbours.follow_up_set" if needs_follow_up else "neighbours.follow_up_done",
        obj=participant,
        data={"before": before, "after": bool(needs_follow_up)},
    )
    return participant


@transaction.atomic
def participant_follow_up(
    *, actor: Actor, participant_id: int, needs_follow_up: bool, note: str = ""
) -> Participant:
    """Staff (``neighbours.manage``) put a participant on the follow-up list (with a short
    note: why) or take them off it when they checked on them ("done"; the note goes)."""
    actor.require("neighbours.manage")
    participant = get_scoped(Participant, actor.community, for_update=True, pk=participant_id)
    return _set_follow_up(actor, participant, needs_follow_up, note)


@transaction.atomic
def partner_follow_up(
    *, actor: Actor, participant_id: int, needs_follow_up: bool, note: str = ""
) -> Participant:
    """A partner marks one of its own participants as needing follow-up (with a note), or
    unmarks them. Another organisation's participant is not found."""
    from buurtkit.neighbours.selectors import partner_participant_reach

    actor.require("neighbours.refer")
    participant = partner_participant_reach(
        actor=actor, participant_id=participant_id, write=True, for_update=True
    )
    return _set_follow_up(actor, participant, needs_follow_up, note)


def _partner(actor: Actor, organisation_id: int | None) -> Organisation | None:
    if organisation_id is None:
        return None
    try:
        return get_scoped(Organisation, actor.community, pk=organisation_id)
    except NotFound:
        raise _invalid("organisation_id", _("Choose one of the partners.")) from None


def _note(text: str) -> str:
    note = " ".join(str(text or "").split())
    if len(note) > 200:
        raise _invalid("follow_up_note", _("Use at most 200 characters."))
    return note


UNSET: Any = object()


@transaction.atomic
def participant_update(
    *,
    actor: Actor,
    participant_id: int,
    organisation_id: Any = UNSET,
    needs_follow_up: Any = UNSET,
    follow_up_note: Any = UNSET,
    **profile: Any,
) -> Participant:
    """Change a participant's profile; the partner and the follow-up flag only by staff."""
    participant = get_scoped(Participant, actor.community, for_update=True, pk=participant_id)
    if actor.person_id != participant.person_id:
        actor.require("neighbours.manage")
    current = {k: getattr(participant, k) for k in clean_profile({})}
    values = clean_profile({**current, **profile})
    for key, value in values.items():
        setattr(participant, key, value)
    staff_fields = {
        "organisation_id": organisation_id,
        "needs_follow_up": needs_follow_up,
        "follow_up_note": follow_up_note,
    }
    staff_changes = {k: v for k, v in staff_fields.items() if v is not UNSET}
    if staff_changes:
        actor.require("neighbours.manage")  # not a participant's own choice
    if "organisation_id" in staff_changes:
        participant.organisation = _partner(actor, staff_changes["organisation_id"])
    if "needs_follow_up" in staff_changes:
        participant.needs_follow_up = bool(staff_changes["needs_follow_up"])
    if "follow_up_note" in staff_changes:
        participant.follow_up_note = _note(staff_changes["follow_up_note"])
    participant.save()
    profile = {**profile, **staff_changes}
    audit_record(
        actor=actor,
        verb="neighbours.participant_updated",
        obj=participant,
        data={"fields": sorted(profile)},
    )
    return participant


@transaction.atomic
def participant_mark_verified(*, actor: Actor, participant_id: int) -> Participant:
    """Staff checked the phone number in person: verified for the current number (kept)."""
    from buurtkit.neighbours import verification

    actor.require("neighbours.manage")
    participant = get_scoped(Participant, actor.community, for_update=True, pk=participant_id)
    row = verification.record_in_person(actor=actor, participant=participant)
    participant.phone_verified_at = row.verified_at
    participant.save(update_fields=["phone_verified_at", "updated_at"])
    audit_record(
        actor=actor,
        verb="neighbours.phone_verified",
        obj=participant,
        data={"channel": "in_person", "verification": row.pk},
    )
    return participant


@transaction.atomic
def participant_opt_out(*, actor: Actor, participant_id: int) -> Participant:
    """ "Never call me again": honoured at once, until they opt in again at a counter."""
    participant = get_scoped(Participant, actor.community, for_update=True, pk=participant_id)
    if actor.person_id != participant.person_id:
        actor.require("neighbours.manage")
    if participant.opted_out_at is None:
        participant.opted_out_at = clock.now()
        participant.save(update_fields=["opted_out_at", "updated_at"])
        audit_record(actor=actor, verb="neighbours.opted_out", obj=participant)
    from buurtkit.neighbours import introductions

    introductions.stop_open_introductions(participant, outcome=Outcome.OPTED_OUT)
    return participant


@transaction.atomic
def introduction_record(
    *,
    actor: Actor,
    participant_a_id: int,
    participant_b_id: int,
    outcome: str,
    declined_by_id: int | None = None,
    proposed_pair_id: int | None = None,
) -> Introduction:
    """Append one outcome to a pair's history (read by the rules as facts)."""
    actor.require("neighbours.manage")
    if outcome not in Outcome.values:
        raise _invalid("outcome", _("Unknown outcome."))
    low, high = sorted((participant_a_id, participant_b_id))
    if low == high:
        raise _invalid("participant_b_id", _("A pair needs two different people."))
    a = get_scoped(Participant, actor.community, pk=low)
    b = get_scoped(Participant, actor.community, pk=high)
    if declined_by_id is not None and declined_by_id not in (low, high):
        raise _invalid("declined_by_id", _("Only one of the pair can decline."))
    pair = None
    if proposed_pair_id is not None:
        pair = get_scoped(ProposedPair, actor.community, pk=proposed_pair_id)
    intro = Introduction.objects.create(
        community=actor.community,
        participant_a=a,
        participant_b=b,
        outcome=outcome,
        declined_by_id=declined_by_id,
        proposed_pair=pair,
        at=clock.now(),
        actor_label=actor.label[:150],
    )
    audit_record(actor=actor, verb="neighbours.introduction", obj=intro, data={"outcome": outcome})
    return intro


# --- rule versions -----------------------------------------------------------------------


@transaction.atomic
def rule_version_create(
    *,
    actor: Actor,
    eligibility: list[dict[str, Any]] | None = None,
    weights: list[dict[str, Any]] | None = None,
    test_cases: list[dict[str, Any]] | None = None,
    notes: str = "",
    copy_of_id: int | None = None,
) -> RuleVersion:
    """A new draft version: given rules, or a copy of an existing version to change."""
    actor.require("neighbours.rules")
    if copy_of_id is not None:
        source = get_scoped(RuleVersion, actor.community, pk=copy_of_id)
        eligibility = source.eligibility if eligibility is None else eligibility
        weights = source.weights if weights is None else weights
        test_cases = source.test_cases if test_cases is None else test_cases
    elig, wts = rules.clean_rules(eligibility or [], weights or [])
    cases = clean_test_cases(test_cases or [])
    last = (
        RuleVersion.objects.in_community(actor.community)
        .select_for_update()
        .aggregate(n=Max("number"))["n"]
    )
    version = RuleVersion.objects.create(
        community=actor.community,
        number=(last or 0) + 1,
        notes=notes[:2000],
        eligibility=elig,
        weights=wts,
        test_cases=cases,
        created_by=actor.label[:150],
    )
    audit_record(
        actor=actor,
        verb="neighbours.rules_created",
        obj=version,
        data={"number": version.number, "copy_of": copy_of_id},
    )
    return version


@transaction.atomic
def rule_version_update(
    *,
    actor: Actor,
    version_id: int,
    eligibility: list[dict[str, Any]] | None = None,
    weights: list[dict[str, Any]] | None = None,
    test_cases: list[dict[str, Any]] | None = None,
    notes: str | None = None,
) -> RuleVersion:
    """Change a draft. An activated version never changes: make a new version (a copy)."""
    actor.require("neighbours.rules")
    version = get_scoped(RuleVersion, actor.community, for_update=True, pk=version_id)
    if version.status != RuleStatus.DRAFT:
        raise Conflict(
            _("Version %(n)d has been activated and can no longer change. Make a copy instead.")
            % {"n": version.number},
            code="rules_immutable",
        )
    elig, wts = rules.clean_rules(
        version.eligibility if eligibility is None else eligibility,
        version.weights if weights is None else weights,
    )
    version.eligibility, version.weights = elig, wts
    if test_cases is not None:
        version.test_cases = clean_test_cases(test_cases)
    if notes is not None:
        version.notes = notes[:2000]
    version.save()
    audit_record(actor=actor, verb="neighbours.rules_updated", obj=version)
    return version


@transaction.atomic
def rule_version_activate(*, actor: Actor, version_id: int) -> RuleVersion:
    """Activate a draft whose test cases all pass; the previous active version retires."""
    actor.require("neighbours.rules")
    version = get_scoped(RuleVersion, actor.community, for_update=True, pk=version_id)
    if version.status != RuleStatus.DRAFT:
        raise Conflict(_("Only a draft version can be activated."), code="not_draft")
    if not version.test_cases:
        raise _invalid("test_cases", _("Add at least one test case before activating."))
    failing = [r for r in rule_version_results(version) if not r["passed"]]
    if failing:
        listing = "; ".join(f"{r['name']} (expected {', '.join(r['expected'])})" for r in failing)
        message = _("These test cases fail, so this version cannot be activated: %(cases)s.") % {
            "cases": listing
        }
        raise ValidationFailed(message, fields={"test_cases": message}, code="test_cases_fail")
    now = clock.now()
    previous = list(
        RuleVersion.objects.in_community(actor.community)
        .select_for_update()
        .filter(status=RuleStatus.ACTIVE)
    )
    for old in previous:
        old.status, old.retired_at = RuleStatus.RETIRED, now
        old.save(update_fields=["status", "retired_at"])
    version.status, version.activated_at = RuleStatus.ACTIVE, now
    version.save(update_fields=["status", "activated_at"])
    audit_record(
        actor=actor,
        verb="neighbours.rules_activated",
        obj=version,
        data={"number": version.number, "retired": [v.number for v in previous]},
    )
    return version


@transaction.atomic
def rules_create_default(*, actor: Actor) -> RuleVersion:
    """Version 1 with sensible rules and test cases, activated (a starting point to copy)."""
    version = rule_version_create(
        actor=actor,
        eligibility=rules.DEFAULT_ELIGIBILITY,
        weights=rules.DEFAULT_WEIGHTS,
        test_cases=rules.DEFAULT_TEST_CASES,
        notes=rules.DEFAULT_NOTES,
    )
    return rule_version_activate(actor=actor, version_id=version.pk)


# --- matching ----------------------------------------------------------------------------

ELIGIBLE_FIELDS = (
    "id",
    "language",
    "call_windows",
    "interests",
    "activities",
    "max_distance_m",
    "wish",
    "can_offer",
    "needs",
    "neighbourhood",
    "lat",
    "lon",
)


def matching_run(
    *,
    actor: Actor,
    rule_version: RuleVersion | None = None,
    per_person: int = matching.PER_PERSON,
    max_exact: int = matching.MAX_EXACT,
) -> MatchRun:
    """Propose an optimal one-to-one pairing of the community's matchable participants.

    Only active participants with a verified phone, a consent and no opt-out take part; pairs
    declined before are never proposed. Every proposed pair keeps its explanation.

    The reading and computing run outside a transaction (on SQLite a write transaction would
    hold the database's one write lock for seconds); the run, its pairs and the audit line
    are written together in one short transaction at the end.
    """
    actor.require("neighbours.match")
    community = actor.community
    if rule_version is None:
        rule_version = (
            RuleVersion.objects.in_community(community).filter(status=RuleStatus.ACTIVE).first()
        )
        if rule_version is None:
            raise Conflict(_("There is no active rule version yet."), code="no_active_rules")
    else:
        rule_version = get_scoped(RuleVersion, community, pk=rule_version.pk)
    timings: dict[str, float] = {}
    started = clock.now()
    t0 = time.perf_counter()

    from buurtkit.neighbours import verification

    rows = list(
        verification.callable_filter(Participant.objects.in_community(community))
        .order_by("id")
        .values(*ELIGIBLE_FIELDS)
    )
    lats = [r["lat"] for r in rows if r["lat"] is not None]
    ref_lat = sum(lats) / len(lats) if lats else 51.0
    profiles = [facts_mod.Profile.from_values(r, pk=r["id"], ref_lat=ref_lat) for r in rows]
    index = {p.id: i for i, p in enumerate(profiles)}
    history: dict[tuple[int, int], bool] = {}  # pair -> declined
    for a, b, outcome in (
        Introduction.objects.in_community(community)
        .values_list("participant_a_id", "participant_b_id", "outcome")
        .iterator(chunk_size=5000)
    ):
        if a in index and b in index:
            key = (index[a], index[b])
            history[key] = history.get(key, False) or outcome == Outcome.DECLINED
    timings["load_s"] = time.perf_counter() - t0

    t = time.perf_counter()
    candidates = matching.candidate_pairs(profiles, per_person=per_person)
    timings["prefilter_s"] = time.perf_counter() - t

    t = time.perf_counter()
    compiled = rules.CompiledRules(rule_version.eligibility, rule_version.weights)
    edges: dict[tuple[int, int], float] = {}
    declined_skipped = 0
    for i, j in candidates:
        seen = (i, j) in history
        declined = seen and history[(i, j)]
        if declined:
            declined_skipped += 1
            continue  # never again, whatever the rules say
        score = compiled.score(
            facts_mod.pair_facts(profiles[i], profiles[j], introduced_before=seen)
        )
        if score is not None:
            edges[(i, j)] = score
    timings["score_s"] = time.perf_counter() - t

    t = time.perf_counter()
    stats: dict[str, int] = {}
    pairing = matching.best_pairing(
        edges, max_exact=max_exact, group_of=lambda n: profiles[n].neighbourhood, stats=stats
    )
    timings["pairing_s"] = time.perf_counter() - t

    t = time.perf_counter()
    explained = []
    for i, j in pairing:
        facts = facts_mod.pair_facts(profiles[i], profiles[j], introduced_before=(i, j) in history)
        explained.append((profiles[i].id, profiles[j].id, compiled.explain(facts)))
    total = sum(e["score"] for _a, _b, e in explained)
    with transaction.atomic():
        run = MatchRun.objects.create(
            community=community,
            rule_version=rule_version,
            started_at=started,
            actor_label=actor.label[:150],
            participants=len(profiles),
            candidate_pairs=len(candidates),
            eligible_pairs=len(edges),
            proposed_pairs=len(explained),
            total_score=round(total, 6),
        )
        ProposedPair.objects.bulk_create(
            [
                ProposedPair(
                    community=community,
                    run=run,
                    participant_a_id=a_id,
                    participant_b_id=b_id,
                    score=explanation["score"],
                    explanation=explanation,
                )
                for a_id, b_id, explanation in explained
            ],
            batch_size=1000,
        )
        timings["store_s"] = time.perf_counter() - t
        timings["total_s"] = time.perf_counter() - t0
        run.finished_at = clock.now()
        run.stats = {
            **{k: round(v, 4) for k, v in timings.items()},
            **stats,
            "declined_skipped": declined_skipped,
            "per_person": per_person,
            "max_exact": max_exact,
            "rule_version": rule_version.number,
        }
        run.save(update_fields=["finished_at", "stats"])
        audit_record(
            actor=actor,
            verb="neighbours.matching_run",
            obj=run,
            data={"pairs": len(explained), "rule_version": rule_version.number},
        )
    return run


# --- announcements (logic in neighbours.announcements) ------------------------------------


def announcement_create(
    *,
    actor: Actor,
    title: str,
    text: Mapping[str, str] | None = None,
    recording: Mapping[str, int | None] | None = None,
    neighbourhood: str = "",
    starts_on: Any,
    ends_on: Any,
    in_outbound_calls: bool = True,
) -> Announcement:
    """A message for a period (and optionally one neighbourhood), typed or recorded per language."""
    return announcements.create(
        actor=actor,
        title=title,
        text=text,
        recording=recording,
        neighbourhood=neighbourhood,
        starts_on=starts_on,
        ends_on=ends_on,
        in_outbound_calls=in_outbound_calls,
    )


def announcement_update(*, actor: Actor, announcement_id: int, **changes: Any) -> Announcement:
    """Change some fields of an announcement (``text``/``recording`` are replaced whole)."""
    return announcements.update(actor=actor, announcement_id=announcement_id, **changes)


def announcement_deactivate(*, actor: Actor, announcement_id: int) -> Announcement:
    """Stop playing an announcement; it stays in the list as inactive."""
    return announcements.deactivate(actor=actor, announcement_id=announcement_id)


# --- introductions by phone (the state machine lives in ``neighbours.introductions``) -------


@transaction.atomic
def introductions_start(
    *, actor: Actor, run_id: int, pair_ids: list[int] | None = None
) -> list[Match]:
    """Start phoning the pairs of a matching run (all of them, or the chosen ones)."""
    from buurtkit.neighbours import introductions

    return introductions.start(actor=actor, run_id=run_id, pair_ids=pair_ids)


@transaction.atomic
def introduction_cancel(*, actor: Actor, match_id: int) -> Match:
    """Stop an introduction: no more calls for this pair."""
    from buurtkit.neighbours import introductions

    return introductions.cancel(actor=actor, match_id=match_id)


def introductions_tick() -> int:
    """Place the calls that are due now; return how many (each in its own transaction)."""
    from buurtkit.neighbours import introductions

    return introductions.tick()


# --- phone verification and opting in again (logic in ``neighbours.verification``) -------


def verification_start(*, actor: Actor, participant_id: int) -> PhoneVerification:
    """Send a new code: by SMS to a mobile, by a call that reads it out to a landline."""
    from buurtkit.neighbours import verification

    return verification.start(actor=actor, participant_id=participant_id)


def verification_check(*, actor: Actor, participant_id: int, code: str) -> Participant:
    """Check a typed code; right: the current number is verified. Wrong tries are counted."""
    from buurtkit.neighbours import verification

    return verification.check(actor=actor, participant_id=participant_id, code=code)


@transaction.atomic
def call_settings_update(*, actor: Actor, machine_detection: bool) -> CallSettings:
    """Switch answering machine detection on or off for this community's Buurbel calls."""
    actor.require("neighbours.match")
    row, _created = CallSettings.objects.select_for_update().get_or_create(
        community=actor.community
    )
    row.machine_detection = bool(machine_detection)
    row.updated_at = clock.now()
    row.save()
    audit_record(
        actor=actor,
        verb="neighbours.call_settings_changed",
        obj=row,
        data={"machine_detection": row.machine_detection},
    )
    return row


@transaction.atomic
def participant_opt_in(*, actor: Actor, participant_id: int) -> Participant:
    """Undo an opt-out: only staff at a counter (``neighbours.manage``), never the resident
    online or by phone, so that "never call me again" cannot be undone by someone else."""
    actor.require("neighbours.manage")
    participant = get_scoped(Participant, actor.community, for_update=True, pk=participant_id)
    if participant.person.anonymised_at:
        raise Conflict(_("This person has been anonymised and can no longer be changed."))
    if participant.opted_out_at is not None:
        participant.opted_out_at = None
        participant.save(update_fields=["opted_out_at", "updated_at"])
        audit_record(actor=actor, verb="neighbours.opted_in", obj=participant)
    return participant
