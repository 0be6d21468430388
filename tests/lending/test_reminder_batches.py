"""The nightly loan reminders in batches (``notify_many``): a sweep that dies halfway and is
run again sends each reminder exactly once, and a batch makes one send task."""

from __future__ import annotations

from typing import Any

import pytest

from buurtkit.core.actor import Actor
from buurtkit.lending import services
from buurtkit.lending.models import Loan
from buurtkit.messaging import services as messaging
from buurtkit.messaging.models import Message
from tests.lending.handover_kit import due_in, hand_over, ready_devices

pytestmark = pytest.mark.django_db


class Crash(Exception):
    pass


def _loans(system: Actor, make_person: Any, n: int) -> list[Loan]:
    loans = []
    for i in range(n):
        person = make_person(
            system, first_name=f"Lener{i}", phone=f"0470 62 11 {i:02d}",
            consents={"contact_sms": True},
        )  # fmt: skip
        handover = hand_over(
            system, ready_devices(system, 1), kind="loan", due_on=due_in(7),
            person_id=person.pk, recipient_name="",
        )  # fmt: skip
        loans.append(handover.loans.get())
    return loans


def test_a_sweep_that_dies_halfway_sends_each_reminder_once_when_run_again(
    system: Actor, make_person: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    loans = _loans(system, make_person, 5)
    monkeypatch.setattr(services.handovers, "REMIND_BATCH", 2)
    real = messaging.notify_many
    calls: list[int] = []

    def dies_on_the_second_batch(**kwargs: Any) -> Any:
        calls.append(len(kwargs["notices"]))
        if len(calls) == 2:
            raise Crash
        return real(**kwargs)

    monkeypatch.setattr(messaging, "notify_many", dies_on_the_second_batch)
    with pytest.raises(Crash):
        services.loans_remind_community(system.community)
    # The first batch is done and marked; the second left nothing behind.
    assert Message.objects.count() == 2
    assert Loan.objects.filter(last_reminder="before").count() == 2

    monkeypatch.setattr(messaging, "notify_many", real)
    assert services.loans_remind_community(system.community) == {"sms": 3}
    assert services.loans_remind_community(system.community) == {}
    for loan in loans:
        assert Message.objects.filter(idempotency_key__startswith=f"lending-reminder-{loan.pk}-")
        loan.refresh_from_db()
        assert (loan.last_reminder, loan.reminder_via) == ("before", "sms")
    assert Message.objects.count() == 5


def test_a_batch_of_reminders_is_one_send_task(
    system: Actor, make_person: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _loans(system, make_person, 3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.loans_remind_community(system.community) == {"sms": 3}
    assert len(callbacks) == 1
