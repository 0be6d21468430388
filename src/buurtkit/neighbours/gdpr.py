"""What Buurbel holds about a person, for the GDPR export and anonymisation."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from buurtkit.core import clock
from buurtkit.core.anonymising import scrub_rows
from buurtkit.neighbours.models import (
    Introduction,
    Match,
    Participant,
    PhoneVerification,
    ProposedPair,
)
from buurtkit.people.hooks import PersonTraces, declare_no_personal_data, register_person_data
from buurtkit.people.models import Person
from buurtkit.telephony.models import Call, CallEvent

EXPORTED = (
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
    "consent_at",
    "phone_verified_at",
    "opted_out_at",
    "active",
    "organisation__name",
    "needs_follow_up",
    "follow_up_note",
)


def export(person: Person) -> Any:
    rows = Participant.objects.in_community(person.community_id).filter(person=person)
    return [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in rows.values(*EXPORTED)
    ]


def anonymise(traces: PersonTraces) -> None:
    """Keep the row for statistics, drop what describes the person, never match again."""
    community_id = traces.community_id
    participants = Participant.objects.in_community(community_id).filter(person_id=traces.person_id)
    ids = list(participants.values_list("pk", flat=True))
    participants.update(
        call_windows=[],
        interests=[],
        can_offer=[],
        needs=[],
        lat=None,
        lon=None,
        active=False,
        opted_out_at=clock.now(),
        needs_follow_up=False,
        follow_up_note="",
    )
    # The numbers codes were sent to (or checked in person) go too; the dates stay.
    PhoneVerification.objects.filter(community_id=community_id, participant_id__in=ids).update(
        phone="", code_hash=""
    )
    if not ids:
        return
    # The introductions: notes and explanations, and what the calls to the *other*
    # neighbour said about this person ("to get to know Zoë, press 1").
    pair = Q(participant_a_id__in=ids) | Q(participant_b_id__in=ids)
    needles = traces.needles()
    matches = Match.objects.in_community(community_id).filter(pair)
    scrub_rows(matches, ["meeting_note", "conference"], needles)
    scrub_rows(
        ProposedPair.objects.in_community(community_id).filter(pair), ["explanation"], needles
    )
    scrub_rows(
        Introduction.objects.in_community(community_id).filter(pair), ["actor_label"], needles
    )
    match_ids = list(matches.values_list("pk", flat=True))
    calls = Call.objects.in_community(community_id).filter(
        subject_type="neighbours.match", subject_id__in=match_ids
    )
    call_ids = list(calls.values_list("pk", flat=True))
    scrub_rows(Call.objects.filter(pk__in=call_ids), ["flow_state", "error"], needles)
    scrub_rows(CallEvent.objects.filter(call_id__in=call_ids), ["params", "response"], needles)


def register() -> None:
    register_person_data(
        "buurbel",
        models=(
            "neighbours.Participant",
            "neighbours.PhoneVerification",
            "neighbours.Match",
            "neighbours.ProposedPair",
            "neighbours.Introduction",
        ),
        export=export,
        anonymise=anonymise,
    )
    declare_no_personal_data(
        "neighbours.RuleVersion",
        "neighbours.MatchRun",
        "neighbours.Announcement",
        reason="matching rules, runs' figures and announcements written by staff",
    )
