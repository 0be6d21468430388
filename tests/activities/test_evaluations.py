"""Evaluations after a series and the before/after self-assessment: the link sent after the
last session (once, only within consents, one answer per registration), the paper form and
the tablet at the last session, what staff see (counts and averages, no names), the API."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from buurtkit.activities import services
from buurtkit.activities.models import Evaluation, Registration, Series, Session
from buurtkit.activities.questions import STATEMENTS
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.messaging.models import Message
from buurtkit.people.models import Person
from buurtkit.places import services as places_services

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PUBLIC = "https://buurt.example.be"
_n = itertools.count(1)


@pytest.fixture(autouse=True)
def _public(settings: Any) -> None:
    settings.PUBLIC_URL = PUBLIC


def _course(system: Actor, *, weeks: int = 2, self_assessment: bool = True) -> list[Session]:
    """A course of ``weeks`` weekly sessions, the first one a week from NOW."""
    place = places_services.place_create(actor=system, name=f"Bib {next(_n)}", kind="digipunt")
    series = services.series_create(
        actor=system,
        kind="course",
        title={"nl": "Veilig online"},
        whole_series=True,
        self_assessment=self_assessment,
        published=True,
    )
    return [
        services.session_add(
            actor=system,
            series_id=series.pk,
            place_id=place.pk,
            starts_at=NOW + timedelta(weeks=w + 1),
            ends_at=NOW + timedelta(weeks=w + 1, hours=2),
            capacity=5,
        )
        for w in range(weeks)
    ]


def _sign_up(system: Actor, session: Session, person: Person) -> tuple[list[Registration], str]:
    with clock.frozen(NOW):
        return services.registration_create(
            actor=system, session_id=session.pk, person_id=person.pk
        )


def _attend(system: Actor, registrations: list[Registration]) -> None:
    for r in registrations:
        with clock.frozen(r.session.starts_at + timedelta(minutes=5)):
            services.attendance_mark(
                actor=system, registration_id=r.pk, session_id=r.session_id, attended=True
            )


def _answers(value: int) -> dict[str, int]:
    return dict.fromkeys(STATEMENTS, value)


def test_the_link_goes_once_after_the_last_session_and_takes_one_answer(
    system: Actor, community: Community, make_person: Callable[..., Person]
) -> None:
    sessions = _course(system)
    sms = make_person(system, first_name="Anna", phone="0470 11 22 33", consents={
        "data_processing": True, "contact_sms": True})  # fmt: skip
    silent = make_person(system, first_name="Bert", phone="0470 44 55 66")  # no consent
    regs_a, _t = _sign_up(system, sessions[0], sms)
    regs_b, _t = _sign_up(system, sessions[0], silent)
    _attend(system, regs_a + regs_b)
    after_first = sessions[0].ends_at + timedelta(hours=1)
    with clock.frozen(after_first):
        assert services.evaluations_ask() == 0  # not the last session of the course
    after_last = sessions[-1].ends_at + timedelta(hours=1)
    with clock.frozen(after_last):
        assert services.evaluations_ask() == 1  # Anna; Bert did not agree to messages
        assert services.evaluations_ask() == 0  # once
    assert not Message.objects.filter(person=silent, body__contains="/evaluate/").exists()
    message = Message.objects.get(person=sms, body__contains="/evaluate/")
    link = re.search(re.escape(PUBLIC) + r"(/\S+)", message.body)
    assert link, message.body
    client = Client()
    page = client.get(link.group(1)).content.decode()
    assert 'name="satisfaction"' in page and 'name="a_safe"' in page
    data = {"satisfaction": "5", "learned": "Phishing herkennen", "suggestion": ""}
    data |= {f"a_{k}": "3" for k in STATEMENTS}
    assert client.post(link.group(1), data).status_code == 302
    evaluation = Evaluation.objects.get()
    assert evaluation.channel == "sms" and evaluation.satisfaction == 5
    assert evaluation.person_id == sms.pk and evaluation.moment == "after"
    assert evaluation.self_assessment["answers"] == _answers(3)
    # One answer per registration: the page thanks, a second post writes nothing.
    client.post(link.group(1), {"satisfaction": "1"})
    assert Evaluation.objects.count() == 1
    # A wrong code finds nothing.
    assert client.get(link.group(1).rsplit("/", 2)[0] + "/guess/").status_code == 404


def test_the_self_assessment_before_from_the_my_sign_up_page(
    system: Actor, community: Community, make_person: Callable[..., Person]
) -> None:
    sessions = _course(system)
    regs, token = _sign_up(system, sessions[0], make_person(system))
    my = services.my_path(community, regs[0], token)
    client = Client()
    with clock.frozen(NOW):
        page = client.get(my).content.decode()
        assert my + "before/" in page
        form = client.get(my + "before/").content.decode()
        assert 'name="satisfaction"' not in form and 'name="a_find"' in form
        # Every statement needs an answer before the course; what was typed stays.
        half = client.post(my + "before/", {"a_find": "2"})
        assert half.status_code == 200 and not Evaluation.objects.exists()
        assert re.search(r'name="a_find" value="2"[^>]*checked', half.content.decode())
        client.post(my + "before/", {f"a_{k}": "2" for k in STATEMENTS})
        assert my + "before/" not in client.get(my).content.decode()  # asked once
    before = Evaluation.objects.get()
    assert before.moment == "before" and before.self_assessment["answers"] == _answers(2)
    assert before.satisfaction is None


def test_paper_and_tablet_forms_and_the_staff_summary_without_names(
    system: Actor,
    community: Community,
    make_person: Callable[..., Person],
    login_client: Callable[..., Client],
) -> None:
    sessions = _course(system, weeks=1)
    people = [make_person(system, first_name=n, last_name="Zwart") for n in ("Anna", "Bert")]
    regs = [_sign_up(system, sessions[0], p)[0][0] for p in people]
    _attend(system, regs)
    volunteer = login_client(community, "volunteer")
    url = f"/{community.slug}/activities/manage/sessions/{sessions[0].pk}/evaluation/"
    page = volunteer.get(url).content.decode()
    assert "Anna Zwart" in page  # on paper, staff may say whose form it is
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key
    paper = {"registration": str(regs[0].pk), "satisfaction": "4", "learned": "Mails",
             "idempotency_key": key.group(1)} | {f"a_{k}": "4" for k in STATEMENTS}  # fmt: skip
    assert volunteer.post(url, paper).status_code == 302
    assert volunteer.post(url, paper).status_code == 302  # a double click: once
    assert Evaluation.objects.filter(channel="paper").count() == 1
    # Nothing chosen: refused, what was typed stays.
    empty = volunteer.post(url, {"suggestion": "", "learned": ""})
    assert empty.status_code == 200 and Evaluation.objects.count() == 1
    # The tablet: no names to pick, anonymous.
    tablet = volunteer.get(url + "?tablet=1").content.decode()
    assert "Anna Zwart" not in tablet and 'name="registration"' not in tablet
    volunteer.post(url + "?tablet=1", {"satisfaction": "2", "suggestion": "Trager uitleggen"})
    on_tablet = Evaluation.objects.get(channel="session")
    assert on_tablet.person_id is None and on_tablet.satisfaction == 2
    # The summary: counts and averages, no names.
    summary = volunteer.get(
        f"/{community.slug}/activities/manage/series/{sessions[0].series_id}/evaluations/"
    ).content.decode()
    assert "Anna" not in summary and "Trager uitleggen" in summary
    assert "3,0" in summary or "3.0" in summary  # (4 + 2) / 2
    # An auditor reads the summary but enters nothing.
    auditor = login_client(community, "auditor")
    assert auditor.get(url).status_code == 403


def test_the_rules_of_an_evaluation(
    system: Actor, community: Community, make_person: Callable[..., Person]
) -> None:
    sessions = _course(system, weeks=1, self_assessment=False)
    series = Series.objects.get(pk=sessions[0].series_id)
    regs, _t = _sign_up(system, sessions[0], make_person(system))
    with pytest.raises(ValidationFailed):
        services.evaluation_create(actor=system, series_id=series.pk, satisfaction=6)
    with pytest.raises(ValidationFailed):  # no self-assessment in this activity
        services.evaluation_create(actor=system, series_id=series.pk, answers=_answers(2))
    with pytest.raises(ValidationFailed):  # nothing said at all
        services.evaluation_create(actor=system, series_id=series.pk)
    services.evaluation_create(
        actor=system, series_id=series.pk, registration_id=regs[0].pk, satisfaction=3
    )
    with pytest.raises(Conflict):  # one answer per registration
        services.evaluation_create(
            actor=system, series_id=series.pk, registration_id=regs[0].pk, satisfaction=4
        )
    other = _course(system, weeks=1)
    with pytest.raises(ValidationFailed):  # a registration of another activity
        services.evaluation_create(
            actor=system, series_id=other[0].series_id, registration_id=regs[0].pk,
            satisfaction=4,
        )  # fmt: skip
    assert Evaluation.objects.count() == 1


def test_the_evaluations_api(
    system: Actor, community: Community, make_person: Callable[..., Person], api: Any
) -> None:
    sessions = _course(system, weeks=1)
    regs, _t = _sign_up(system, sessions[0], make_person(system))
    series_id = sessions[0].series_id
    client = api(community, ["volunteer"])
    url = f"/api/v1/activities/series/{series_id}/evaluations"
    body = {"channel": "paper", "satisfaction": 5, "registration_id": regs[0].pk,
            "answers": {"find": 3, "safe": 4}}  # fmt: skip
    assert client.post(url, body, content_type="application/json").status_code == 422
    made = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="e1")
    assert made.status_code == 201 and made.json()["answers"] == {"find": 3, "safe": 4}
    again = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="e1")
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    bad = dict(body, answers={"find": 5})
    assert (
        client.post(url, bad, content_type="application/json", HTTP_IDEMPOTENCY_KEY="e2")
    ).status_code == 422
    listed = client.get(url).json()
    assert [e["id"] for e in listed["items"]] == [made.json()["id"]]
    assert "person_id" not in listed["items"][0]
    assert api(community, ["auditor"]).get(url).status_code == 200
    denied = api(community, ["auditor"]).post(
        url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="e3"
    )
    assert denied.status_code == 403


def test_the_tablet_form_shows_no_staff_menu(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    """The tablet handed to participants at the last session is a kiosk: no staff menu (the
    base template's ``menu`` block emptied) and no "sign out" button; the paper form keeps both."""
    sessions = _course(system, weeks=1)
    staff = login_client(community, "staff")
    url = f"/{community.slug}/activities/manage/sessions/{sessions[0].pk}/evaluation/"
    paper = staff.get(url).content.decode()
    tablet = staff.get(url + "?tablet=1").content.decode()
    logout = reverse("web:logout")
    assert '<nav class="main"' in paper and f'action="{logout}"' in paper
    assert '<nav class="main"' not in tablet and f'action="{logout}"' not in tablet
    assert 'name="satisfaction"' in tablet  # the form itself is there


def test_staff_type_in_the_self_assessment_before_and_see_it_beside_the_after(
    system: Actor,
    community: Community,
    make_person: Callable[..., Person],
    login_client: Callable[..., Client],
) -> None:
    """The paper "before" (the seed's media profile) is typed in by staff for a participant;
    the page shows before → after per statement; once per person and activity."""
    sessions = _course(system, weeks=2)
    anna = make_person(system, first_name="Anna", last_name="Voor")
    bert = make_person(system, first_name="Bert", last_name="Na")
    regs_a, _t = _sign_up(system, sessions[0], anna)
    regs_b, _t = _sign_up(system, sessions[0], bert)
    services.evaluation_create(  # Bert's "after" came with his paper evaluation
        actor=system, series_id=sessions[0].series_id, registration_id=regs_b[1].pk,
        satisfaction=5, answers=_answers(4),
    )  # fmt: skip
    volunteer = login_client(community, "volunteer")
    url = f"/{community.slug}/activities/manage/sessions/{sessions[0].pk}/self-assessment/"
    assert url in volunteer.get(url.replace("self-assessment/", "")).content.decode()
    page = volunteer.get(url).content.decode()
    assert f'value="{regs_a[0].pk}"' in page and 'name="satisfaction"' not in page
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key
    # Every statement is needed; what was chosen stays.
    half = volunteer.post(url, {"registration": str(regs_a[0].pk), "a_find": "1"})
    assert half.status_code == 400 and not Evaluation.objects.filter(moment="before").exists()
    assert re.search(r'name="a_find" value="1"[^>]*checked', half.content.decode())
    # Nobody chosen: refused too (a "before" belongs to someone).
    nobody = volunteer.post(url, {f"a_{k}": "2" for k in STATEMENTS})
    assert nobody.status_code == 400
    form = {"registration": str(regs_b[0].pk), "idempotency_key": key.group(1)}
    form |= {f"a_{k}": "2" for k in STATEMENTS}
    assert volunteer.post(url, form).status_code == 302
    assert volunteer.post(url, form).status_code == 302  # a double click saves once
    before = Evaluation.objects.get(moment="before")
    assert (before.person_id, before.channel) == (bert.pk, "paper")
    assert before.self_assessment["answers"] == _answers(2)
    # Before and after side by side; Bert is marked as done.
    with translation.override("nl"):
        page = volunteer.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    row = re.search(r"Bert Na</th>(.*?)</tr>", page, re.S)
    assert row and row.group(1).count("2 → 4") == len(STATEMENTS)
    assert re.search(rf'value="{regs_b[0].pk}"[^>]*>Bert Na \(al ingevuld\)', page)
    # Once per person and activity, whichever session's sign-up it is typed on.
    with pytest.raises(Conflict):
        services.evaluation_create(
            actor=system, series_id=sessions[0].series_id, registration_id=regs_b[1].pk,
            moment="before", answers=_answers(3),
        )  # fmt: skip
    # An activity without a self-assessment has no such page.
    plain = _course(system, weeks=1, self_assessment=False)
    assert volunteer.get(url.replace(str(sessions[0].pk), str(plain[0].pk))).status_code == 404


def test_the_evaluations_export_has_the_answers_and_no_names(
    system: Actor,
    community: Community,
    make_person: Callable[..., Person],
    login_client: Callable[..., Client],
) -> None:
    sessions = _course(system, weeks=1)
    person = make_person(system, first_name="Zeynep", last_name="Naamloos")
    regs, _t = _sign_up(system, sessions[0], person)
    with clock.frozen(NOW + timedelta(days=8)):
        services.evaluation_create(
            actor=system, series_id=sessions[0].series_id, registration_id=regs[0].pk,
            satisfaction=4, learned="Phishing herkennen", answers=_answers(3),
        )  # fmt: skip
        services.evaluation_create(
            actor=system, series_id=sessions[0].series_id, satisfaction=2, channel="session"
        )
    staff = login_client(community, "auditor")
    base = f"/{community.slug}/activities/figures/export/evaluations/"
    with translation.override("nl"):
        month = staff.get(base, {"at": "2026-12"}, HTTP_ACCEPT_LANGUAGE="nl")
        one = staff.get(base, {"series": sessions[0].series_id, "fmt": "xlsx"})
        earlier = staff.get(base, {"at": "2026-11"}, HTTP_ACCEPT_LANGUAGE="nl")
    assert month.status_code == 200 and month["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(month.content.decode("utf-8-sig"))))
    assert len(rows) == 3 and len(rows[0]) == 10 + len(STATEMENTS)
    text = month.content.decode("utf-8-sig")
    assert "Zeynep" not in text and "Naamloos" not in text
    assert "Phishing herkennen" in text and "Veilig online" in text
    assert rows[1][6] == "4" and rows[1][-1] == "3"
    assert one.status_code == 200 and one["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    assert len(list(csv.reader(io.StringIO(earlier.content.decode("utf-8-sig"))))) == 1
    # From the evaluations page and the figures page.
    summary = staff.get(
        f"/{community.slug}/activities/manage/series/{sessions[0].series_id}/evaluations/"
    ).content.decode()
    assert f"{base}?series={sessions[0].series_id}" in summary
    assert base in staff.get(f"/{community.slug}/activities/figures/").content.decode()
