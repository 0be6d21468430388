"""Anonymising leaves nothing behind (issue 18, item 1).

One resident uses every module: a login (signed in through the login page), a ledger
account with payments, a PIN, an SMS receipt, an exchange-office visit and a paid payment
request, Buurbel (SMS verification, an introduction by phone on the simulator over real
HTTP), messages, a QR form answer. After ``POST /api/v1/people/{id}/anonymise`` the WHOLE
database (every table, every column, read with plain SQL on SQLite and on PostgreSQL) and
the simulator's SMS outbox are searched for the resident's names, phone number in all its
written forms, e-mail address, login name and street: zero hits. Statistics survive.

The dump reads every table the database has, so a new module's tables are searched without
a new test; ``tests/test_privacy_registry.py`` makes sure the new module declares its data.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.ledger import services as ledger
from buurtkit.ledger.models import Account, Transfer
from buurtkit.messaging.models import Message
from buurtkit.neighbours import services as buurbel
from buurtkit.neighbours.models import IntroState
from buurtkit.people import services as people
from buurtkit.people.models import Person
from buurtkit.people.selectors import actor_for_user
from buurtkit.qrcodes import services as qr
from buurtkit.telephony import simulator
from buurtkit.telephony.models import Call
from buurtkit.telephony.simulator import SCRIPTS, Script
from tests.conftest import PASSWORD
from tests.ledger.conftest import make_circle
from tests.neighbours.conftest import profile

TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))

FIRST, LAST = "Zoëlinde", "Vercauteren"
PHONE = "+32470123456"
EMAIL = "zoelinde.vercauteren@example.org"
USERNAME = "zoelinde.v"
STREET = "Wolterslaan"
NEEDLES = (
    FIRST,
    LAST,
    PHONE,
    "0470 12 34 56",
    "0470123456",
    "470123456",
    "+32 470 12 34 56",
    EMAIL,
    USERNAME,
    STREET,
)


@pytest.fixture(autouse=True)
def _simulated_phone_network(live_server: Any, settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.TELEPHONY_PROVIDER = "simulator"
    settings.PUBLIC_URL = live_server.url
    settings.TWILIO_FROM_NUMBER = "+3293001122"
    settings.SMS_PROVIDER = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "outbox" / "sms.log")
    saved = dict(simulator.RESIDENTS)
    with clock.frozen(TUESDAY_10.astimezone(dt.UTC)):
        yield
    simulator.RESIDENTS.clear()
    simulator.RESIDENTS.update(saved)


def key() -> str:
    return uuid.uuid4().hex


def dump_hits(needles: tuple[str, ...]) -> list[str]:
    """Every (table, column, value) of the whole database that contains a needle."""
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview | bytes):
                        value = bytes(value).decode("utf-8", "replace")
                    elif not isinstance(value, str):
                        value = json.dumps(value, default=str, ensure_ascii=False)
                    found = pattern.search(value)
                    if found:
                        hits.append(f"{table}.{column}: {found.group(0)!r} in {value[:160]!r}")
    return hits


def _resident_uses_every_module(system: Actor) -> tuple[Person, dict[str, Any]]:
    person = people.person_create(
        actor=system,
        first_name=FIRST,
        last_name=LAST,
        phone="0470 12 34 56",
        email=EMAIL,
        postcode="9000",
        birth_year=1957,
        consents={"data_processing": True, "contact_sms": True, "contact_phone": True},
    )
    people.person_give_login(
        actor=system, person_id=person.pk, username=USERNAME, password=PASSWORD
    )
    # A real sign-in through the login page (sessions, login throttling's records).
    browser = Client()
    signed_in = browser.post("/accounts/login/", {"username": USERNAME, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.content[:300]
    person.refresh_from_db()
    resident = actor_for_user(user=person.user, community=system.community)
    assert resident is not None

    # Ledger: an account, money, a PIN, a payment, an SMS receipt, an exchange visit and a
    # paid payment request.
    circle = make_circle(system)
    account = ledger.account_open(actor=system, kind="resident", person_id=person.pk)
    ledger.transfer_create(
        actor=system,
        debit_account_id=circle.issuer.pk,
        credit_account_id=account.pk,
        amount=200,
        kind="reward",
        idempotency_key=key(),
        description=f"Thanks {FIRST} {LAST}, {STREET} 77",
    )
    ledger.account_set_sms_receipts(actor=system, account_id=account.pk, enabled=True)
    ledger.pin_set(actor=resident, person_id=person.pk, pin="7391")
    ledger.payment_with_pin(
        actor=resident,
        debit_account_id=account.pk,
        credit_account_id=circle.merchant.pk,
        amount=30,
        pin="7391",
        idempotency_key=key(),
        description=f"Bread for {FIRST}, {STREET} 77",
    )
    office = ledger.exchange_office_create(
        actor=system, name="Loket Rabot", organisation_id=circle.merchant.organisation_id
    )
    ledger.office_opening_float(
        actor=system, office_id=office.pk, notes={"10": 5}, idempotency_key=key()
    )
    ledger.exchange_deposit(
        actor=system.acting_for(person.pk, channel="counter"),
        office_id=office.pk,
        account_id=account.pk,
        notes={"5": 2},
        idempotency_key=key(),
    )
    request = ledger.payment_request_create(
        actor=system,
        payee_account_id=circle.merchant.pk,
        amount=15,
        idempotency_key=key(),
        description=f"Soup for {FIRST} {LAST}",
    )
    ledger.payment_request_pay(
        actor=resident, token=request.token, idempotency_key=key(), pin="7391"
    )

    # Buurbel: registered, verified by SMS code, introduced by phone to a neighbour.
    participant = buurbel.participant_register(
        actor=system, person_id=person.pk, consent=True, **profile(language="en")
    )
    buurbel.verification_start(actor=system, participant_id=participant.pk)
    code = re.search(r"\b(\d{6})\b", Message.objects.filter(person=person).latest("id").body)
    assert code
    buurbel.verification_check(actor=system, participant_id=participant.pk, code=code.group(1))
    neighbour = people.person_create(actor=system, first_name="Odilon", phone="+32470998877")
    other = buurbel.participant_register(
        actor=system, person_id=neighbour.pk, consent=True, **profile(language="en")
    )
    buurbel.participant_mark_verified(actor=system, participant_id=other.pk)
    buurbel.rules_create_default(actor=system)
    simulator.RESIDENTS[PHONE] = SCRIPTS["presses-1"]
    simulator.RESIDENTS[neighbour.phone] = Script(keys=("1",))
    run = buurbel.matching_run(actor=system)
    (match,) = buurbel.introductions_start(actor=system, run_id=run.pk)
    match.refresh_from_db()
    assert match.state == IntroState.CONNECTED

    # QR: a form answered by the signed-in resident, with their details in the answers.
    form = qr.form_create(
        actor=system,
        title={"en": "Sign up"},
        fields=[
            {"key": "name", "type": "text", "label": {"en": "Name"}, "required": True},
            {"key": "phone", "type": "phone", "label": {"en": "Phone"}},
            {"key": "email", "type": "email", "label": {"en": "E-mail"}},
            {"key": "address", "type": "text", "label": {"en": "Address"}},
        ],
    )
    qr.submission_create(
        community=system.community,
        form_id=form.pk,
        data={
            "name": f"{FIRST} {LAST}",
            "phone": "0470 12 34 56",
            "email": EMAIL,
            "address": f"{STREET} 77",
        },
        submitted_by=USERNAME,
    )
    # Places: the resident is the digibuddy on duty at a digipunt's drop-in hours.
    from buurtkit.places import services as places

    place = places.place_create(actor=system, name="Digipunt Bib", kind="digipunt")
    places.place_set_hours(
        actor=system,
        place_id=place.pk,
        hours=[{"weekday": 0, "opens": "14:00", "closes": "17:00", "kind": "drop_in",
                "digibuddy_id": person.pk}],
    )  # fmt: skip
    # Activities: the resident signs up for an IT café by phone, evaluates it on paper, and
    # is in the digibuddy register.
    from buurtkit.activities import services as activities
    from buurtkit.activities.models import Evaluation, Volunteer

    series = activities.series_create(actor=system, kind="it_cafe", title={"en": "IT café"})
    starts = clock.now() + dt.timedelta(days=3)
    session = activities.session_add(
        actor=system,
        series_id=series.pk,
        place_id=place.pk,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        capacity=10,
    )
    activities.registration_create(
        actor=system, session_id=session.pk, person_id=person.pk, channel="phone"
    )
    Evaluation.objects.create(
        community=system.community, series=series, person=person, channel="paper",
        satisfaction=5, learned=f"{FIRST} can now e-mail", suggestion=f"call me on {PHONE}",
        created_at=clock.now(),
    )  # fmt: skip
    Volunteer.objects.create(
        community=system.community, person=person, note=f"{FIRST} {LAST}, {STREET} 77"
    )
    # Device bank: the OCMW asks a laptop on loan for the resident (named), it is handed over
    # at the counter with their signature, and they report it broken.
    from buurtkit.lending import services as lending
    from tests.lending.handover_kit import due_in, hand_over, ready_devices

    (laptop,) = ready_devices(system, 1)
    referral = lending.referral_file(
        actor=system, organisation_id=people.organisation_create(
            actor=system, name="OCMW", slug="ocmw-privacy", kind="social_welfare"
        ).pk,
        client_ref="DOS-1", kind="laptop", purpose=f"homework of {FIRST}'s son",
        eligibility="low_income", wished="loan", person_id=person.pk,
    )  # fmt: skip
    lending.referral_match(actor=system, referral_id=referral.pk, device_id=laptop.pk)
    handover = hand_over(
        system, [laptop], kind="loan", person_id=person.pk, referral_id=referral.pk,
        recipient_name=f"{FIRST} {LAST}", due_on=due_in(60),
        connectivity_note=f"{STREET} 77 has no fibre",
    )  # fmt: skip
    lending.repair_open(
        actor=system, device_id=laptop.pk, problem=f"{FIRST} says the screen is black"
    )
    figures_lending = (handover.kind, handover.items.count())
    calls = Call.objects.filter(community=system.community)
    figures = {
        "lending": figures_lending,
        "balance": Account.objects.get(pk=account.pk).balance,
        "transfers": Transfer.objects.filter(community=system.community).count(),
        "calls": calls.count(),
        "durations": sorted(calls.values_list("duration_seconds", flat=True)),
        "costs": sorted(calls.values_list("price_micros", flat=True)),
        "messages": Message.objects.filter(community=system.community).count(),
    }
    return person, figures


def test_anonymising_leaves_no_trace_in_the_whole_database(
    system: Actor, community: Any, api: Any, settings: Any
) -> None:
    person, before = _resident_uses_every_module(system)
    # Every module really holds the resident's data before (the test would prove nothing
    # otherwise): the dump finds each needle.
    before_hits = "\n".join(dump_hits(NEEDLES))
    for needle in (FIRST, LAST, PHONE, EMAIL, USERNAME, STREET):
        assert needle.lower() in before_hits.lower(), needle
    for table in ("ledger_account", "telephony_call", "telephony_callevent", "qrcodes_submission"):
        assert f"{table}." in before_hits, table

    coordinator = api(community, ["coordinator"])
    # Item 2: the GDPR export has a section per module with what it holds.
    export = coordinator.get(f"/api/v1/people/{person.pk}/export").json()
    ledger_part = export["ledger"]
    assert [a["name"] for a in ledger_part["accounts"]] == [f"{FIRST} {LAST}"]
    assert {t["kind"] for t in ledger_part["transfers"]} >= {"reward", "payment", "exchange_in"}
    assert ledger_part["pin"]["wrong_tries"] == 0 and "pin_hash" not in json.dumps(ledger_part)
    assert ledger_part["exchange_office_visits"][0]["office"] == "Loket Rabot"
    assert [r["description"] for r in ledger_part["payment_requests"]] == [
        f"Soup for {FIRST} {LAST}"
    ]
    assert export["buurbel"][0]["phone_verified_at"]
    assert len(export["telephony"]) == 2 and export["telephony"][0]["to"] == PHONE
    assert export["qrcodes"][0]["answers"]["address"] == f"{STREET} 77"
    assert export["messages"][0]["to"] == PHONE
    assert export["lending"]["handovers"][0]["kind"] == "loan"
    assert export["lending"]["repairs"][0]["problem"] == f"{FIRST} says the screen is black"
    assert export["activities"]["registrations"][0]["channel"] == "phone"
    assert export["activities"]["evaluations"][0]["suggestion"] == f"call me on {PHONE}"
    assert export["activities"]["digibuddy"]["note"] == f"{FIRST} {LAST}, {STREET} 77"

    response = coordinator.post(f"/api/v1/people/{person.pk}/anonymise")
    assert response.status_code == 200, response.content

    assert dump_hits(NEEDLES) == []
    outbox = Path(settings.SMS_FILE_PATH).read_text(encoding="utf-8")
    assert outbox.count("\n") >= 1  # the SMS lines stay, without the traces
    assert not re.search("|".join(re.escape(n) for n in NEEDLES), outbox, re.IGNORECASE)

    # Statistics survive: money, counts, durations, costs.
    calls = Call.objects.filter(community=community)
    from buurtkit.lending.models import HandOver

    survived = HandOver.objects.get(person=person)
    assert not survived.signature_png and not survived.agreement_pdf
    assert before == {
        "lending": (survived.kind, survived.items.count()),
        "balance": Account.objects.get(person=person).balance,
        "transfers": Transfer.objects.filter(community=community).count(),
        "calls": calls.count(),
        "durations": sorted(calls.values_list("duration_seconds", flat=True)),
        "costs": sorted(calls.values_list("price_micros", flat=True)),
        "messages": Message.objects.filter(community=community).count(),
    }
