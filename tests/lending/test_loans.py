"""Loans: extensions within the limits, the return check (and the wipe it then needs), lost
devices, and the nightly reminders — each stage once, only the way the person allows, in
set-based queries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import override_settings

from buurtkit.core import clock, scheduler
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.lending import services
from buurtkit.lending.models import Device, Loan
from buurtkit.messaging.models import Message
from buurtkit.telephony.models import Call
from tests.lending.handover_kit import EVIDENCE, due_in, hand_over, ready_devices

pytestmark = pytest.mark.django_db


def _loan(system: Actor, days: int = 30, **extra: Any) -> Loan:
    handover = hand_over(
        system, ready_devices(system, 1), kind="loan", due_on=due_in(days), **extra
    )
    return handover.loans.get()


def test_a_loan_is_extended_within_the_limits(system: Actor) -> None:
    loan = _loan(system, 30)
    with override_settings(LENDING_LOAN_MAX_EXTENSIONS=2, LENDING_LOAN_MAX_TOTAL_DAYS=120):
        with pytest.raises(ValidationFailed):  # not later than now
            services.loan_extend(actor=system, loan_id=loan.pk, due_on=due_in(20))
        with pytest.raises(Conflict) as too_long:
            services.loan_extend(actor=system, loan_id=loan.pk, due_on=due_in(121))
        assert too_long.value.code == "loan_too_long"
        services.loan_extend(actor=system, loan_id=loan.pk, due_on=due_in(60))
        services.loan_extend(actor=system, loan_id=loan.pk, due_on=due_in(90))
        with pytest.raises(Conflict) as refused:
            services.loan_extend(actor=system, loan_id=loan.pk, due_on=due_in(100))
        assert refused.value.code == "too_many_extensions"
    loan.refresh_from_db()
    assert (loan.due_on, loan.extensions) == (due_in(90), 2)


def test_an_extension_starts_the_reminders_again(system: Actor) -> None:
    loan = _loan(system, 5)
    services.loans_remind_community(system.community)
    loan.refresh_from_db()
    assert loan.last_reminder == "before"
    services.loan_extend(actor=system, loan_id=loan.pk, due_on=due_in(40))
    loan.refresh_from_db()
    assert (loan.last_reminder, loan.reminder_via) == ("", "")


def test_a_return_is_checked_and_the_device_must_be_wiped_again(system: Actor) -> None:
    loan = _loan(system)
    with pytest.raises(ValidationFailed):  # damaged: say what
        services.loan_return(actor=system, loan_id=loan.pk, complete=True, damaged=True)
    services.loan_return(
        actor=system, loan_id=loan.pk, complete=False, damaged=False, note="charger missing"
    )
    loan.refresh_from_db()
    assert (loan.state, loan.returned_complete, loan.return_note) == (
        "returned",
        False,
        "charger missing",
    )
    device = Device.objects.get(pk=loan.device_id)
    assert device.state == "returned"
    with pytest.raises(Conflict):  # nothing but a wipe (or repair) after a return
        hand_over(system, [device])
    with pytest.raises(Conflict):
        services.device_record_event(actor=system, device_id=device.pk, kind="available")
    with pytest.raises(Conflict) as closed:
        services.loan_return(actor=system, loan_id=loan.pk, complete=True, damaged=False)
    assert closed.value.code == "loan_closed"
    services.device_record_event(actor=system, device_id=device.pk, kind="wiped", evidence=EVIDENCE)
    for step in ("checked", "available"):
        services.device_record_event(actor=system, device_id=device.pk, kind=step)
    assert hand_over(system, [device]).items.count() == 1


def test_a_lost_device_closes_the_loan_and_is_written_off(system: Actor) -> None:
    loan = _loan(system)
    services.loan_mark_lost(actor=system, loan_id=loan.pk, note="moved abroad")
    loan.refresh_from_db()
    assert loan.state == "lost"
    assert Device.objects.get(pk=loan.device_id).state == "written_off"
    with pytest.raises(Conflict):
        services.loan_extend(actor=system, loan_id=loan.pk, due_on=due_in(90))


def test_only_counter_staff_extend_or_take_back(community: Any, system: Actor) -> None:
    loan = _loan(system)
    volunteer = Actor(community=community, label="v", permissions=frozenset({"lending.view"}))
    with pytest.raises(PermissionDenied):
        services.loan_extend(actor=volunteer, loan_id=loan.pk, due_on=due_in(60))
    with pytest.raises(PermissionDenied):
        services.loan_return(actor=volunteer, loan_id=loan.pk, complete=True, damaged=False)


# --- reminders --------------------------------------------------------------------------------------


def _today() -> date:
    return services.handovers._today()


@pytest.fixture
def people(system: Actor, make_person: Any) -> dict[str, Any]:
    return {
        "sms": make_person(
            system, first_name="Sam", phone="0470 11 22 33",
            consents={"contact_sms": True, "contact_email": True}, email="sam@example.org",
        ),
        "email": make_person(
            system, first_name="Eva", phone="0470 11 22 44",
            email="eva@example.org", consents={"contact_email": True},
        ),
        "call": make_person(
            system, first_name="Karel", phone="09 223 44 55",
            consents={"contact_phone": True},
        ),
        "none": make_person(
            system, first_name="Nora", phone="0470 11 22 55",
            email="nora@example.org",
        ),
    }  # fmt: skip


def test_reminders_go_only_the_way_each_person_allows(
    system: Actor, people: dict[str, Any]
) -> None:
    loans = {who: _loan(system, 7, person_id=p.pk, recipient_name="") for who, p in people.items()}
    sent = services.loans_remind_community(system.community)
    assert sent == {"sms": 1, "email": 1, "call": 1, "staff": 1}
    for who, loan in loans.items():
        loan.refresh_from_db()
        assert (loan.last_reminder, loan.reminder_via) == (
            "before",
            who if who != "none" else "staff",
        )
    sms = Message.objects.get(person=people["sms"])
    assert sms.channel == "sms" and loans["sms"].device.label in sms.body
    assert Message.objects.get(person=people["email"]).channel == "email"
    assert not Message.objects.filter(person=people["none"]).exists()  # no consent: nothing
    assert not Message.objects.filter(person=people["call"]).exists()
    call = Call.objects.get(purpose="lending.reminder")
    assert (call.subject_id, call.to_number) == (loans["call"].pk, "+3292234455")


def test_the_call_reads_the_due_date_in_the_person_s_language(
    system: Actor, make_person: Any
) -> None:
    from buurtkit.lending.calls import reminder_flow

    person = make_person(
        system, first_name="Marie", phone="09 223 44 66",
        preferred_language="fr", consents={"contact_phone": True},
    )  # fmt: skip
    loan = _loan(system, 7, person_id=person.pk, recipient_name="")
    services.loans_remind_community(system.community)
    call = Call.objects.get(purpose="lending.reminder")
    assert call.language == "fr"
    said = " ".join(getattr(v, "text", "") for v in reminder_flow(call, "start", "", ""))
    assert "prêté" in said or "emprunté" in said
    assert str(loan.due_on.year) in said


def test_each_stage_is_sent_once_per_loan(system: Actor, people: dict[str, Any]) -> None:
    loan = _loan(system, 10, person_id=people["sms"].pk, recipient_name="")
    today = _today()
    steps = [
        (today, ""),  # 10 days before: nothing yet
        (today + timedelta(days=3), "before"),  # 7 days before
        (today + timedelta(days=4), "before"),  # the next night: not again
        (today + timedelta(days=10), "due"),
        (today + timedelta(days=10), "due"),  # a second sweep the same day
        (today + timedelta(days=17), "after"),
        (today + timedelta(days=40), "after2"),
        (today + timedelta(days=60), "after2"),
    ]
    for day, stage in steps:
        services.loans_remind_community(system.community, today=day)
        loan.refresh_from_db()
        assert loan.last_reminder == stage, day
    assert Message.objects.filter(person=people["sms"]).count() == 4


def test_a_sweep_after_days_off_sends_only_the_current_stage(
    system: Actor, people: dict[str, Any]
) -> None:
    loan = _loan(system, 3, person_id=people["sms"].pk, recipient_name="")
    services.loans_remind_community(system.community, today=_today() + timedelta(days=12))
    loan.refresh_from_db()
    assert loan.last_reminder == "after"
    assert Message.objects.filter(person=people["sms"]).count() == 1


def test_closed_loans_are_never_reminded(system: Actor, people: dict[str, Any]) -> None:
    loan = _loan(system, 3, person_id=people["sms"].pk, recipient_name="")
    services.loan_return(actor=system, loan_id=loan.pk, complete=True, damaged=False)
    assert services.loans_remind_community(system.community) == {}
    assert not Message.objects.exists()


def test_loans_that_need_nothing_cost_no_query_each(
    system: Actor, people: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    """The sweep reads the loans that need a reminder in one query: loans far from their due
    date, or reminded already, are never loaded one by one."""
    quiet = _loan(system, 100, person_id=people["sms"].pk, recipient_name="")
    template = Loan.objects.get(pk=quiet.pk)
    Loan.objects.bulk_create(
        [
            Loan(
                community=system.community,
                handover=template.handover,
                device=Device.objects.create(
                    community=system.community,
                    label=f"X-{i}",
                    kind="laptop",
                    state="handed_over",
                    state_changed_at=clock.now(),
                ),
                due_on=due_in(-30 if i % 2 else 90),
                last_reminder="after2" if i % 2 else "",
            )
            for i in range(200)
        ]
    )
    with django_assert_max_num_queries(4):
        assert services.loans_remind_community(system.community) == {}
    assert not Message.objects.exists()


def test_the_sweep_is_a_daily_job_over_every_community(
    system: Actor, other_system: Actor, people: dict[str, Any]
) -> None:
    job = scheduler.JOBS["loans_remind"]
    assert isinstance(job.schedule, scheduler.DailyAt)
    _loan(system, 2, person_id=people["sms"].pk, recipient_name="")
    _loan(other_system, 2)
    assert services.loans_remind() == "sms: 1, staff: 1"
    assert services.loans_remind() == "nothing to send"


def test_without_a_public_address_a_call_becomes_a_task_for_staff(
    system: Actor, people: dict[str, Any]
) -> None:
    """A server that cannot place calls (no public address for the webhooks) lists the loan as
    "not reached" for staff to phone, instead of failing the whole sweep."""
    loan = _loan(system, 7, person_id=people["call"].pk, recipient_name="")
    with override_settings(PUBLIC_URL="", PUBLIC_URL_REQUIRED=True):
        assert services.loans_remind_community(system.community) == {"staff": 1}
    loan.refresh_from_db()
    assert (loan.last_reminder, loan.reminder_via) == ("before", "staff")
    assert not Call.objects.exists()
    from buurtkit.lending.selectors import loans_list

    assert list(loans_list(actor=system, due="unreached")) == [loan]  # on the loans page
