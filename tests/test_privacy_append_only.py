"""Append-only rows stay append-only, except for the text anonymising clears (issue 18).

On PostgreSQL the triggers refuse an UPDATE outside ``core.anonymising.unlocked()`` and,
inside it, any UPDATE that touches more than the text columns that can hold a person's
traces; deletes are always refused. The ORM guards refuse as before on both engines.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from buurtkit.audit.models import AuditEvent, AuditImmutable
from buurtkit.core.actor import Actor
from buurtkit.core.anonymising import force_update, unlocked
from buurtkit.ledger.models import Transfer, TransferImmutable
from tests.ledger.conftest import make_circle


def test_the_orm_still_refuses_updates(system: Actor) -> None:
    make_circle(system)
    with pytest.raises(TransferImmutable):
        Transfer.objects.filter(community=system.community).update(description="x")
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(community=system.community).update(actor_label="x")


def test_unlocked_needs_a_transaction() -> None:
    with pytest.raises(RuntimeError), unlocked():
        pass


@pytest.mark.django_db(transaction=True)
def test_triggers_let_only_anonymising_text_changes_through(system: Actor) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the triggers exist on PostgreSQL only")
    make_circle(system)
    transfers = Transfer.objects.filter(community=system.community)
    first = transfers.order_by("id").first()
    assert first is not None
    one = Transfer.objects.filter(pk=first.pk)
    with pytest.raises(DatabaseError), transaction.atomic():
        force_update(one, description="outside")
    with pytest.raises(DatabaseError), transaction.atomic(), unlocked():
        force_update(one, amount=first.amount + 1)
    with pytest.raises(DatabaseError), transaction.atomic(), unlocked():
        force_update(one, description="", amount=first.amount + 1)
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        unlocked(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM ledger_transfer WHERE id = %s", [first.pk])
    with transaction.atomic(), unlocked():
        assert force_update(one, description="cleared", actor_label="anonymised") == 1
    first.refresh_from_db()
    assert (first.description, first.actor_label) == ("cleared", "anonymised")
    # The setting ends with the transaction: the next one is refused again.
    with pytest.raises(DatabaseError), transaction.atomic():
        force_update(one, description="again")
    event = AuditEvent.objects.filter(community=system.community).first()
    assert event is not None
    with pytest.raises(DatabaseError), transaction.atomic(), unlocked():
        force_update(AuditEvent.objects.filter(pk=event.pk), verb="changed")
    with transaction.atomic(), unlocked():
        force_update(AuditEvent.objects.filter(pk=event.pk), actor_label="anonymised")
