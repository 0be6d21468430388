"""SMS receipts: an opted-in receiver gets one text message per payment, in their language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from buurtkit.core.actor import Actor
from buurtkit.core.errors import PermissionDenied, ValidationFailed
from buurtkit.ledger import services
from buurtkit.ledger.models import Transfer
from buurtkit.messaging.models import Message
from buurtkit.messaging.providers import MemorySmsProvider
from buurtkit.people.services import person_create, person_record_consent
from tests.ledger.conftest import Circle, key

PIN = "4826"


@pytest.fixture(autouse=True)
def outbox(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> Iterator[list[dict[str, str]]]:
    settings.SMS_PROVIDER = "memory"
    MemorySmsProvider.outbox.clear()
    global _commits
    _commits = django_capture_on_commit_callbacks
    yield MemorySmsProvider.outbox
    MemorySmsProvider.outbox.clear()


_commits: Any = None


def committed(call: Any, **kwargs: Any) -> Any:
    """Run a service as its own committed transaction would: the after-commit work runs too."""
    with _commits(execute=True):
        return call(**kwargs)


def reachable(circle: Circle, person_id: int, language: str = "en") -> None:
    """A mobile number and consent to text messages, as recorded on the person page."""
    from buurtkit.people.models import Person

    Person.objects.filter(pk=person_id).update(
        phone="+32470123456", phone_kind="mobile", preferred_language=language
    )
    person_record_consent(actor=circle.actor, person_id=person_id, kind="contact_sms", granted=True)


def pay(circle: Circle, amount: int = 5, idempotency_key: str = "", **kw: Any) -> Transfer:
    return committed(
        services.transfer_create,
        actor=circle.actor,
        debit_account_id=kw.get("debit", circle.alice).pk,
        credit_account_id=kw.get("credit", circle.bob).pk,
        amount=amount,
        idempotency_key=idempotency_key or key(),
    )


def test_opted_in_resident_gets_one_sms_per_payment_in_their_language(
    circle: Circle, outbox: list[dict[str, str]]
) -> None:
    reachable(circle, circle.bob.person_id, language="en")
    services.account_set_sms_receipts(actor=circle.actor, account_id=circle.bob.pk, enabled=True)
    first = pay(circle, 5, "pay-1")
    pay(circle, 1)
    assert [m["to"] for m in outbox] == ["+32470123456", "+32470123456"]
    # The currency has Dutch names only; the sentence is in the receiver's language.
    assert outbox[0]["body"] == "You received 5 torekes from Alice. New balance: 5 torekes."
    assert "New balance: 6 torekes." in outbox[1]["body"]
    assert Message.objects.filter(idempotency_key=f"ledger-receipt-{first.pk}").count() == 1
    # A retry of the same payment (same key) pays nothing and sends nothing.
    assert pay(circle, 5, "pay-1").replayed
    assert len(outbox) == 2
    # Sending the receipt of a transfer again does not send a second SMS.
    committed(services.payment_receipt_send, transfer_id=first.pk)
    assert len(outbox) == 2
    assert Message.objects.count() == 2


def test_dutch_receiver_reads_dutch(circle: Circle, outbox: list[dict[str, str]]) -> None:
    reachable(circle, circle.bob.person_id, language="nl")
    services.account_set_sms_receipts(actor=circle.actor, account_id=circle.bob.pk, enabled=True)
    with translation.override("en"):  # the payer's language does not matter
        pay(circle, 1)
    message = Message.objects.get()
    assert message.language == "nl"
    with translation.override("nl"):
        sentence = gettext("You received %(amount)s from %(payer)s. New balance: %(balance)s.")
    assert message.body == sentence % {
        "amount": "1 toreke",
        "payer": "Alice",
        "balance": "1 toreke",
    }


def test_not_opted_in_gets_nothing(circle: Circle, outbox: list[dict[str, str]]) -> None:
    reachable(circle, circle.bob.person_id)  # reachable, but did not ask for receipts
    pay(circle)
    assert outbox == []
    assert not Message.objects.exists()


def test_only_payments_get_a_receipt(circle: Circle, outbox: list[dict[str, str]]) -> None:
    reachable(circle, circle.bob.person_id)
    services.account_set_sms_receipts(actor=circle.actor, account_id=circle.bob.pk, enabled=True)
    committed(
        services.transfer_create,
        actor=circle.actor,
        debit_account_id=circle.issuer.pk,
        credit_account_id=circle.bob.pk,
        amount=5,
        kind="reward",
        idempotency_key=key(),
    )
    assert outbox == []


def test_consent_withdrawn_later_skips_the_sms_but_not_the_payment(
    circle: Circle, outbox: list[dict[str, str]]
) -> None:
    reachable(circle, circle.bob.person_id)
    services.account_set_sms_receipts(actor=circle.actor, account_id=circle.bob.pk, enabled=True)
    person_record_consent(
        actor=circle.actor, person_id=circle.bob.person_id, kind="contact_sms", granted=False
    )
    transfer = pay(circle)
    assert Transfer.objects.filter(pk=transfer.pk).exists()
    assert outbox == []


def test_opt_in_needs_a_mobile_number_and_consent(circle: Circle) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.account_set_sms_receipts(
            actor=circle.actor, account_id=circle.bob.pk, enabled=True
        )
    assert err.value.code == "unreachable"
    circle.bob.refresh_from_db()
    assert not circle.bob.sms_receipts


def test_shop_gets_receipts_on_its_contact_for_a_payment_request(
    circle: Circle, outbox: list[dict[str, str]]
) -> None:
    keeper = person_create(actor=circle.actor, first_name="Bakker", preferred_language="en")
    reachable(circle, keeper.pk)
    with pytest.raises(ValidationFailed):  # a shop needs someone to send them to
        services.account_set_sms_receipts(
            actor=circle.actor, account_id=circle.merchant.pk, enabled=True
        )
    services.account_set_sms_receipts(
        actor=circle.actor, account_id=circle.merchant.pk, enabled=True, contact_person_id=keeper.pk
    )
    services.pin_set(
        actor=circle.actor, person_id=circle.alice.person_id, pin=PIN, identity_checked=True
    )
    request = services.payment_request_create(
        actor=circle.actor, payee_account_id=circle.merchant.pk, amount=7, idempotency_key=key()
    )
    alice = Actor(community=circle.actor.community, label="a", person_id=circle.alice.person_id)
    for _try in range(2):
        committed(
            services.payment_request_pay,
            actor=alice,
            token=request.token,
            pin=PIN,
            idempotency_key="r1",
        )
    assert outbox == [
        {
            "to": "+32470123456",
            "body": "You received 7 torekes from Alice. New balance: 7 torekes.",
        }
    ]


def test_who_may_switch_receipts(circle: Circle) -> None:
    reachable(circle, circle.bob.person_id)
    stranger = Actor(community=circle.actor.community, label="x", person_id=circle.alice.person_id)
    with pytest.raises(PermissionDenied):
        services.account_set_sms_receipts(actor=stranger, account_id=circle.bob.pk, enabled=True)
    own = Actor(community=circle.actor.community, label="b", person_id=circle.bob.person_id)
    assert services.account_set_sms_receipts(actor=own, account_id=circle.bob.pk, enabled=True)
    assert not services.account_set_sms_receipts(
        actor=own, account_id=circle.bob.pk, enabled=False
    ).sms_receipts


def test_staff_switch_receipts_on_the_account_page(
    circle: Circle, login_client: Any, outbox: list[dict[str, str]]
) -> None:
    clerk = login_client(circle.actor.community, "counter_clerk")
    clerk.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = f"/rabot/pay/accounts/{circle.bob.pk}/"
    assert "Switch SMS receipts on" in clerk.get(url).content.decode()
    # Not reachable yet: a clear message, nothing switched.
    response = clerk.post(f"{url}sms-receipts/", {"enabled": "1"}, follow=True)
    assert "did not agree to text messages" in response.content.decode()
    circle.bob.refresh_from_db()
    assert not circle.bob.sms_receipts
    reachable(circle, circle.bob.person_id)
    response = clerk.post(f"{url}sms-receipts/", {"enabled": "1"}, follow=True)
    assert "Switch SMS receipts off" in response.content.decode()
    circle.bob.refresh_from_db()
    assert circle.bob.sms_receipts
    pay(circle)
    assert len(outbox) == 1
    # A resident cannot switch someone else's.
    other = login_client(circle.actor.community, "resident")
    other.post(f"{url}sms-receipts/", {"enabled": "0"})
    circle.bob.refresh_from_db()
    assert circle.bob.sms_receipts


def test_a_queue_that_fails_does_not_fail_the_payment(
    circle: Circle, outbox: list[dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receipt is queued after commit, robustly: the payment has committed and its answer
    is given even when the queue is down."""
    from buurtkit.core import tasks_util
    from buurtkit.ledger.services import _common

    class QueueDown:
        def enqueue(self, *args: Any, **kwargs: Any) -> None:
            raise ConnectionError("the queue is down")

    assert tasks_util.resolve_task(_common.RECEIPT_TASK).name == "send_payment_receipt"
    reachable(circle, circle.bob.person_id)
    services.account_set_sms_receipts(actor=circle.actor, account_id=circle.bob.pk, enabled=True)
    monkeypatch.setattr(tasks_util, "resolve_task", lambda task: QueueDown())
    transfer = pay(circle, 5)
    assert Transfer.objects.filter(pk=transfer.pk).exists()
    assert outbox == []
