"""Staff pages for issuing: reward, second approval, budgets, payout list."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.ledger import services
from buurtkit.ledger.models import PendingReward, Transfer
from buurtkit.people.selectors import actor_for_user
from tests.ledger.conftest import Circle


def staff(circle: Circle, make_login: Any, role: str) -> tuple[Client, Actor]:
    user = make_login(circle.actor.community, role)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    actor = actor_for_user(user=user, community=circle.actor.community)
    assert actor is not None
    return client, actor


def budget(circle: Circle, amount: int = 1000) -> None:
    today = date.today()
    services.budget_create(
        actor=circle.actor,
        account_id=circle.issuer.pk,
        starts_on=today.replace(day=1),
        ends_on=date(today.year + 1, 1, 1)
        if today.month == 12
        else today.replace(month=today.month + 1, day=1),
        amount=amount,
    )


def test_reward_form_pays_small_rewards_and_queues_large_ones(
    circle: Circle, make_login: Any
) -> None:
    budget(circle)
    client, _actor = staff(circle, make_login, "coordinator")
    page = client.get("/rabot/ledger/issuing/?q=Bob").content.decode()
    assert "Bob" in page and "Give the reward" in page
    before = Transfer.objects.count()
    small = {
        "q": "Bob",
        "resident": circle.bob.pk,
        "issuer": circle.issuer.pk,
        "amount": "10",
        "reason": "garden",
        "idempotency_key": "page-small",
    }
    assert client.post("/rabot/ledger/issuing/reward/", small).status_code == 302
    assert client.post("/rabot/ledger/issuing/reward/", small).status_code == 302  # double click
    assert Transfer.objects.count() == before + 1
    large = {**small, "amount": "150", "idempotency_key": "page-large"}
    client.post("/rabot/ledger/issuing/reward/", large)
    pending = PendingReward.objects.get()
    assert pending.status == "pending" and Transfer.objects.count() == before + 1
    # The person who asked cannot approve; another coordinator can, once.
    client.post(f"/rabot/ledger/issuing/pending/{pending.pk}/", {"decision": "approve"})
    pending.refresh_from_db()
    assert pending.status == "pending"
    other, _ = staff(circle, make_login, "coordinator")
    other.post(f"/rabot/ledger/issuing/pending/{pending.pk}/", {"decision": "approve"})
    other.post(f"/rabot/ledger/issuing/pending/{pending.pk}/", {"decision": "approve"})
    pending.refresh_from_db()
    assert pending.status == "approved"
    assert Transfer.objects.count() == before + 2


def test_reward_error_keeps_what_was_typed(circle: Circle, make_login: Any) -> None:
    budget(circle, amount=5)
    client, _ = staff(circle, make_login, "coordinator")
    response = client.post(
        "/rabot/ledger/issuing/reward/",
        {
            "q": "Bob",
            "resident": circle.bob.pk,
            "issuer": circle.issuer.pk,
            "amount": "50",
            "reason": "cleaning the square",
            "idempotency_key": "over-budget",
        },
    )
    assert response.status_code in (409, 422)
    page = response.content.decode()
    assert "cleaning the square" in page and 'value="50"' in page


def test_payout_list_and_csv_have_no_person_names(circle: Circle, make_login: Any) -> None:
    services.transfer_create(
        actor=circle.actor,
        debit_account_id=circle.alice.pk,
        credit_account_id=circle.merchant.pk,
        amount=120,
        idempotency_key="shop",
    )
    client, _ = staff(circle, make_login, "coordinator")
    month = date.today().strftime("%Y-%m")
    response = client.post("/rabot/ledger/issuing/redemption/", {"month": month})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    # 120 torekes at 10 cents, written as this (English) page's language writes euros (item 17)
    assert 'lang="en"' in page and "Bakkerij" in page and "€ 12.00" in page
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(response["Location"].rstrip("/") + ".csv").content.decode("utf-8-sig")
            )
        )
    )
    text = " ".join(" ".join(r) for r in rows)
    assert "Bakkerij" in text and "Alice" not in text and "Bob" not in text


def test_volunteer_and_other_community_cannot_use_issuing(
    circle: Circle, make_login: Any, other_community: Any
) -> None:
    volunteer, _ = staff(circle, make_login, "volunteer")
    assert volunteer.get("/rabot/ledger/issuing/").status_code == 403
    outsider = make_login(other_community, "coordinator")
    client = Client()
    client.force_login(outsider)
    assert client.get("/rabot/ledger/issuing/").status_code == 403
    assert client.post("/rabot/ledger/issuing/budget/", {}).status_code == 403
