"""What monitoring holds about a person: the profile for statistics (with consent), the
survey answers and the survey links sent.

Anonymising keeps the profile and the answers (the person stays in the reach figures and the
before/after report, without a name: neither holds one); the profile's postcode is cut to its
first two digits, as the person's own, and the unused links go.
"""

from __future__ import annotations

from typing import Any

from buurtkit.monitoring.models import Profile, SurveyLink, SurveyResponse
from buurtkit.people.hooks import PersonTraces
from buurtkit.people.models import Person


def export(person: Person) -> Any:
    community = person.community_id
    profile = Profile.objects.in_community(community).filter(person=person).first()
    responses = (
        SurveyResponse.objects.in_community(community)
        .filter(person=person)
        .select_related("survey")
        .prefetch_related("answers__question")
    )
    return {
        "profile": None
        if profile is None
        else {
            "age_band": profile.age_band,
            "postcode": profile.postcode,
            "job_seeking": profile.job_seeking,
            **{
                f: getattr(profile, f)
                for f in (
                    "low_literacy",
                    "low_schooling",
                    "inactive",
                    "migration",
                    "second_language",
                    "low_income",
                    "living_alone",
                )
            },
            "updated_at": profile.updated_at.isoformat(),
        },
        "survey_answers": [
            {
                "survey": r.survey.key,
                "phase": r.phase,
                "channel": r.channel,
                "answered_at": r.answered_at.isoformat(),
                "answers": {a.question.key: a.value for a in r.answers.all()},
            }
            for r in responses
        ],
        "survey_links": SurveyLink.objects.in_community(community).filter(person=person).count(),
    }


def anonymise(traces: PersonTraces) -> None:
    profiles = Profile.objects.in_community(traces.community_id).filter(person_id=traces.person_id)
    for profile in profiles:
        profile.postcode = profile.postcode[:2]
        profile.save(update_fields=["postcode"])
    SurveyLink.objects.in_community(traces.community_id).filter(
        person_id=traces.person_id, used_at__isnull=True
    ).delete()
