"""Surveys for impact: defined once, answered on paper (typed in), on the tablet and by a
text-message link (once, until it expires), paired before/after by person or pairing code,
and reported as the change per question with fewer than 5 pairs suppressed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.messaging.models import Message
from buurtkit.monitoring import surveys
from buurtkit.monitoring.models import Survey, SurveyLink, SurveyResponse
from buurtkit.people import services as people_services
from tests.monitoring.conftest import World

pytestmark = pytest.mark.django_db

QUESTIONS = [
    ("find", {"nl": "Ik vind informatie.", "en": "I find information."}),
    ("safe", {"nl": "Ik ben veilig online.", "en": "I am safe online."}),
]


def community(world: World) -> Community:
    return Community.objects.get(pk=world.community_id)


def system(world: World) -> Actor:
    return Actor.system(community(world), label="test")


def define(world: World, key: str = "skills") -> Survey:
    return surveys.survey_define(
        actor=system(world), key=key, title={"nl": "Vaardigheden", "en": "Skills"},
        questions=QUESTIONS, scale_min=1, scale_max=4,
    )  # fmt: skip


def enter(world: World, survey: Survey, phase: str, find: int, safe: int, **who: Any) -> Any:
    return surveys.response_enter(
        actor=system(world), survey_id=survey.pk, phase=phase,
        answers={"find": find, "safe": safe}, **who,
    )  # fmt: skip


def test_before_and_after_are_paired_by_person_or_code(world: World) -> None:
    s = define(world)
    # Five pairs: three people, two anonymous paper forms with a pairing code.
    for n, name in enumerate(("p1", "p2", "p3")):
        enter(world, s, "before", 1, 2, person_id=world.persons[name])
        enter(world, s, "after", 3, 2 + n % 2, person_id=world.persons[name])
    for code in ("ab 12", "CD34"):
        enter(world, s, "before", 2, 2, pairing_code=code)
    enter(world, s, "after", 4, 3, pairing_code="AB12")  # the same code, written differently
    enter(world, s, "after", 4, 3, pairing_code="cd34")
    # Not paired: a "before" only, an "after" with an unknown code.
    enter(world, s, "before", 1, 1, person_id=world.persons["p4"])
    enter(world, s, "after", 4, 4, pairing_code="ZZ99")
    report = surveys.survey_report(actor=system(world), survey_id=s.pk, language="en")
    assert (report.responses_before, report.responses_after, report.pairs) == (6, 6, 5)
    find, safe = report.questions
    assert find.text == "I find information."
    assert (find.mean_before, find.mean_after, find.change) == (1.4, 3.4, 2.0)
    assert (safe.mean_before, safe.mean_after) == (2.0, 2.6)


def test_the_newest_answer_of_a_phase_counts(world: World) -> None:
    s = define(world)
    for name in ("p1", "p2", "p3", "p4", "p5"):
        enter(world, s, "before", 1, 1, person_id=world.persons[name])
        enter(world, s, "after", 2, 2, person_id=world.persons[name])
    with clock.frozen(clock.now() + timedelta(minutes=5)):
        enter(world, s, "after", 4, 4, person_id=world.persons["p1"])  # a correction
    find = surveys.survey_report(actor=system(world), survey_id=s.pk).questions[0]
    assert (find.pairs, find.mean_after) == (5, 2.4)


def test_fewer_than_five_pairs_show_no_means(world: World) -> None:
    s = define(world)
    for name in ("p1", "p2", "p3", "p4"):
        enter(world, s, "before", 1, 1, person_id=world.persons[name])
        enter(world, s, "after", 4, 4, person_id=world.persons[name])
    report = surveys.survey_report(actor=system(world), survey_id=s.pk)
    assert report.pairs_shown == "< 5"
    assert all(
        q.mean_before is None and q.change is None and q.suppressed for q in report.questions
    )


@pytest.mark.engine_independent  # input checks before any write: nothing engine-specific
def test_bad_answers_and_definitions_are_refused(world: World) -> None:
    s = define(world)
    with pytest.raises(ValidationFailed) as refused:
        enter(world, s, "before", 5, 1, person_id=world.persons["p1"])
    assert "answers.find" in refused.value.fields
    with pytest.raises(ValidationFailed):
        surveys.response_enter(
            actor=system(world), survey_id=s.pk, phase="before", answers={"find": 1},
            person_id=world.persons["p1"],
        )  # fmt: skip
    with pytest.raises(ValidationFailed):
        enter(world, s, "before", 1, 1)  # no person, no pairing code
    with pytest.raises(ValidationFailed):
        enter(world, s, "during", 1, 1, person_id=world.persons["p1"])
    with pytest.raises(ValidationFailed):
        define(world)  # the same key again
    assert not SurveyResponse.objects.filter(survey=s).exists()
    clerk = Actor(community=community(world), label="c", permissions=frozenset())
    with pytest.raises(PermissionDenied):
        surveys.response_enter(
            actor=clerk, survey_id=s.pk, phase="before", answers={"find": 1, "safe": 1},
            person_id=world.persons["p1"],
        )  # fmt: skip


def test_the_same_idempotency_key_enters_a_form_once(world: World) -> None:
    s = define(world)
    first = enter(world, s, "before", 1, 2, pairing_code="K1", idempotency_key="form-1")
    again = enter(world, s, "before", 1, 2, pairing_code="K1", idempotency_key="form-1")
    assert again.pk == first.pk and SurveyResponse.objects.filter(survey=s).count() == 1


def texted(world: World, name: str, phone: str) -> Any:
    """A person with a mobile number who agreed to text messages."""
    person = people_services.person_update(
        actor=system(world), person_id=world.persons[name], phone=phone
    )
    people_services.person_record_consent(
        actor=system(world), person_id=person.pk, kind="contact_sms", granted=True
    )
    return person


def test_the_text_message_link_works_once_and_expires(world: World) -> None:
    s = define(world)
    c = community(world)
    person = texted(world, "p2", "+32470123456")
    link = surveys.link_send(
        actor=system(world), survey_id=s.pk, person_id=person.pk, phase="after",
        idempotency_key="send-1",
    )  # fmt: skip
    message = Message.objects.get(community=c, person=person)
    assert message.channel == "sms" and link.token in message.body
    response = surveys.response_by_link(
        community=c, token=link.token, answers={"find": 3, "safe": 4}
    )
    assert (response.person_id, response.phase, response.channel) == (person.pk, "after", "sms")
    with pytest.raises(NotFound):
        surveys.response_by_link(community=c, token=link.token, answers={"find": 3, "safe": 4})
    # Another link expires after 14 days; a token of one community is unknown in another.
    late = surveys.link_send(
        actor=system(world), survey_id=s.pk, person_id=person.pk, phase="before",
        idempotency_key="send-2",
    )  # fmt: skip
    other = Community.objects.get(pk=world.other_id)
    with pytest.raises(NotFound):
        surveys.link_get(community=other, token=late.token)
    with clock.frozen(clock.now() + timedelta(days=14, seconds=1)), pytest.raises(NotFound):
        surveys.response_by_link(community=c, token=late.token, answers={"find": 1, "safe": 1})
    assert SurveyLink.objects.get(pk=late.pk).used_at is None
    assert SurveyResponse.objects.filter(survey=s).count() == 1


# --- pages -----------------------------------------------------------------------------------


def _client(world: World, role: str, make_login: Callable[..., Any]) -> Client:
    client = Client()
    client.force_login(make_login(community(world), role))
    return client


def test_paper_entry_kiosk_and_report_pages(world: World, make_login: Callable[..., Any]) -> None:
    s = define(world)
    clerk = _client(world, "counter_clerk", make_login)
    base = f"/kortrijk/monitoring/surveys/{s.pk}/"
    assert clerk.get(base + "enter/").status_code == 200
    saved = clerk.post(
        base + "enter/",
        {"phase": "before", "person_id": world.persons["p1"], "q_find": "2", "q_safe": "3",
         "idempotency_key": "page-1"},
    )  # fmt: skip
    assert saved.status_code == 302
    kiosk = clerk.post(
        base + "kiosk/", {"phase": "after", "pairing_code": "T1", "q_find": "4", "q_safe": "4"}
    )
    assert kiosk.status_code == 302
    channels = sorted(SurveyResponse.objects.filter(survey=s).values_list("channel", flat=True))
    assert channels == ["kiosk", "paper"]
    missing = clerk.post(base + "kiosk/", {"phase": "after", "q_find": "4", "q_safe": "4"})
    assert missing.status_code == 200  # the tablet needs a pairing code
    assert clerk.get(base).status_code == 403  # the report: monitoring.view
    staff = _client(world, "staff", make_login)
    report = staff.get(base, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="survey-table"' in report and "I find information." in report
    assert _client(world, "volunteer", make_login).get(base + "enter/").status_code == 403
    listing = staff.get("/kortrijk/monitoring/surveys/").content.decode()
    assert "Vaardigheden" in listing or "Skills" in listing


def test_the_link_page_needs_no_login(world: World) -> None:
    s = define(world)
    person = texted(world, "p3", "+32470123457")
    link = surveys.link_send(
        actor=system(world), survey_id=s.pk, person_id=person.pk, phase="before",
        idempotency_key="send-page",
    )  # fmt: skip
    url = f"/kortrijk/monitoring/s/{link.token}/"
    client = Client()
    page = client.get(url)
    assert page.status_code == 200 and 'name="q_find"' in page.content.decode()
    done = client.post(url, {"q_find": "2", "q_safe": "1"})
    assert done.status_code == 200 and SurveyResponse.objects.filter(person=person).exists()
    gone = client.get(url)
    assert gone.status_code == 404 and 'name="q_find"' not in gone.content.decode()
    assert client.post(url, {"q_find": "2", "q_safe": "1"}).status_code == 404
    assert client.get(f"/elders/monitoring/s/{link.token}/").status_code == 404


def test_the_survey_api(world: World, api: Callable[..., Client]) -> None:
    s = define(world)
    staff = api(community(world), ["staff"])
    listed = staff.get("/api/v1/monitoring/surveys")
    assert listed.status_code == 200 and [x["key"] for x in listed.json()] == ["skills"]
    made = staff.post(
        f"/api/v1/monitoring/surveys/{s.pk}/responses",
        {"phase": "before", "answers": {"find": 1, "safe": 2}, "pairing_code": "API1"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="api-1",
    )
    assert made.status_code == 201, made.content
    report = staff.get(f"/api/v1/monitoring/surveys/{s.pk}/report")
    assert report.status_code == 200 and report.json()["responses_before"] == 1
    assert report.json()["pairs"] == 0
    theirs = api(Community.objects.get(pk=world.other_id), ["coordinator"])
    assert theirs.get(f"/api/v1/monitoring/surveys/{s.pk}/report").status_code == 404
    assert theirs.get("/api/v1/monitoring/surveys").json() == []
    auditor = api(community(world), ["auditor"])
    refused = auditor.post(
        f"/api/v1/monitoring/surveys/{s.pk}/responses",
        {"phase": "before", "answers": {"find": 1, "safe": 2}, "pairing_code": "API2"},
        content_type="application/json",
    )
    assert refused.status_code == 403
