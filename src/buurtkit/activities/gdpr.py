"""What activities hold about a person: their sign-ups, their evaluations, and — for a
digibuddy — their register entry and duties.

Anonymising keeps every row (seats, attendance, fill rates and evaluations stay countable)
and clears what says who it was: the cancel link, the free text of evaluations and the
volunteer's note, skills and availability.
"""

from __future__ import annotations

from typing import Any

from buurtkit.activities.models import Duty, Evaluation, Registration, Volunteer
from buurtkit.core.anonymising import scrub_rows
from buurtkit.people.hooks import PersonTraces
from buurtkit.people.models import Person


def export(person: Person) -> Any:
    community = person.community_id
    registrations = (
        Registration.objects.in_community(community)
        .filter(person=person)
        .select_related("session__series", "session__place")
    )
    volunteer = Volunteer.objects.in_community(community).filter(person=person).first()
    return {
        "registrations": [
            {
                "activity": r.session.series.title,
                "starts_at": r.session.starts_at.isoformat(),
                "place": r.session.place.name,
                "state": r.state,
                "channel": r.channel,
                "registered_at": r.registered_at.isoformat(),
            }
            for r in registrations
        ],
        "evaluations": [
            {
                "activity": e.series.title,
                "moment": e.moment,
                "channel": e.channel,
                "satisfaction": e.satisfaction,
                "learned": e.learned,
                "suggestion": e.suggestion,
                "self_assessment": e.self_assessment,
            }
            for e in Evaluation.objects.in_community(community)
            .filter(person=person)
            .select_related("series")
        ],
        "digibuddy": None
        if volunteer is None
        else {
            "skills": volunteer.skills,
            "languages": volunteer.languages,
            "neighbourhoods": volunteer.neighbourhoods,
            "availability": volunteer.availability,
            "home_visits": volunteer.home_visits,
            "track": volunteer.track,
            "note": volunteer.note,
            "duties": [
                {
                    "session": d.session_id,
                    "place": d.place_id,
                    "on": str(d.on or ""),
                    "starts_at": d.starts_at.isoformat() if d.starts_at else "",
                    "role": d.role,
                    "state": d.state,
                    "cancel_reason": d.cancel_reason,
                }
                for d in Duty.objects.filter(volunteer=volunteer)
            ],
        },
    }


def anonymise(traces: PersonTraces) -> None:
    community = traces.community_id
    Registration.objects.in_community(community).filter(person_id=traces.person_id).update(
        cancel_token_hash="", registered_by_label=""
    )
    evaluations = Evaluation.objects.in_community(community).filter(person_id=traces.person_id)
    evaluations.update(learned="", suggestion="")
    Volunteer.objects.in_community(community).filter(person_id=traces.person_id).update(
        skills=[], languages=[], neighbourhoods=[], availability={}, note="", active=False
    )
    # A duty's cancel reason is the volunteer's own words (often about their health).
    Duty.objects.filter(community_id=community, volunteer__person_id=traces.person_id).update(
        cancel_reason=""
    )
    # Others' evaluations may name the person (a digibuddy thanked by name).
    scrub_rows(
        Evaluation.objects.in_community(community).exclude(learned="", suggestion=""),
        ("learned", "suggestion"),
        traces.identifiers(),
    )
