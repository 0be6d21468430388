"""What the API tests need to know about every endpoint.

The routes come from the NinjaAPI object itself (via its OpenAPI schema). ``ENDPOINTS`` below
says, for each route, which permission it needs and how to call it. A route that is missing
from ``ENDPOINTS`` makes the isolation and permission tests fail: add it here (with its
permission and a request that succeeds for a coordinator) when you add an endpoint.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client

from buurtkit.conf.api import api as ninja_api
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community, CommunityScoped
from buurtkit.ledger import services as ledger_services
from buurtkit.ledger.models import Account, Transfer
from buurtkit.people import services as people_services
from buurtkit.people.models import Invitation, Membership, Organisation, Person

PREFIX = "/api/v1"
_seq = itertools.count(1)


#: Routes a signed-in login calls for itself, in no community (its invitations): no API key
#: reaches them, so the community matrices do not apply; tests/test_privacy_invitations.py
#: covers them, and ``test_every_route_needs_a_key`` checks they refuse a caller without one.
USER_ROUTES = {
    ("GET", f"{PREFIX}/invitations/mine"),
    ("POST", f"{PREFIX}/invitations/accept"),
}


def all_api_routes() -> list[tuple[str, str]]:
    """Every (METHOD, path template) the NinjaAPI object serves, e.g. ("GET", "/api/v1/people")."""
    schema = ninja_api.get_openapi_schema(path_prefix=PREFIX)
    return sorted(
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    )


def api_routes() -> list[tuple[str, str]]:
    """The community routes (every route but :data:`USER_ROUTES`): the matrices' routes."""
    return [route for route in all_api_routes() if route not in USER_ROUTES]


@dataclass
class Rows:
    """A small, complete set of rows in one community, made through the services."""

    community: Community
    person: Person
    organisation: Organisation
    membership: Membership
    free_username: str  # a login with no membership here yet, to grant one to
    # The community's currency circle: the person's account (with money), the organisation's
    # shop account, and one payment between them.
    account: Account
    shop: Account
    transfer: Transfer
    # An exchange office with notes in its till; the person has a payment PIN (EXCHANGE_PIN).
    office: Any = None

    pending_reward_id: int = 0  # a large reward waiting for a second person
    redemption_run_id: int = 0  # last month's conversion of the shops' balances
    # QR codes: an active code of no team (any manager may change it), a form with one answer,
    # a webhook and an ordered batch of blank codes.
    qr_code_id: int = 0
    qr_public_id: str = ""
    qr_form_id: int = 0
    qr_webhook_id: int = 0
    qr_batch_id: int = 0
    # QR reservations: a resource with one slot tomorrow and one booking in it; an entrance
    # with one person checked in.
    qr_resource_id: int = 0
    qr_slot_id: int = 0
    qr_booking_id: int = 0
    qr_point_id: int = 0
    qr_visit_id: int = 0
    payment_request_token: str = ""  # an open request of the shop, to pay or cancel
    rule_version_id: int = 0  # a Buurbel draft of the rules (a copy of the active version)
    match_run_id: int = 0  # a Buurbel matching run with the active rules
    announcement_id: int = 0  # a Buurbel announcement (text in Dutch, this week)
    price_id: int = 0  # the community's Twilio price for an SMS (seeded tables)
    match_id: int = 0  # a Buurbel introduction by phone (proposed; no call placed yet)
    flow_id: int = 0  # a draft version of Buurbel's first call flow
    participant_id: int = 0  # a Buurbel participant (mobile) with a code sent, not yet verified
    participant_code: str = ""  # the code that participant received by SMS
    place_id: int = 0  # a planned place (a digipunt) with weekly hours
    place_exception_id: int = 0  # a day that place is closed (a holiday)
    municipality_id: int = 0  # the municipality the place lies in
    device_id: int = 0  # a donated laptop of the device bank, just received
    series_id: int = 0  # an IT café (activities) at the place, with one session in 2030
    session_id: int = 0  # that session: 5 seats
    registration_id: int = 0  # another resident signed up for it at the desk
    checkin_code: str = ""  # the code in that sign-up's QR (check-in by code)
    referral_id: int = 0  # a waiting request of the organisation for a laptop (one available)
    spare_device_id: int = 0  # a tablet ready to hand out (wiped, checked, available)
    photo_id: int = 0  # a photo of the donated laptop
    ticket_id: int = 0  # an open repair ticket of another available tablet
    handover_id: int = 0  # a loan of a wiped tablet to the person, with a signed agreement
    loan_id: int = 0  # that loan (open, due in 30 days)
    ready_device_id: int = 0  # a wiped, checked, available tablet to hand over
    volunteer_id: int = 0  # a digibuddy (activities) with a duty at that session
    buddy_id: int = 0  # another digibuddy, free, to hand a duty to
    duty_id: int = 0  # the first one's duty at the session (planned)
    helpdesk_ticket_id: int = 0  # a new helpdesk ticket of the person (category itsme)
    helpdesk_category_id: int = 0  # that category (seeded)
    # hd-home: a home-help child of that ticket, with a provider's visit the visitor is at now
    helpdesk_home_id: int = 0
    helpdesk_visit_id: int = 0
    plan_id: int = 0  # a monitoring plan for 2026-2027 with one target
    survey_id: int = 0  # a before/after survey (monitoring) with one question on 1-4
    report_id: int = 0  # that plan's funder report, made (done: a PDF and an XLSX)
    hx_post_id: int = 0  # the person asks for help (open), a neighbour answered
    hx_response_id: int = 0  # that answer
    hx_deal_id: int = 0  # an agreed deal on another post of the person
    hx_neighbour_id: int = 0  # a resident who has not answered yet

    def path_values(self) -> dict[str, Any]:
        return {
            "slug": self.community.slug,
            "person_id": self.person.pk,
            "organisation_id": self.organisation.pk,
            "membership_id": self.membership.pk,
            "account_id": self.account.pk,
            "number": self.shop.number,
            "transfer_id": self.transfer.pk,
            "pending_id": self.pending_reward_id,
            "run_id": self.redemption_run_id,
            "office_id": self.office.pk if self.office else 0,
            "code_id": self.qr_code_id,
            "public_id": self.qr_public_id,
            "form_id": self.qr_form_id,
            "webhook_id": self.qr_webhook_id,
            "batch_id": self.qr_batch_id,
            "resource_id": self.qr_resource_id,
            "slot_id": self.qr_slot_id,
            "booking_id": self.qr_booking_id,
            "point_id": self.qr_point_id,
            "visit_id": self.qr_visit_id,
            "token": self.payment_request_token,
            "rule_version_id": self.rule_version_id,
            "match_run_id": self.match_run_id,
            "announcement_id": self.announcement_id,
            "price_id": self.price_id,
            "match_id": self.match_id,
            "flow_id": self.flow_id,
            "participant_id": self.participant_id,
            "place_id": self.place_id,
            "exception_id": self.place_exception_id,
            "device_id": self.device_id,
            "photo_id": self.photo_id,
            "series_id": self.series_id,
            "session_id": self.session_id,
            "registration_id": self.registration_id,
            "referral_id": self.referral_id,
            "ticket_id": self.ticket_id,
            "handover_id": self.handover_id,
            "loan_id": self.loan_id,
            "volunteer_id": self.volunteer_id,
            "duty_id": self.duty_id,
            "helpdesk_ticket_id": self.helpdesk_ticket_id,
            "helpdesk_category_id": self.helpdesk_category_id,
            "helpdesk_visit_id": self.helpdesk_visit_id,
            "plan_id": self.plan_id,
            "survey_id": self.survey_id,
            "report_id": self.report_id,
            "file_format": "pdf",
            "post_id": self.hx_post_id,
            "response_id": self.hx_response_id,
            "deal_id": self.hx_deal_id,
        }


@dataclass
class World:
    """What the API tests share (built once per module, see conftest.py)."""

    rows_a: Rows  # community A ("Rabot"), where the keys under test live
    rows_b: Rows  # community B ("Heuvelwijk"), whose rows A must never see
    empty: Community  # a community without rows, for calls refused before any lookup


def _make_circle(system: Actor, person: Person, organisation: Organisation) -> tuple[Account, ...]:
    """A currency with money issued to the organisation, rewarded to the person, one payment."""
    currency = ledger_services.currency_create(
        actor=system,
        code="TOR",
        names={"nl": {"singular": "toreke", "plural": "torekes"}},
        denominations=[1, 5, 10],
    )
    issuance = Account.objects.get(currency=currency, system_role="issuance")
    issuer = ledger_services.account_open(
        actor=system, kind="organisation", organisation_id=organisation.pk
    )
    shop = ledger_services.account_open(
        actor=system, kind="merchant", organisation_id=organisation.pk
    )
    account = ledger_services.account_open(actor=system, kind="resident", person_id=person.pk)
    for debit, credit, amount, kind in (
        (issuance, issuer, 1000, "issue"),
        (issuer, account, 500, "reward"),
        (account, shop, 20, "payment"),
    ):
        ledger_services.transfer_create(
            actor=system,
            debit_account_id=debit.pk,
            credit_account_id=credit.pk,
            amount=amount,
            kind=kind,
            idempotency_key=uuid.uuid4().hex,
        )
    return account, shop


def make_rows(community: Community) -> Rows:
    system = Actor.system(community, label="fixture")
    n = next(_seq)
    person = people_services.person_create(
        actor=system,
        first_name=f"Mira{n}",
        last_name=f"{community.slug.capitalize()}huis",
        phone="0470 12 34 56",
        email=f"mira{n}@{community.slug}.example",
        postcode="9000",
        consents={"data_processing": True},
    )
    organisation = people_services.organisation_create(
        actor=system, name=f"Bib {community.name} {n}", slug=f"bib-{n}", kind="library"
    )
    User = get_user_model()
    staff_user = User.objects.create_user(username=f"staff-{community.slug}-{n}")
    membership = people_services.membership_grant(
        actor=system, username=staff_user.username, roles=["staff"]
    )
    free = User.objects.create_user(username=f"free-{community.slug}-{n}")
    people_services.membership_invite(
        actor=system, email=f"invited{n}@example.org", roles=["staff"]
    )
    # A shop that does not accept the currency yet (POST /ledger/shops lets it).
    people_services.organisation_create(
        actor=system, name=f"Winkel {n}", slug=f"winkel-{n}", kind="merchant"
    )
    account, shop = _make_circle(system, person, organisation)
    transfer = Transfer.objects.get(debit=account, credit=shop)
    office = _make_office(system, person, organisation)
    rows = Rows(
        community, person, organisation, membership, free.username, account, shop, transfer, office
    )
    _add_issuing(system, rows)
    _add_qrcodes(system, rows)
    _add_buurbel_rules(system, rows)
    _add_announcements(system, rows)
    _add_prices(system, rows)
    _add_buurbel_introduction(system, rows)
    _add_places(system, rows)
    _add_device(system, rows)
    _add_activities(system, rows)
    _add_referral(system, rows)
    _add_handover(system, rows)
    _add_buurbel_participant(system, rows)
    _add_helpdesk(system, rows)
    _add_monitoring(system, rows)
    _add_helpexchange(system, rows)
    rows.payment_request_token = ledger_services.payment_request_create(
        actor=system,
        payee_account_id=shop.pk,
        amount=4,
        description="Brood",
        idempotency_key=uuid.uuid4().hex,
    ).token
    return rows


EXCHANGE_PIN = "4826"


def _make_office(system: Actor, person: Person, organisation: Organisation) -> Any:
    """An exchange office with a float of notes; the person gets a payment PIN (no audit event
    about the person: the GDPR export tests count those)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from buurtkit.ledger.models import PaymentPin

    office = ledger_services.exchange_office_create(
        actor=system, name="Wisselkantoor", organisation_id=organisation.pk
    )
    ledger_services.office_opening_float(
        actor=system, office_id=office.pk, notes={1: 20, 5: 10, 10: 5}, idempotency_key="float"
    )
    PaymentPin.objects.create(
        community=system.community,
        person=person,
        pin_hash=make_password(EXCHANGE_PIN),
        set_at=timezone.now(),
    )
    return office


@dataclass(frozen=True)
class Endpoint:
    """How to call one route, and what it needs.

    ``permission``: the permission a key needs; ``ok``: the status a permitted call answers;
    ``body``: the JSON body built from the target rows; ``lists``: for a list endpoint, the
    ids (or slugs) of the community's rows it should return; ``writes``: a permitted call
    changes the database (at least an audit event); ``headers``: HTTP headers to send, built
    afresh for every call (an ``Idempotency-Key``).

    ``without``: for a route that also serves callers without ``permission`` (residents see
    their own accounts and pay from them; every member may know the currency and look up
    whom to pay), the status such a caller gets instead of a 403 when the rows are not
    theirs: a list answers 200 with none of them, a row 404, a payment from them 403.
    """

    permission: str
    ok: int = 200
    body: Callable[[Rows], dict[str, Any]] | None = None
    lists: Callable[[Rows], set[Any]] | None = None
    writes: bool = False
    headers: Callable[[Rows], dict[str, str]] | None = None
    without: int | None = None
    files: Callable[[Rows], dict[str, Any]] | None = None  # a multipart upload instead of JSON
    # The body names rows of the key's community (a person, codes) that the route looks up
    # before it checks the permission: a refused call needs those rows to reach the check.
    body_looked_up: bool = False
    # The permission acts only for the caller's own organisation (rewards come from the
    # issuer's account): a key of the matrix has no organisation, so a role with the
    # permission is still refused (403) unless it manages the currency (``ledger.manage``).
    organisation_bound: bool = False
    # The permission that lifts ``organisation_bound`` (it acts for every organisation).
    unbound_by: str = "ledger.manage"
    # Another permission that also serves the route, with the caller's own rows only (a trusted
    # volunteer lists their organisation's budgets): a key has none, so it answers 200, empty.
    own_with: str | None = None


def _people_ids(rows: Rows) -> set[Any]:
    return set(Person.objects.filter(community=rows.community).values_list("id", flat=True))


def _org_ids(rows: Rows) -> set[Any]:
    return set(Organisation.objects.filter(community=rows.community).values_list("id", flat=True))


def _invitation_ids(rows: Rows) -> set[Any]:
    return set(Invitation.objects.filter(community=rows.community).values_list("id", flat=True))


def _membership_ids(rows: Rows) -> set[Any]:
    return set(Membership.objects.filter(community=rows.community).values_list("id", flat=True))


def _account_ids(rows: Rows) -> set[Any]:
    return set(Account.objects.filter(community=rows.community).values_list("id", flat=True))


def _office_ids(rows: Rows) -> set[Any]:
    from buurtkit.ledger.models import ExchangeOffice

    return set(ExchangeOffice.objects.filter(community=rows.community).values_list("id", flat=True))


def _add_issuing(system: Actor, rows: Rows) -> None:
    """A budget for this month, a large reward waiting for approval, last month's conversion."""
    from datetime import timedelta

    from buurtkit.ledger.selectors import local_today

    issuer = _issuer(rows)
    first = local_today().replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    ledger_services.budget_create(
        actor=system, account_id=issuer.pk, starts_on=first, ends_on=last, amount=2000
    )
    rows.pending_reward_id = ledger_services.reward_create(
        actor=system,
        issuer_account_id=issuer.pk,
        resident_account_id=rows.account.pk,
        amount=150,
        reason="Repair café, all day",
        idempotency_key=uuid.uuid4().hex,
    ).pending.pk
    previous = first - timedelta(days=1)
    rows.redemption_run_id = ledger_services.redemption_run(actor=system, month=previous).pk
    # The shop takes money again, so the payment above can still be corrected.
    ledger_services.transfer_create(
        actor=system,
        debit_account_id=rows.account.pk,
        credit_account_id=rows.shop.pk,
        amount=20,
        idempotency_key=uuid.uuid4().hex,
    )


QR_HOOK_URL = "https://93.184.215.14/hook"  # a public address literal: no DNS in tests


def _add_qrcodes(system: Actor, rows: Rows) -> None:
    """An active code (no team), a form with one answer, a webhook and a batch of blank codes."""
    from buurtkit.qrcodes import services as qr_services

    code = qr_services.code_create(
        actor=system,
        title="Bank Rabotpark",
        tags=["bank"],
        routes=[{"action": "redirect", "params": {"url": "https://example.org/bank"}}],
    )
    hook, _secret = qr_services.webhook_create(actor=system, name="Meldingen", url=QR_HOOK_URL)
    form = qr_services.form_create(
        actor=system,
        title={"nl": "Melding"},
        fields=[{"key": "what", "type": "text", "label": {"nl": "Wat?"}, "required": True}],
    )
    qr_services.submission_create(
        community=rows.community, form_id=form.pk, data={"what": "kapot"}, code_id=code.pk
    )
    batch = qr_services.batch_create(actor=system, size=2, title="Stickers")
    rows.qr_code_id, rows.qr_public_id = code.pk, code.code
    rows.qr_form_id, rows.qr_webhook_id, rows.qr_batch_id = form.pk, hook.pk, batch.pk
    _add_qr_presence(system, rows)


def _add_qr_presence(system: Actor, rows: Rows) -> None:
    """A bookable room with a slot tomorrow and a booking; an entrance with a visitor in."""
    from datetime import time, timedelta

    from buurtkit.qrcodes import services as qr_services
    from buurtkit.qrcodes.selectors import local_today

    room = qr_services.resource_create(actor=system, name="Vergaderzaal", capacity=5)
    (slot,) = qr_services.slots_add(
        actor=system,
        resource_id=room.pk,
        day=local_today() + timedelta(days=1),
        start=time(10, 0),
        end=time(11, 0),
    )
    booking = qr_services.booking_create(
        community=rows.community, slot_id=slot.pk, name="Mira", contact="0470 12 34 56"
    )
    point = qr_services.point_create(actor=system, name="Inkom buurthuis")
    visit = qr_services.visit_check_in(community=rows.community, point_id=point.pk, name="Mira")
    rows.qr_resource_id, rows.qr_slot_id, rows.qr_booking_id = room.pk, slot.pk, booking.pk
    rows.qr_point_id, rows.qr_visit_id = point.pk, visit.pk


def _add_announcements(system: Actor, rows: Rows) -> None:
    """A Buurbel announcement for this week, and a recording to use in one."""
    from datetime import timedelta

    from buurtkit.ledger.selectors import local_today
    from buurtkit.neighbours import services as neighbours_services
    from buurtkit.telephony import services as telephony_services

    today = local_today()
    rows.announcement_id = neighbours_services.announcement_create(
        actor=system,
        title="Straatfeest",
        text={"nl": "Zaterdag is er straatfeest."},
        starts_on=today,
        ends_on=today + timedelta(days=6),
    ).pk
    telephony_services.recording_upload(actor=system, **_recording_upload(rows))


def _recording_upload(rows: Rows) -> dict[str, Any]:
    """A small, valid WAV file (made with the ``wave`` module) with its name and language."""
    import io
    import wave

    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    upload = SimpleUploadedFile("welkom.wav", buffer.getvalue(), content_type="audio/wav")
    return {"name": "Welkom", "language": "nl", "upload": upload}


def _recording_file(rows: Rows) -> dict[str, Any]:
    values = _recording_upload(rows)
    return {"file": values["upload"], "name": values["name"], "language": values["language"]}


def _add_prices(system: Actor, rows: Rows) -> None:
    """The seeded price tables (Twilio and simulator); ``price_id`` is Twilio's SMS price."""
    from buurtkit.telephony.models import Price
    from buurtkit.telephony.services import ensure_prices

    ensure_prices(community=rows.community)
    rows.price_id = Price.objects.get(
        community=rows.community, table__provider="twilio", item="sms"
    ).pk


def _buurbel_ids(app: str, model_name: str) -> Callable[[Rows], set[Any]]:
    def ids(rows: Rows) -> set[Any]:
        model = apps.get_model(app, model_name)
        return set(model.objects.filter(community=rows.community).values_list("id", flat=True))

    return ids


def _add_buurbel_rules(system: Actor, rows: Rows) -> None:
    """Buurbel's default rules (active), a draft copy of them, and one matching run."""
    from buurtkit.neighbours import services as neighbours_services

    active = neighbours_services.rules_create_default(actor=system)
    rows.rule_version_id = neighbours_services.rule_version_create(
        actor=system, copy_of_id=active.pk, notes="Draft"
    ).pk
    rows.match_run_id = neighbours_services.matching_run(actor=system).pk


def _add_buurbel_introduction(system: Actor, rows: Rows) -> None:
    """Two verified participants, their pair's introduction (no call yet), a flow draft."""
    from buurtkit.core import clock
    from buurtkit.neighbours import services as neighbours_services
    from buurtkit.neighbours.callflows import FIRST
    from buurtkit.neighbours.models import Match, ProposedPair
    from buurtkit.telephony import services as telephony_services

    participants = []
    for phone in ("0470 55 00 01", "0470 55 00 02"):
        person = people_services.person_create(
            actor=system,
            first_name=f"Buur{next(_seq)}",
            last_name="Bel",
            phone=phone,
            consents={"data_processing": True},
        )
        participant = neighbours_services.participant_register(
            actor=system,
            person_id=person.pk,
            consent=True,
            neighbourhood="rabot",
            interests=["cards"],
            activities=["coffee"],
            call_windows=[{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"}],
            lat=51.06,
            lon=3.71,
        )
        participants.append(
            neighbours_services.participant_mark_verified(
                actor=system, participant_id=participant.pk
            )
        )
    run = neighbours_services.matching_run(actor=system)
    pair = ProposedPair.objects.get(run=run)
    now = clock.now()
    rows.match_id = Match.objects.create(
        community=rows.community,
        proposed_pair=pair,
        participant_a_id=pair.participant_a_id,
        participant_b_id=pair.participant_b_id,
        created_at=now,
        state_changed_at=now,
        actor_label="fixture",
    ).pk
    rows.flow_id = telephony_services.flow_version_create(actor=system, key=FIRST).pk


def _add_buurbel_participant(system: Actor, rows: Rows) -> None:
    """A participant with a mobile number and an SMS code sent (kept to check it)."""
    import re

    from buurtkit.messaging.models import Message
    from buurtkit.neighbours import services as neighbours_services

    person = people_services.person_create(
        actor=system,
        first_name=f"Deelnemer{next(_seq)}",
        last_name="Bel",
        phone=f"0470 56 {next(_seq) % 100:02d} 03",
        consents={"data_processing": True},
    )
    participant = neighbours_services.participant_register(
        actor=system, person_id=person.pk, consent=True, neighbourhood="rabot"
    )
    neighbours_services.verification_start(actor=system, participant_id=participant.pk)
    body = Message.objects.filter(person=person).latest("id").body
    rows.participant_id = participant.pk
    rows.participant_code = re.findall(r"\b\d{6}\b", body)[0]


def _add_places(system: Actor, rows: Rows) -> None:
    from datetime import date, time

    from buurtkit.places import services as places_services

    municipality = places_services.municipality_create(
        actor=system, name=f"Gent {next(_seq)}", postcodes=["9000"]
    )
    place = places_services.place_create(
        actor=system,
        name=f"Digipunt {rows.community.name}",
        kind="digipunt",
        street="Opgeeistenlaan 455",
        postcode="9000",
        municipality_id=municipality.pk,
        host_id=rows.organisation.pk,
    )
    places_services.place_set_hours(
        actor=system,
        place_id=place.pk,
        hours=[{"weekday": 0, "opens": time(9), "closes": time(12), "kind": "drop_in"}],
    )
    exception = places_services.place_add_exception(
        actor=system, place_id=place.pk, starts_on=date(2030, 12, 25), reason="Kerstmis"
    )
    rows.place_id, rows.place_exception_id = place.pk, exception.pk
    rows.municipality_id = municipality.pk


def _add_monitoring(system: Actor, rows: Rows) -> None:
    from datetime import date

    from buurtkit.monitoring import services as monitoring_services

    plan = monitoring_services.plan_create(
        actor=system,
        name=f"Plan {rows.community.name}",
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 12, 31),
        municipality_ids=[rows.municipality_id],
    )
    monitoring_services.target_create(
        actor=system, plan_id=plan.pk, indicator="activities.sessions_held", value=16
    )
    rows.plan_id = plan.pk
    report = monitoring_services.report_generate(actor=system, plan_id=plan.pk, kind="funder")
    rows.report_id = monitoring_services.report_build(snapshot_id=report.pk).pk
    from buurtkit.monitoring import surveys

    survey = surveys.survey_define(
        actor=system, key="skills", title={"nl": "Vaardigheden"},
        questions=[("find", {"nl": "Ik vind informatie."})],
    )  # fmt: skip
    rows.survey_id = survey.pk


def _monitoring_survey_ids(rows: Rows) -> set[Any]:
    model = apps.get_model("monitoring", "Survey")
    return set(model.objects.filter(community=rows.community).values_list("id", flat=True))


def _monitoring_plan_ids(rows: Rows) -> set[Any]:
    model = apps.get_model("monitoring", "Plan")
    return set(model.objects.filter(community=rows.community).values_list("id", flat=True))


def _monitoring_report_ids(rows: Rows) -> set[Any]:
    model = apps.get_model("monitoring", "ReportSnapshot")
    return set(model.objects.filter(community=rows.community).values_list("id", flat=True))


def _add_device(system: Actor, rows: Rows) -> None:
    from datetime import date

    from buurtkit.lending import services as lending_services

    donation = lending_services.donation_receive(
        actor=system,
        received_on=date(2026, 12, 1),
        donor_id=rows.organisation.pk,
        devices=[{"kind": "laptop", "brand": "Dell", "serial": f"SN-{rows.community.slug}"}],
    )
    rows.device_id = donation.devices.get().pk
    rows.photo_id = _device_photo(system, rows.device_id)
    tablets = lending_services.donation_receive(
        actor=system,
        received_on=date(2026, 12, 1),
        donor_name="OCMW",
        devices=[{"kind": "tablet"}, {"kind": "tablet"}],
    ).devices.order_by("label")
    for tablet in tablets:
        for kind in ("wiped", "checked", "available"):
            lending_services.device_record_event(
                actor=system,
                device_id=tablet.pk,
                kind=kind,
                evidence=WIPE if kind == "wiped" else None,
            )
    rows.spare_device_id = tablets[0].pk
    rows.ticket_id = lending_services.repair_open(
        actor=system, device_id=tablets[1].pk, problem="Scherm gebarsten"
    ).pk


def _device_photo(system: Actor, device_id: int) -> int:
    """A photo of the device (a small JPEG, as a phone would send it)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from buurtkit.lending import services as lending_services

    jpeg = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(jpeg, format="JPEG")
    upload = SimpleUploadedFile("IMG.jpg", jpeg.getvalue(), content_type="image/jpeg")
    return lending_services.device_photo_add(actor=system, device_id=device_id, upload=upload).pk


def _repair_ids(rows: Rows) -> set[Any]:
    model = apps.get_model("lending", "RepairTicket")
    return set(model.objects.filter(community=rows.community).values_list("id", flat=True))


def _add_activities(system: Actor, rows: Rows) -> None:
    from datetime import UTC, datetime

    from buurtkit.activities import services as activities

    activities.categories_ensure_defaults(actor=system)
    series = activities.series_create(actor=system, kind="it_cafe", title={"nl": "IT-café"})
    session = activities.session_add(
        actor=system,
        series_id=series.pk,
        place_id=rows.place_id,
        starts_at=datetime(2030, 3, 4, 13, tzinfo=UTC),
        ends_at=datetime(2030, 3, 4, 16, tzinfo=UTC),
        capacity=5,
    )
    other = people_services.person_create(
        actor=system, first_name="Jan", last_name=f"Desk{next(_seq)}"
    )
    (registration,), _token = activities.registration_create(
        actor=system, session_id=session.pk, person_id=other.pk, channel="desk"
    )
    rows.series_id, rows.session_id = series.pk, session.pk
    rows.registration_id = registration.pk
    from buurtkit.activities.services.checkin import link_code

    rows.checkin_code = link_code(registration, "checkin")
    activities.evaluation_create(actor=system, series_id=series.pk, satisfaction=4)
    # Two digibuddies: the first on duty at the session, the second free.
    volunteer = activities.volunteer_create(
        actor=system, person={"first_name": "Rita", "last_name": f"Buddy{next(_seq)}"}
    )
    buddy = activities.volunteer_create(
        actor=system, person={"first_name": "Karim", "last_name": f"Buddy{next(_seq)}"}
    )
    duty = activities.duty_assign(actor=system, volunteer_id=volunteer.pk, session_id=session.pk)
    rows.volunteer_id, rows.buddy_id, rows.duty_id = volunteer.pk, buddy.pk, duty.pk


def _add_helpexchange(system: Actor, rows: Rows) -> None:
    """Two requests of the person, answered by a neighbour; one answer accepted (a deal)."""
    from buurtkit.helpexchange import services as hx

    neighbour = people_services.person_create(actor=system, first_name="Nour", last_name="Hx")
    rows.hx_neighbour_id = people_services.person_create(
        actor=system, first_name="Lars", last_name="Hx"
    ).pk
    posts = [
        hx.post_create(
            actor=system,
            person_id=rows.person.pk,
            kind="request",
            category="moving",
            title=f"Kast dragen {n}",
        )
        for n in (1, 2)
    ]
    answers = [hx.post_respond(actor=system, post_id=p.pk, person_id=neighbour.pk) for p in posts]
    rows.hx_post_id = posts[0].pk
    rows.hx_response_id = answers[0].pk
    rows.hx_deal_id = hx.response_accept(actor=system, response_id=answers[1].pk).pk


def _hx_ids(model_name: str) -> Callable[[Rows], set[Any]]:
    def ids(rows: Rows) -> set[Any]:
        model = apps.get_model("helpexchange", model_name)
        return set(model.objects.filter(community=rows.community).values_list("id", flat=True))

    return ids


def _add_helpdesk(system: Actor, rows: Rows) -> None:
    """The seeded helpdesk categories and a new ticket of the person."""
    from buurtkit.helpdesk import services as helpdesk

    category = next(
        c for c in helpdesk.categories_ensure_defaults(actor=system) if c.key == "itsme-eid"
    )
    ticket = helpdesk.ticket_create(
        actor=system,
        channel="counter",
        subject="itsme",
        body="Mijn itsme werkt niet meer",
        category_id=category.pk,
        person_id=rows.person.pk,
    )
    rows.helpdesk_ticket_id, rows.helpdesk_category_id = ticket.pk, category.pk
    from datetime import timedelta

    from buurtkit.core import clock

    home = helpdesk.home_help_request(actor=system, parent_id=ticket.pk, body="Thuis helpen")
    visit = helpdesk.visit_plan(
        actor=system, ticket_id=home.pk, scheduled_at=clock.now() + timedelta(minutes=1),
        expected_minutes=60, address="Rabotstraat 1", provider="Thuishulp",
    )  # fmt: skip
    visit = helpdesk.visit_check_in(actor=system, visit_id=visit.pk)
    rows.helpdesk_home_id, rows.helpdesk_visit_id = home.pk, visit.pk


def _helpdesk_ids(model_name: str) -> Callable[[Rows], set[Any]]:
    def ids(rows: Rows) -> set[Any]:
        model = apps.get_model("helpdesk", model_name)
        return set(model.objects.filter(community=rows.community).values_list("id", flat=True))

    return ids


def _helpdesk_upcoming_visits(rows: Rows) -> set[Any]:
    model = apps.get_model("helpdesk", "HomeVisit")
    return set(
        model.objects.filter(
            community=rows.community, status__in=["planned", "checked_in"]
        ).values_list("id", flat=True)
    )


def _activity_ids(model_name: str) -> Callable[[Rows], set[Any]]:
    def ids(rows: Rows) -> set[Any]:
        model = apps.get_model("activities", model_name)
        return set(model.objects.filter(community=rows.community).values_list("id", flat=True))

    return ids


def _add_referral(system: Actor, rows: Rows) -> None:
    """A laptop on the shelf (available) and the organisation's waiting request for one."""
    from datetime import date

    from buurtkit.lending import services as lending_services

    donation = lending_services.donation_receive(
        actor=system,
        received_on=date(2026, 12, 1),
        donor_name="Barco",
        devices=[{"kind": "laptop", "serial": f"SN-shelf-{rows.community.slug}"}],
    )
    device = donation.devices.get()
    lending_services.device_record_event(
        actor=system, device_id=device.pk, kind="wiped", evidence=WIPE
    )
    for step in ("checked", "available"):
        lending_services.device_record_event(actor=system, device_id=device.pk, kind=step)
    rows.referral_id = lending_services.referral_file(
        actor=system,
        organisation_id=rows.organisation.pk,
        client_ref=f"DOS-{next(_seq)}",
        kind="laptop",
        purpose="Homework",
        eligibility="low_income",
    ).pk


def _referral_ids(rows: Rows) -> set[Any]:
    model = apps.get_model("lending", "Referral")
    return set(model.objects.filter(community=rows.community).values_list("id", flat=True))


def _ready_device(system: Actor) -> int:
    """A donated tablet, wiped with evidence, checked and available."""
    from datetime import date

    from buurtkit.lending import services as lending_services

    donation = lending_services.donation_receive(
        actor=system,
        received_on=date(2026, 12, 1),
        donor_name="Barco",
        devices=[{"kind": "tablet"}],
    )
    device = donation.devices.get()
    lending_services.device_record_event(
        actor=system, device_id=device.pk, kind="wiped", evidence=WIPE
    )
    for kind in ("checked", "available"):
        lending_services.device_record_event(actor=system, device_id=device.pk, kind=kind)
    return int(device.pk)


def _signature_url() -> str:
    import base64
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (100, 10), (200, 90), (290, 20)], fill="black", width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _handover_body(rows: Rows) -> dict[str, Any]:
    return {
        "kind": "gift",
        "device_ids": [rows.ready_device_id],
        "recipient_name": "Fatima El Amrani",
        "language": "fr",
        "signature": _signature_url(),
        "connectivity": "social_tariff",
        "identity_checked": True,
        "identity_document": "eid",
    }


def _in_days(days: int) -> str:
    from datetime import timedelta

    from buurtkit.core import clock

    return (clock.now() + timedelta(days=days)).date().isoformat()


def _add_handover(system: Actor, rows: Rows) -> None:
    from datetime import timedelta

    from buurtkit.core import clock
    from buurtkit.lending import services as lending_services

    handover = lending_services.handover_create(
        actor=system,
        kind="loan",
        device_ids=[_ready_device(system)],
        person_id=rows.person.pk,
        language="nl",
        signature_png=lending_services.signature_from_data_url(_signature_url()),
        due_on=(clock.now() + timedelta(days=30)).date(),
        connectivity="own",
        identity_checked=True,
        identity_document="eid",
        idempotency_key=uuid.uuid4().hex,
    )
    rows.handover_id, rows.loan_id = handover.pk, handover.loans.get().pk
    rows.ready_device_id = _ready_device(system)


def _lending_model_ids(model_name: str) -> Callable[[Rows], set[Any]]:
    def ids(rows: Rows) -> set[Any]:
        model = apps.get_model("lending", model_name)
        return set(model.objects.filter(community=rows.community).values_list("id", flat=True))

    return ids


def _lending_ids(rows: Rows) -> set[Any]:
    model = apps.get_model("lending", "Device")
    return set(model.objects.filter(community=rows.community).values_list("id", flat=True))


def _places_ids(model_name: str) -> Callable[[Rows], set[Any]]:
    def ids(rows: Rows) -> set[Any]:
        model = apps.get_model("places", model_name)
        return set(model.objects.filter(community=rows.community).values_list("id", flat=True))

    return ids


def _qr_ids(model_name: str) -> Callable[[Rows], set[Any]]:
    def ids(rows: Rows) -> set[Any]:
        model = apps.get_model("qrcodes", model_name)
        return set(model.objects.filter(community=rows.community).values_list("id", flat=True))

    return ids


def _qr_import_file(rows: Rows) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    slug = f"import-{rows.community.slug}-{next(_seq)}"
    content = f"slug,title,url\n{slug},Zitbank,https://example.org/zitbank\n".encode()
    return {"file": SimpleUploadedFile("codes.csv", content, content_type="text/csv")}


def _issuer(rows: Rows) -> Account:
    return Account.objects.get(organisation=rows.organisation, kind="organisation")


def _this_month(rows: Rows) -> dict[str, str]:
    from buurtkit.ledger.selectors import local_today

    return {"month": local_today().strftime("%Y-%m")}


def _ids_of(model_name: str) -> Callable[[Rows], set[Any]]:
    def ids(rows: Rows) -> set[Any]:
        model = apps.get_model("ledger", model_name)
        return set(model.objects.filter(community=rows.community).values_list("id", flat=True))

    return ids


def _new_idempotency_key(rows: Rows) -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


L = f"{PREFIX}/ledger"
Q = f"{PREFIX}/qr"
BB = f"{PREFIX}/buurbel"


P = f"{PREFIX}/places"
LD = f"{PREFIX}/lending"
WIPE = {
    "method": "NIST 800-88 purge",
    "tool": "nwipe",
    "operator": "Sofie",
    "wiped_on": "2026-12-01",
}

AC = f"{PREFIX}/activities"
HD = f"{PREFIX}/helpdesk"
MO = f"{PREFIX}/monitoring"
HX = f"{PREFIX}/helpexchange"

HX = f"{PREFIX}/helpexchange"

ENDPOINTS: dict[tuple[str, str], Endpoint] = {
    # The help exchange: staff and integrators act for residents (helpexchange.post_for).
    ("GET", f"{HX}/posts"): Endpoint("helpexchange.view", lists=_hx_ids("Post")),
    ("POST", f"{HX}/posts"): Endpoint(
        "helpexchange.post_for",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {
            "kind": "request",
            "category": "moving",
            "title": "Kast dragen",
            "person_id": rows.person.pk,
        },
    ),
    # Only the poster's side and staff see a post here (the public list is a page): others 404.
    ("GET", f"{HX}/posts/{{post_id}}"): Endpoint("helpexchange.view", without=404),
    ("POST", f"{HX}/posts/{{post_id}}/cancel"): Endpoint(
        "helpexchange.post_for", writes=True, body=lambda rows: {"reason": ""}
    ),
    ("POST", f"{HX}/posts/{{post_id}}/hide"): Endpoint(
        "helpexchange.moderate", writes=True, body=lambda rows: {"hidden": True, "reason": "spam"}
    ),
    ("POST", f"{HX}/posts/{{post_id}}/responses"): Endpoint(
        "helpexchange.post_for",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {"person_id": rows.hx_neighbour_id, "message": "Ik kan helpen"},
    ),
    ("POST", f"{HX}/responses/{{response_id}}/accept"): Endpoint(
        "helpexchange.post_for", ok=201, writes=True
    ),
    ("GET", f"{HX}/deals"): Endpoint("helpexchange.view", lists=_hx_ids("Deal")),
    ("GET", f"{HX}/deals/{{deal_id}}"): Endpoint("helpexchange.view", without=404),
    ("POST", f"{HX}/deals/{{deal_id}}/confirm"): Endpoint("helpexchange.post_for", writes=True),
    ("POST", f"{HX}/deals/{{deal_id}}/cancel"): Endpoint(
        "helpexchange.post_for", writes=True, body=lambda rows: {"reason": "ziek"}
    ),
    ("POST", f"{HX}/blocks"): Endpoint(
        "helpexchange.moderate",
        ok=201,
        writes=True,
        body=lambda rows: {"person_id": rows.person.pk, "reason": "spam"},
    ),
    ("GET", f"{HD}/tickets"): Endpoint("helpdesk.view", lists=_helpdesk_ids("Ticket")),
    ("POST", f"{HD}/tickets"): Endpoint(
        "helpdesk.handle",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {
            "channel": "phone",
            "subject": "Tax-on-web",
            "contact": {"name": "Jan", "phone": "0470 11 22 33"},
        },
    ),
    ("GET", f"{HD}/tickets/{{helpdesk_ticket_id}}"): Endpoint("helpdesk.view"),
    ("PATCH", f"{HD}/tickets/{{helpdesk_ticket_id}}"): Endpoint(
        "helpdesk.handle", writes=True, body=lambda rows: {"subject": "itsme op de gsm"}
    ),
    ("POST", f"{HD}/tickets/{{helpdesk_ticket_id}}/messages"): Endpoint(
        "helpdesk.handle",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {"kind": "note", "body": "Teruggebeld, geen antwoord"},
    ),
    ("POST", f"{HD}/tickets/{{helpdesk_ticket_id}}/status"): Endpoint(
        "helpdesk.handle",
        writes=True,
        body=lambda rows: {"status": "handed_over", "handover_to": "second_line"},
    ),
    ("POST", f"{HD}/tickets/{{helpdesk_ticket_id}}/assign"): Endpoint(
        "helpdesk.handle",
        writes=True,
        body=lambda rows: {"volunteer_id": rows.volunteer_id},
    ),
    ("GET", f"{HD}/categories"): Endpoint("helpdesk.view", lists=_helpdesk_ids("Category")),
    ("POST", f"{HD}/categories"): Endpoint(
        "helpdesk.manage",
        ok=201,
        writes=True,
        body=lambda rows: {"key": f"pension-{next(_seq)}", "name": {"nl": "Pensioen"}},
    ),
    ("PATCH", f"{HD}/categories/{{helpdesk_category_id}}"): Endpoint(
        "helpdesk.manage", writes=True, body=lambda rows: {"first_response_hours": 4}
    ),
    # hd-home: home visits (staff and integrators; digibuddies use their pages).
    ("GET", f"{HD}/visits"): Endpoint("helpdesk.view", lists=_helpdesk_upcoming_visits),
    ("POST", f"{HD}/visits"): Endpoint(
        "helpdesk.handle",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {
            "ticket_id": rows.helpdesk_home_id,
            "scheduled_at": "2030-05-06T10:00:00+02:00",
            "expected_minutes": 30,
            "address": "Rabotstraat 2",
            "provider": "Thuishulp",
        },
    ),
    ("GET", f"{HD}/visits/{{helpdesk_visit_id}}"): Endpoint("helpdesk.view"),
    # The visit is under way (checked in): checking in again answers it as it is.
    ("POST", f"{HD}/visits/{{helpdesk_visit_id}}/check-in"): Endpoint("helpdesk.handle"),
    ("POST", f"{HD}/visits/{{helpdesk_visit_id}}/check-out"): Endpoint(
        "helpdesk.handle", writes=True, body=lambda rows: {"report": "itsme staat op de gsm"}
    ),
    ("POST", f"{HD}/visits/{{helpdesk_visit_id}}/report"): Endpoint(
        "helpdesk.handle", writes=True, body=lambda rows: {"report": "itsme staat op de gsm"}
    ),
    ("POST", f"{HD}/visits/{{helpdesk_visit_id}}/close"): Endpoint(
        "helpdesk.handle", writes=True, body=lambda rows: {"status": "no_show"}
    ),
    ("GET", f"{MO}/indicators"): Endpoint("monitoring.view"),
    ("GET", f"{MO}/values"): Endpoint("monitoring.view"),
    ("GET", f"{MO}/plans"): Endpoint("monitoring.view", lists=_monitoring_plan_ids),
    ("GET", f"{MO}/reach"): Endpoint("monitoring.view"),
    ("GET", f"{MO}/people/{{person_id}}/track"): Endpoint("monitoring.track"),
    ("GET", f"{MO}/surveys"): Endpoint("monitoring.view", lists=_monitoring_survey_ids),
    ("GET", f"{MO}/surveys/{{survey_id}}/report"): Endpoint("monitoring.view"),
    ("POST", f"{MO}/surveys/{{survey_id}}/responses"): Endpoint(
        "monitoring.surveys",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {
            "phase": "before",
            "answers": {"find": 2},
            "pairing_code": f"P{next(_seq)}",
        },
    ),
    ("POST", f"{MO}/plans"): Endpoint(
        "monitoring.manage",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {
            "name": f"Plan {next(_seq)}",
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
        },
    ),
    ("GET", f"{MO}/plans/{{plan_id}}"): Endpoint("monitoring.view"),
    ("GET", f"{MO}/plans/{{plan_id}}/targets"): Endpoint("monitoring.view"),
    ("POST", f"{MO}/plans/{{plan_id}}/targets"): Endpoint(
        "monitoring.manage",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {
            "value": 320,
            "indicator": "activities.participations",
            "breakdown": "kind:it_cafe",
        },
    ),
    ("GET", f"{MO}/plans/{{plan_id}}/reports"): Endpoint(
        "monitoring.view", lists=_monitoring_report_ids
    ),
    ("POST", f"{MO}/plans/{{plan_id}}/reports"): Endpoint(
        "monitoring.manage",
        ok=202,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {"kind": "funder", "language": "en"},
    ),
    ("GET", f"{MO}/reports/{{report_id}}"): Endpoint("monitoring.view"),
    ("GET", f"{MO}/reports/{{report_id}}/files/{{file_format}}"): Endpoint("monitoring.view"),
    ("GET", f"{AC}/categories"): Endpoint("activities.view", lists=_activity_ids("Category")),
    ("GET", f"{AC}/series"): Endpoint("activities.view", lists=_activity_ids("Series")),
    ("POST", f"{AC}/series"): Endpoint(
        "activities.manage",
        ok=201,
        writes=True,
        body=lambda rows: {"kind": "course", "title": {"nl": "Veilig online"}},
    ),
    ("GET", f"{AC}/series/{{series_id}}"): Endpoint("activities.view"),
    ("POST", f"{AC}/series/{{series_id}}/sessions"): Endpoint(
        "activities.manage",
        ok=201,
        writes=True,
        body=lambda rows: {
            "place_id": rows.place_id,
            "starts_at": "2030-03-11T13:00:00Z",
            "ends_at": "2030-03-11T16:00:00Z",
            "capacity": 12,
        },
    ),
    ("GET", f"{AC}/sessions"): Endpoint("activities.view", lists=_activity_ids("Session")),
    ("GET", f"{AC}/sessions/{{session_id}}"): Endpoint("activities.view"),
    ("GET", f"{AC}/sessions/{{session_id}}/registrations"): Endpoint(
        "activities.view", lists=_activity_ids("Registration")
    ),
    # A partner (activities.register without activities.view) signs up, cancels and accepts
    # only as and for their own organisation (act-ops): organisation-bound for them.
    ("POST", f"{AC}/sessions/{{session_id}}/registrations"): Endpoint(
        "activities.register",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {"person_id": rows.person.pk, "channel": "phone"},
        organisation_bound=True,
        unbound_by="activities.view",
    ),
    ("POST", f"{AC}/registrations/{{registration_id}}/cancel"): Endpoint(
        "activities.register", writes=True, organisation_bound=True, unbound_by="activities.view"
    ),
    ("POST", f"{AC}/registrations/{{registration_id}}/accept"): Endpoint(
        "activities.register", organisation_bound=True, unbound_by="activities.view"
    ),
    ("POST", f"{AC}/sessions/{{session_id}}/attendance"): Endpoint(
        "activities.attend",
        writes=True,
        body=lambda rows: {"registration_id": rows.registration_id},
    ),
    # act-buddy (issue 13): the digibuddy register.
    ("GET", f"{AC}/volunteers"): Endpoint(
        "activities.volunteers", lists=_activity_ids("Volunteer")
    ),
    ("POST", f"{AC}/volunteers"): Endpoint(
        "activities.volunteers",
        ok=201,
        writes=True,
        body=lambda rows: {
            "person": {"first_name": "Olena", "last_name": f"Buddy{next(_seq)}"},
            "languages": ["uk", "nl"],
            "availability": {"tue": ["afternoon"]},
        },
    ),
    ("GET", f"{AC}/volunteers/{{volunteer_id}}"): Endpoint("activities.volunteers"),
    ("PATCH", f"{AC}/volunteers/{{volunteer_id}}"): Endpoint(
        "activities.volunteers",
        writes=True,
        body=lambda rows: {"skills": ["itsme"], "home_visits": True},
    ),
    ("POST", f"{AC}/volunteers/{{volunteer_id}}/certify"): Endpoint(
        "activities.volunteers", writes=True, body=lambda rows: {"on": "2026-11-30"}
    ),
    ("POST", f"{AC}/volunteers/{{volunteer_id}}/duties"): Endpoint(
        "activities.volunteers",
        ok=201,
        writes=True,
        body=lambda rows: {
            "place_id": rows.place_id,
            "starts_at": "2030-03-05T08:00:00Z",
            "ends_at": "2030-03-05T11:00:00Z",
        },
    ),
    ("GET", f"{AC}/duties"): Endpoint("activities.volunteers", lists=_activity_ids("Duty")),
    ("POST", f"{AC}/duties/{{duty_id}}/cancel"): Endpoint(
        "activities.volunteers",
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {"reason": "Ziek"},
    ),
    ("POST", f"{AC}/duties/{{duty_id}}/swap"): Endpoint("activities.volunteers", writes=True),
    ("POST", f"{AC}/duties/{{duty_id}}/take"): Endpoint(
        "activities.volunteers",
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {"volunteer_id": rows.buddy_id},
        body_looked_up=True,
    ),
    ("GET", f"{AC}/gaps"): Endpoint("activities.volunteers"),
    ("POST", f"{AC}/gaps/ask"): Endpoint(
        "activities.volunteers", writes=True, body=lambda rows: {"session_id": rows.session_id}
    ),
    ("GET", f"{AC}/figures"): Endpoint("activities.view"),  # act-figures
    ("POST", f"{AC}/sessions/{{session_id}}/check-in"): Endpoint(
        "activities.attend",
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {"registration_id": rows.registration_id, "code": rows.checkin_code},
    ),
    ("GET", f"{AC}/series/{{series_id}}/evaluations"): Endpoint(
        "activities.view", lists=_activity_ids("Evaluation")
    ),
    ("POST", f"{AC}/series/{{series_id}}/evaluations"): Endpoint(
        "activities.attend",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {"channel": "paper", "satisfaction": 5, "learned": "Phishing"},
    ),
    ("GET", f"{LD}/devices"): Endpoint("lending.view", lists=_lending_ids),
    ("GET", f"{LD}/devices/{{device_id}}"): Endpoint("lending.view"),
    ("GET", f"{LD}/devices/{{device_id}}/events"): Endpoint("lending.view"),
    ("GET", f"{LD}/devices/{{device_id}}/photos/{{photo_id}}.jpg"): Endpoint("lending.view"),
    ("POST", f"{LD}/devices/{{device_id}}/events"): Endpoint(
        "lending.manage", ok=201, writes=True, body=lambda rows: {"kind": "wiped", "evidence": WIPE}
    ),
    ("POST", f"{LD}/donations"): Endpoint(
        "lending.manage",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {
            "received_on": "2026-12-02",
            "donor_name": "Barco",
            "devices": [{"kind": "tablet"}, {"kind": "laptop", "serial": "X1"}],
        },
    ),
    ("GET", f"{LD}/stock"): Endpoint("lending.view"),
    # Referrals: a partner's key reaches its own organisation's requests only; a key of the
    # matrix has no organisation, so a referrer is refused (403) unless it may triage.
    ("GET", f"{LD}/referrals"): Endpoint(
        "lending.refer", lists=_referral_ids, organisation_bound=True, unbound_by="lending.triage"
    ),
    ("POST", f"{LD}/referrals"): Endpoint(
        "lending.refer",
        ok=201,
        writes=True,
        organisation_bound=True,
        unbound_by="lending.triage",
        headers=_new_idempotency_key,
        body=lambda rows: {
            "organisation_id": rows.organisation.pk,
            "client_ref": "DOS-9",
            "kind": "tablet",
            "purpose": "Online banking",
            "eligibility": "senior",
            "household_size": 1,
        },
    ),
    ("GET", f"{LD}/referrals/{{referral_id}}"): Endpoint(
        "lending.refer", organisation_bound=True, unbound_by="lending.triage"
    ),
    ("POST", f"{LD}/referrals/{{referral_id}}/cancel"): Endpoint(
        "lending.refer",
        writes=True,
        organisation_bound=True,
        unbound_by="lending.triage",
        body=lambda rows: {"reason": "Moved away"},
    ),
    ("POST", f"{LD}/referrals/{{referral_id}}/approve"): Endpoint("lending.triage", writes=True),
    ("POST", f"{LD}/referrals/{{referral_id}}/refuse"): Endpoint(
        "lending.triage", writes=True, body=lambda rows: {"reason": "Has a laptop already"}
    ),
    ("POST", f"{LD}/referrals/{{referral_id}}/match"): Endpoint(
        "lending.triage", writes=True, body=lambda rows: {}
    ),
    ("POST", f"{LD}/referrals/{{referral_id}}/invite"): Endpoint(
        "lending.triage",
        writes=True,
        body=lambda rows: {"place_id": rows.place_id, "pickup_at": "2099-01-05T14:00:00+01:00"},
    ),
    ("GET", f"{LD}/referral-caps"): Endpoint("lending.triage"),
    ("POST", f"{LD}/referral-caps"): Endpoint(
        "lending.triage",
        writes=True,
        body=lambda rows: {
            "organisation_id": rows.organisation.pk,
            "period": "quarter",
            "max_referrals": 12,
        },
    ),
    ("GET", f"{LD}/overview"): Endpoint("lending.view"),
    ("GET", f"{LD}/repairs"): Endpoint("lending.repair", lists=_repair_ids),
    ("GET", f"{LD}/repairs/{{ticket_id}}"): Endpoint("lending.repair"),
    ("POST", f"{LD}/repairs"): Endpoint(
        "lending.repair",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {"device_id": rows.spare_device_id, "problem": "Geen geluid"},
    ),
    ("POST", f"{LD}/repairs/{{ticket_id}}/start"): Endpoint(
        "lending.manage", writes=True, body=lambda rows: {"repairer": "repair_cafe"}
    ),
    ("POST", f"{LD}/repairs/{{ticket_id}}/close"): Endpoint(
        "lending.manage", writes=True, body=lambda rows: {"outcome": "beyond_repair"}
    ),
    ("GET", f"{LD}/handovers"): Endpoint("lending.hand_over", lists=_lending_model_ids("HandOver")),
    ("POST", f"{LD}/handovers"): Endpoint(
        "lending.hand_over",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=_handover_body,
        body_looked_up=True,
    ),
    ("GET", f"{LD}/handovers/{{handover_id}}"): Endpoint("lending.hand_over"),
    ("GET", f"{LD}/handovers/{{handover_id}}/agreement.pdf"): Endpoint("lending.hand_over"),
    ("GET", f"{LD}/agreement-texts"): Endpoint(
        "lending.view", lists=_lending_model_ids("AgreementText")
    ),
    ("POST", f"{LD}/agreement-texts"): Endpoint(
        "lending.agreements",
        ok=201,
        writes=True,
        body=lambda rows: {"kind": "loan", "language": "en", "title": "Loan", "body": "Ours."},
    ),
    ("GET", f"{LD}/loans"): Endpoint("lending.hand_over", lists=_lending_model_ids("Loan")),
    ("POST", f"{LD}/loans/{{loan_id}}/extend"): Endpoint(
        "lending.hand_over", writes=True, body=lambda rows: {"due_on": _in_days(60)}
    ),
    ("POST", f"{LD}/loans/{{loan_id}}/return"): Endpoint(
        "lending.hand_over",
        writes=True,
        body=lambda rows: {"complete": True, "damaged": False},
    ),
    ("GET", f"{P}/municipalities"): Endpoint("places.view", lists=_places_ids("Municipality")),
    ("POST", f"{P}/municipalities"): Endpoint(
        "places.manage",
        ok=201,
        writes=True,
        body=lambda rows: {"name": f"Evergem {next(_seq)}", "postcodes": ["9940"]},
    ),
    ("GET", P): Endpoint("places.view", lists=_places_ids("Place")),
    ("POST", P): Endpoint(
        "places.manage",
        ok=201,
        writes=True,
        body=lambda rows: {"name": f"Uitleenpunt {next(_seq)}", "kind": "lending_point"},
    ),
    ("GET", f"{P}/{{place_id}}"): Endpoint("places.view"),
    ("PATCH", f"{P}/{{place_id}}"): Endpoint(
        "places.manage", writes=True, body=lambda rows: {"neighbourhood": "Rabot"}
    ),
    ("PUT", f"{P}/{{place_id}}/hours"): Endpoint(
        "places.manage",
        writes=True,
        body=lambda rows: {
            "hours": [{"weekday": 2, "opens": "13:00", "closes": "17:00", "kind": "open"}]
        },
    ),
    ("POST", f"{P}/{{place_id}}/exceptions"): Endpoint(
        "places.manage",
        ok=201,
        writes=True,
        body=lambda rows: {"starts_on": "2031-01-01", "reason": "Nieuwjaar"},
    ),
    ("DELETE", f"{P}/{{place_id}}/exceptions/{{exception_id}}"): Endpoint(
        "places.manage", ok=204, writes=True
    ),
    ("POST", f"{P}/{{place_id}}/checklist"): Endpoint(
        "places.manage", writes=True, body=lambda rows: {"item": "poster_hung", "done": True}
    ),
    ("POST", f"{P}/{{place_id}}/status"): Endpoint(
        "places.manage", writes=True, body=lambda rows: {"status": "equipping"}
    ),
    ("GET", f"{PREFIX}/communities"): Endpoint(
        "community.view", lists=lambda rows: {rows.community.slug}
    ),
    ("GET", f"{PREFIX}/communities/{{slug}}"): Endpoint("community.view"),
    ("GET", f"{PREFIX}/people"): Endpoint("people.view", lists=_people_ids),
    ("POST", f"{PREFIX}/people"): Endpoint(
        "people.manage",
        ok=201,
        writes=True,
        body=lambda rows: {
            "first_name": "Nieuw",
            "phone": "0471 11 22 33",
            "consents": {"contact_phone": True},
        },
    ),
    ("GET", f"{PREFIX}/people/{{person_id}}"): Endpoint("people.view"),
    ("PATCH", f"{PREFIX}/people/{{person_id}}"): Endpoint(
        "people.manage", writes=True, body=lambda rows: {"neighbourhood": "Changed"}
    ),
    ("POST", f"{PREFIX}/people/{{person_id}}/consents"): Endpoint(
        "people.manage",
        ok=201,
        writes=True,
        body=lambda rows: {"kind": "contact_sms", "granted": True},
    ),
    ("GET", f"{PREFIX}/people/{{person_id}}/export"): Endpoint("people.gdpr", writes=True),
    ("POST", f"{PREFIX}/people/{{person_id}}/anonymise"): Endpoint("people.gdpr", writes=True),
    ("GET", f"{PREFIX}/organisations"): Endpoint("organisations.view", lists=_org_ids),
    ("POST", f"{PREFIX}/organisations"): Endpoint(
        "organisations.manage",
        ok=201,
        writes=True,
        body=lambda rows: {"name": "Repair Café", "slug": "repair-cafe", "kind": "repair_partner"},
    ),
    ("GET", f"{PREFIX}/organisations/{{organisation_id}}"): Endpoint("organisations.view"),
    ("PATCH", f"{PREFIX}/organisations/{{organisation_id}}"): Endpoint(
        "organisations.manage", writes=True, body=lambda rows: {"address": "Rabotstraat 1"}
    ),
    ("GET", f"{PREFIX}/memberships"): Endpoint("memberships.view", lists=_membership_ids),
    ("POST", f"{PREFIX}/memberships"): Endpoint(
        "memberships.manage",
        ok=202,
        writes=True,
        body=lambda rows: {"username": rows.free_username, "roles": ["volunteer"]},
    ),
    ("GET", f"{PREFIX}/memberships/{{membership_id}}"): Endpoint("memberships.view"),
    ("GET", f"{PREFIX}/invitations"): Endpoint("memberships.view", lists=_invitation_ids),
    ("PATCH", f"{PREFIX}/memberships/{{membership_id}}"): Endpoint(
        "memberships.manage", writes=True, body=lambda rows: {"roles": ["staff", "volunteer"]}
    ),
    # --- ledger: residents reach their own accounts without ledger.view (see ``without``)
    ("GET", f"{L}/currency"): Endpoint("ledger.view", without=200),
    ("PUT", f"{L}/currency"): Endpoint(
        "ledger.manage",
        writes=True,
        body=lambda rows: {
            "code": "TOR",
            "names": {"nl": {"singular": "toreke", "plural": f"torekes {uuid.uuid4().hex[:6]}"}},
            "denominations": [1, 5, 10],
        },
    ),
    ("GET", f"{L}/accounts"): Endpoint("ledger.view", lists=_account_ids, without=200),
    ("POST", f"{L}/accounts"): Endpoint(
        "ledger.manage",
        ok=201,
        writes=True,
        body=lambda rows: {"kind": "till", "organisation_id": rows.organisation.pk},
    ),
    ("GET", f"{L}/accounts/by-number/{{number}}"): Endpoint("ledger.view", without=200),
    ("GET", f"{L}/accounts/{{account_id}}"): Endpoint("ledger.view", without=404),
    ("GET", f"{L}/accounts/{{account_id}}/transfers"): Endpoint("ledger.view", without=404),
    ("GET", f"{L}/accounts/{{account_id}}/statement.csv"): Endpoint("ledger.view", without=404),
    ("GET", f"{L}/accounts/{{account_id}}/statement.pdf"): Endpoint("ledger.view", without=404),
    ("POST", f"{L}/transfers"): Endpoint(
        "ledger.manage",
        ok=201,
        writes=True,
        without=403,
        headers=_new_idempotency_key,
        body=lambda rows: {
            "debit_account_id": rows.account.pk,
            "credit_account_id": rows.shop.pk,
            "amount": "3",
            "description": "Brood",
        },
    ),
    ("GET", f"{L}/transfers/{{transfer_id}}"): Endpoint("ledger.view", without=404),
    ("POST", f"{L}/transfers/{{transfer_id}}/reverse"): Endpoint(
        "ledger.manage", ok=201, writes=True, headers=_new_idempotency_key
    ),
    ("GET", f"{L}/overview"): Endpoint("ledger.view"),
    # --- ledger: issuing budgets, rewards with a second person's approval, monthly redemption
    ("GET", f"{L}/budgets"): Endpoint(
        "ledger.view", lists=_ids_of("IssuingBudget"), own_with="ledger.issue"
    ),
    ("POST", f"{L}/budgets"): Endpoint(
        "ledger.manage",
        ok=201,
        writes=True,
        body=lambda rows: {
            "account_id": _issuer(rows).pk,
            "starts_on": "2099-01-01",
            "ends_on": "2099-03-31",
            "amount": "500",
        },
    ),
    ("POST", f"{L}/rewards"): Endpoint(
        "ledger.issue",
        organisation_bound=True,
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {
            "issuer_account_id": _issuer(rows).pk,
            "resident_account_id": rows.account.pk,
            "amount": "3",
            "reason": "Helped at the street party",
        },
    ),
    ("GET", f"{L}/pending-rewards"): Endpoint("ledger.issue", lists=_ids_of("PendingReward")),
    ("POST", f"{L}/pending-rewards/{{pending_id}}/approve"): Endpoint(
        "ledger.issue", writes=True, organisation_bound=True
    ),
    ("POST", f"{L}/pending-rewards/{{pending_id}}/reject"): Endpoint(
        "ledger.issue", writes=True, organisation_bound=True
    ),
    ("GET", f"{L}/redemption-runs"): Endpoint("ledger.view", lists=_ids_of("RedemptionRun")),
    ("POST", f"{L}/redemption-runs"): Endpoint(
        "ledger.manage", ok=201, writes=True, body=_this_month
    ),
    ("GET", f"{L}/redemption-runs/{{run_id}}/payouts"): Endpoint("ledger.view"),
    ("GET", f"{L}/redemption-runs/{{run_id}}/payouts.csv"): Endpoint("ledger.view"),
    # --- payment requests: the shop's side needs its organisation (a key has none: 403, or
    # lists nothing); whoever has the token may read and pay it (payment checks apply)
    ("GET", f"{L}/payment-requests"): Endpoint(
        "ledger.view", lists=_ids_of("PaymentRequest"), without=200
    ),
    ("POST", f"{L}/payment-requests"): Endpoint(
        "ledger.manage",
        ok=201,
        writes=True,
        without=403,
        headers=_new_idempotency_key,
        body=lambda rows: {"payee_account_id": rows.shop.pk, "amount": "6", "description": "Taart"},
    ),
    ("GET", f"{L}/payment-requests/{{token}}"): Endpoint("ledger.view", without=200),
    ("POST", f"{L}/payment-requests/{{token}}/cancel"): Endpoint(
        "ledger.manage", writes=True, without=403
    ),
    ("POST", f"{L}/payment-requests/{{token}}/pay"): Endpoint(
        "ledger.manage",
        ok=201,
        writes=True,
        without=403,
        headers=_new_idempotency_key,
        body=lambda rows: {"debit_account_id": rows.account.pk},
    ),
    # --- exchange offices: a clerk's work (the resident confirms a withdrawal with their PIN)
    ("GET", f"{L}/offices"): Endpoint("ledger.exchange", lists=_office_ids),
    ("POST", f"{L}/offices"): Endpoint(
        "ledger.manage",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {
            "name": f"Loket {uuid.uuid4().hex[:6]}",
            "organisation_id": rows.organisation.pk,
        },
    ),
    ("POST", f"{L}/shops"): Endpoint(
        "ledger.manage",
        ok=201,
        writes=True,
        body=lambda rows: {
            "organisation_id": Organisation.objects.get(
                community=rows.community, kind="merchant"
            ).pk
        },
    ),
    ("POST", f"{L}/organisations/{{organisation_id}}/budgets"): Endpoint(
        "ledger.manage",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {"starts_on": "2099-01-01", "ends_on": "2099-03-31", "amount": "500"},
    ),
    ("GET", f"{L}/offices/{{office_id}}/till"): Endpoint("ledger.exchange"),
    ("POST", f"{L}/offices/{{office_id}}/deposit"): Endpoint(
        "ledger.exchange",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {"account_id": rows.account.pk, "notes": {"5": 2, "1": 3}},
    ),
    ("POST", f"{L}/offices/{{office_id}}/withdraw"): Endpoint(
        "ledger.exchange",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {
            "account_id": rows.account.pk,
            "notes": {"10": 1, "5": 1},
            "pin": EXCHANGE_PIN,
        },
    ),
    ("POST", f"{L}/offices/{{office_id}}/counts"): Endpoint(
        "ledger.exchange",
        ok=201,
        writes=True,
        body=lambda rows: {"counted": {"1": 20, "5": 10, "10": 4}, "note": "one 10 missing"},
    ),
    # --- QR codes (api.py of qrcodes): reading needs qrcodes.view, changing qrcodes.manage
    ("GET", f"{Q}/codes"): Endpoint("qrcodes.view", lists=_qr_ids("Code")),
    ("POST", f"{Q}/codes"): Endpoint(
        "qrcodes.manage",
        ok=201,
        writes=True,
        body=lambda rows: {
            "title": "Paal Oudburg",
            "tags": ["paal"],
            "routes": [{"action": "redirect", "params": {"url": "https://example.org/paal"}}],
        },
    ),
    ("POST", f"{Q}/codes/batch"): Endpoint(
        "qrcodes.manage",
        writes=True,
        body=lambda rows: {"items": [{"title": "Paal 1"}, {"title": "Paal 2", "tags": ["paal"]}]},
    ),
    ("POST", f"{Q}/codes/bulk"): Endpoint(
        "qrcodes.manage",
        writes=True,
        body_looked_up=True,
        body=lambda rows: {"code_ids": [rows.qr_code_id], "operation": "tag", "tag": "zomer"},
    ),
    ("GET", f"{Q}/codes/by-code/{{public_id}}"): Endpoint("qrcodes.view"),
    ("GET", f"{Q}/codes/{{code_id}}"): Endpoint("qrcodes.view"),
    ("PATCH", f"{Q}/codes/{{code_id}}"): Endpoint(
        "qrcodes.manage", writes=True, body=lambda rows: {"title": "Bank Rabotpark (noord)"}
    ),
    ("POST", f"{Q}/codes/{{code_id}}/status"): Endpoint(
        "qrcodes.manage", writes=True, body=lambda rows: {"status": "paused"}
    ),
    ("GET", f"{Q}/codes/{{code_id}}/routes"): Endpoint("qrcodes.view"),
    ("PUT", f"{Q}/codes/{{code_id}}/routes"): Endpoint(
        "qrcodes.manage",
        writes=True,
        body=lambda rows: {
            "routes": [{"action": "redirect", "params": {"url": "https://example.org/nieuw"}}]
        },
    ),
    ("GET", f"{Q}/codes/{{code_id}}/history"): Endpoint("qrcodes.view"),
    ("GET", f"{Q}/batches"): Endpoint("qrcodes.view", lists=_qr_ids("Batch")),
    ("POST", f"{Q}/batches"): Endpoint(
        "qrcodes.manage",
        ok=202,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {"size": 3, "title": "Stickers voor de banken"},
    ),
    ("GET", f"{Q}/batches/{{batch_id}}"): Endpoint("qrcodes.view"),
    ("GET", f"{Q}/forms"): Endpoint("qrcodes.view", lists=_qr_ids("Form")),
    ("POST", f"{Q}/forms"): Endpoint(
        "qrcodes.manage",
        ok=201,
        writes=True,
        body=lambda rows: {
            "title": {"nl": "Inchecken"},
            "fields": [{"key": "naam", "type": "text", "label": {"nl": "Naam"}}],
        },
    ),
    ("GET", f"{Q}/forms/{{form_id}}"): Endpoint("qrcodes.view"),
    ("PATCH", f"{Q}/forms/{{form_id}}"): Endpoint(
        "qrcodes.manage", writes=True, body=lambda rows: {"thanks": {"nl": "Dank je!"}}
    ),
    ("GET", f"{Q}/forms/{{form_id}}/submissions"): Endpoint("qrcodes.submissions"),
    ("GET", f"{Q}/webhooks"): Endpoint("qrcodes.view", lists=_qr_ids("Webhook")),
    ("POST", f"{Q}/webhooks"): Endpoint(
        "qrcodes.admin",
        ok=201,
        writes=True,
        body=lambda rows: {"name": "Werkbonnen", "url": QR_HOOK_URL},
    ),
    ("POST", f"{Q}/webhooks/{{webhook_id}}/rotate"): Endpoint("qrcodes.admin", writes=True),
    ("GET", f"{Q}/stats"): Endpoint("qrcodes.view"),
    ("POST", f"{Q}/import"): Endpoint("qrcodes.manage", writes=True, files=_qr_import_file),
    # --- QR reservations and check-ins: names and contacts need qrcodes.submissions
    ("GET", f"{Q}/resources"): Endpoint("qrcodes.view", lists=_qr_ids("Resource")),
    ("POST", f"{Q}/resources"): Endpoint(
        "qrcodes.manage", ok=201, writes=True, body=lambda rows: {"name": "Bakfiets", "capacity": 1}
    ),
    ("GET", f"{Q}/resources/{{resource_id}}/slots"): Endpoint("qrcodes.view"),
    ("POST", f"{Q}/resources/{{resource_id}}/slots"): Endpoint(
        "qrcodes.manage",
        ok=201,
        writes=True,
        body=lambda rows: {"day": "2030-06-03", "start": "09:00", "end": "11:00", "minutes": 30},
    ),
    ("GET", f"{Q}/resources/{{resource_id}}/bookings"): Endpoint("qrcodes.submissions"),
    ("POST", f"{Q}/slots/{{slot_id}}/bookings"): Endpoint(
        "qrcodes.submissions",
        ok=201,
        writes=True,
        headers=_new_idempotency_key,
        body=lambda rows: {"name": "Omar", "contact": "omar@example.org"},
    ),
    ("POST", f"{Q}/bookings/{{booking_id}}/cancel"): Endpoint("qrcodes.submissions", writes=True),
    ("POST", f"{Q}/bookings/{{booking_id}}/check-in"): Endpoint("qrcodes.submissions", writes=True),
    ("GET", f"{Q}/entrances"): Endpoint("qrcodes.view", lists=_qr_ids("CheckInPoint")),
    ("POST", f"{Q}/entrances"): Endpoint(
        "qrcodes.manage", ok=201, writes=True, body=lambda rows: {"name": "Achterdeur"}
    ),
    ("GET", f"{Q}/entrances/{{point_id}}/present"): Endpoint("qrcodes.submissions"),
    ("POST", f"{Q}/entrances/{{point_id}}/visits"): Endpoint(
        "qrcodes.submissions", ok=201, writes=True, body=lambda rows: {"name": "Omar"}
    ),
    ("POST", f"{Q}/visits/{{visit_id}}/check-out"): Endpoint("qrcodes.submissions", writes=True),
    # --- Buurbel: rules and matching runs (reading needs neighbours.view)
    ("GET", f"{BB}/rules"): Endpoint(
        "neighbours.view", lists=_buurbel_ids("neighbours", "RuleVersion")
    ),
    ("POST", f"{BB}/rules"): Endpoint(
        "neighbours.rules",
        ok=201,
        writes=True,
        body=lambda rows: {"copy_of": rows.rule_version_id, "notes": "Try a shorter distance"},
    ),
    ("GET", f"{BB}/rules/{{rule_version_id}}"): Endpoint("neighbours.view"),
    ("PATCH", f"{BB}/rules/{{rule_version_id}}"): Endpoint(
        "neighbours.rules", writes=True, body=lambda rows: {"notes": "Changed"}
    ),
    ("POST", f"{BB}/rules/{{rule_version_id}}/test"): Endpoint("neighbours.view"),
    ("POST", f"{BB}/rules/{{rule_version_id}}/activate"): Endpoint("neighbours.rules", writes=True),
    ("GET", f"{BB}/runs"): Endpoint(
        "neighbours.view", lists=_buurbel_ids("neighbours", "MatchRun")
    ),
    ("POST", f"{BB}/runs"): Endpoint("neighbours.match", ok=201, writes=True),
    ("GET", f"{BB}/runs/{{match_run_id}}"): Endpoint("neighbours.view"),
    ("GET", f"{BB}/runs/{{match_run_id}}/pairs"): Endpoint("neighbours.view"),
    # --- buurbel: announcements and recordings
    ("GET", f"{BB}/announcements"): Endpoint(
        "neighbours.view", lists=_buurbel_ids("neighbours", "Announcement")
    ),
    ("POST", f"{BB}/announcements"): Endpoint(
        "neighbours.manage",
        ok=201,
        writes=True,
        body=lambda rows: {
            "title": "Repair café",
            "text": {"nl": "Zaterdag repair café in de bib.", "fr": "Samedi, repair café."},
            "neighbourhood": "rabot",
            "starts_on": "2026-03-02",
            "ends_on": "2026-03-08",
        },
    ),
    ("GET", f"{BB}/announcements/{{announcement_id}}"): Endpoint("neighbours.view"),
    ("PATCH", f"{BB}/announcements/{{announcement_id}}"): Endpoint(
        "neighbours.manage", writes=True, body=lambda rows: {"title": "Straatfeest (verplaatst)"}
    ),
    ("POST", f"{BB}/announcements/{{announcement_id}}/deactivate"): Endpoint(
        "neighbours.manage", writes=True
    ),
    ("GET", f"{BB}/recordings"): Endpoint(
        "telephony.recordings", lists=_buurbel_ids("telephony", "Recording")
    ),
    ("POST", f"{BB}/recordings"): Endpoint(
        "telephony.recordings", ok=201, writes=True, files=_recording_file
    ),
    # --- buurbel: costs and dashboard (reads of the community as a whole; a price by its id)
    ("GET", f"{BB}/costs/projection"): Endpoint("neighbours.view"),
    ("GET", f"{BB}/dashboard"): Endpoint("neighbours.view"),
    ("GET", f"{BB}/prices"): Endpoint("neighbours.view"),
    ("PUT", f"{BB}/prices/{{price_id}}"): Endpoint(
        "telephony.prices", writes=True, body=lambda rows: {"unit_micros": 95_000}
    ),
    # --- buurbel: introductions by phone and call flows
    ("GET", f"{BB}/introductions"): Endpoint(
        "neighbours.view", lists=_buurbel_ids("neighbours", "Match")
    ),
    ("GET", f"{BB}/introductions/{{match_id}}"): Endpoint("neighbours.view"),
    ("POST", f"{BB}/introductions/{{match_id}}/cancel"): Endpoint("neighbours.manage", writes=True),
    ("POST", f"{BB}/runs/{{match_run_id}}/introductions"): Endpoint(
        "neighbours.manage", ok=201, writes=True, body=lambda rows: {"pair_ids": []}
    ),
    ("GET", f"{BB}/flows"): Endpoint(
        "telephony.view", lists=_buurbel_ids("telephony", "FlowVersion")
    ),
    ("GET", f"{BB}/flows/{{flow_id}}"): Endpoint("telephony.view"),
    ("POST", f"{BB}/flows"): Endpoint(
        "telephony.flows",
        ok=201,
        writes=True,
        body=lambda rows: {"key": "buurbel.first", "copy_of": rows.flow_id, "notes": "Shorter"},
    ),
    ("PATCH", f"{BB}/flows/{{flow_id}}"): Endpoint(
        "telephony.flows",
        writes=True,
        body=lambda rows: {
            "definition": apps.get_model("telephony", "FlowVersion")
            .objects.get(pk=rows.flow_id)
            .definition,
            "notes": "Checked",
        },
    ),
    ("POST", f"{BB}/flows/{{flow_id}}/activate"): Endpoint("telephony.flows", writes=True),
    # --- buurbel: participants and verification
    ("GET", f"{BB}/participants"): Endpoint(
        "neighbours.view", lists=_buurbel_ids("neighbours", "Participant")
    ),
    ("POST", f"{BB}/participants"): Endpoint(
        "neighbours.manage",
        ok=201,
        writes=True,
        body_looked_up=True,
        body=lambda rows: {
            "person_id": rows.person.pk,
            "consent": True,
            "language": "nl",
            "call_windows": [{"days": [1, 3], "from": "10:00", "to": "12:00"}],
            "activities": ["coffee", "walk"],
            "wish": "both",
            "neighbourhood": "rabot",
        },
    ),
    ("GET", f"{BB}/participants/{{participant_id}}"): Endpoint("neighbours.view"),
    ("PATCH", f"{BB}/participants/{{participant_id}}"): Endpoint(
        "neighbours.manage", writes=True, body=lambda rows: {"interests": ["cards", "music"]}
    ),
    ("POST", f"{BB}/participants/{{participant_id}}/opt-out"): Endpoint(
        "neighbours.manage", writes=True
    ),
    # Not opted out: nothing to undo, nothing written.
    ("POST", f"{BB}/participants/{{participant_id}}/opt-in"): Endpoint("neighbours.manage"),
    ("POST", f"{BB}/participants/{{participant_id}}/verification"): Endpoint(
        "neighbours.manage", ok=201, writes=True
    ),
    ("POST", f"{BB}/participants/{{participant_id}}/verification/check"): Endpoint(
        "neighbours.manage", writes=True, body=lambda rows: {"code": rows.participant_code}
    ),
    # --- buurbel: a partner's own participants. A key of the matrix has no organisation, so
    # a referrer is refused (403) unless it may see (reads) or manage (writes) every one.
    ("GET", f"{BB}/partner/participants"): Endpoint(
        "neighbours.refer",
        lists=_buurbel_ids("neighbours", "Participant"),
        organisation_bound=True,
        unbound_by="neighbours.view",
    ),
    ("POST", f"{BB}/partner/participants"): Endpoint(
        "neighbours.refer",
        ok=201,
        writes=True,
        organisation_bound=True,
        unbound_by="neighbours.manage",
        headers=_new_idempotency_key,
        body=lambda rows: {
            "first_name": "Partnerbewoner",
            "last_name": "Bel",
            "phone": "0472 11 22 33",
            "consent": True,
            "language": "nl",
            "call_windows": [{"days": [1, 3], "from": "10:00", "to": "12:00"}],
            "activities": ["coffee"],
            "neighbourhood": "rabot",
            "needs_follow_up": True,
            "follow_up_note": "Lives alone",
        },
    ),
    ("GET", f"{BB}/partner/participants/{{participant_id}}"): Endpoint(
        "neighbours.refer", organisation_bound=True, unbound_by="neighbours.view"
    ),
    ("POST", f"{BB}/partner/participants/{{participant_id}}/follow-up"): Endpoint(
        "neighbours.refer",
        writes=True,
        organisation_bound=True,
        unbound_by="neighbours.manage",
        body=lambda rows: {"needs_follow_up": True, "note": "Lives alone"},
    ),
}


def endpoint_for(route: tuple[str, str]) -> Endpoint:
    if route not in ENDPOINTS:
        pytest.fail(
            f"{route[0]} {route[1]} has no entry in tests/api/apispec.py ENDPOINTS: "
            "add its permission and a request, so isolation and permissions are tested."
        )
    return ENDPOINTS[route]


def call(
    client: Client,
    route: tuple[str, str],
    rows: Rows,
    *,
    path_rows: Rows | None = None,
    query: str = "",
) -> HttpResponse:
    """Call ``route``; ids in the path come from ``path_rows`` (default ``rows``)."""
    method, template = route
    url = template.format(**(path_rows or rows).path_values()) + query
    spec = endpoint_for(route)
    headers = spec.headers(rows) if spec.headers else {}
    if method == "GET":
        return client.get(url, headers=headers)
    if spec.files:
        return client.post(url, data=spec.files(rows), headers=headers)
    body = json.dumps(spec.body(rows)) if spec.body else ""
    return client.generic(method, url, body, content_type="application/json", headers=headers)


#: Columns a request may change without "writing": using a key notes its last use.
SNAPSHOT_IGNORED_COLUMNS = {("people.ApiKey", "last_used_at")}


def _row_text_sql(model: type[Model], alias: str) -> str:
    """SQL for one text value holding every column of a row of ``model``, unambiguously:
    ``name=<length>:<value>`` per column (``name=NULL`` for NULL), in the model's field order."""
    qn = connection.ops.quote_name
    parts = []
    for field in model._meta.concrete_fields:
        if (model._meta.label, field.column) in SNAPSHOT_IGNORED_COLUMNS:
            continue
        value = f"CAST({alias}.{qn(field.column)} AS TEXT)"
        if field.get_internal_type() == "BinaryField":  # bytes (a signature, a PDF) as hex
            column = f"{alias}.{qn(field.column)}"
            hexed = "hex" if connection.vendor == "sqlite" else "encode"
            value = f"{hexed}({column})" if hexed == "hex" else f"encode({column}, 'hex')"
        parts.append(
            f"'{field.column}=' || COALESCE(CAST(LENGTH({value}) AS TEXT) || ':' || {value}, 'NULL')"
        )
    return " || ' ' || ".join(parts)


def snapshot_models() -> list[type[Model]]:
    """The models a snapshot covers: every community-scoped model (the logins come on top)."""
    return [model for model in apps.get_models() if issubclass(model, CommunityScoped)]


def snapshot_sql(community_id: int) -> str:
    """One query: every row of every scoped table that belongs to the community, plus the
    logins tied to it (by a membership or a person), as (table label, pk, row text)."""
    qn = connection.ops.quote_name
    cid = int(community_id)
    branches = []
    for model in snapshot_models():
        meta = model._meta
        branches.append(
            f"SELECT CAST('{meta.label}' AS TEXT) AS t, r.{qn(meta.pk.column)} AS id, "
            f"{_row_text_sql(model, 'r')} AS v FROM {qn(meta.db_table)} r "
            f"WHERE r.{qn(meta.get_field('community').column)} = {cid}"
        )
    user = get_user_model()._meta
    membership, person = Membership._meta, Person._meta
    m_user, m_community, p_user, p_community = (
        qn(meta.get_field(name).column)
        for meta in (membership, person)
        for name in ("user", "community")
    )
    branches.append(
        f"SELECT CAST('users' AS TEXT) AS t, r.{qn(user.pk.column)} AS id, "
        f"{_row_text_sql(get_user_model(), 'r')} AS v FROM {qn(user.db_table)} r "
        f"WHERE r.{qn(user.pk.column)} IN ("
        f"SELECT {m_user} FROM {qn(membership.db_table)} WHERE {m_community} = {cid} UNION "
        f"SELECT {p_user} FROM {qn(person.db_table)} WHERE {p_community} = {cid} "
        f"AND {p_user} IS NOT NULL)"
    )
    return " UNION ALL ".join(branches) + " ORDER BY t, id"


def snapshot(community: Community) -> dict[str, list[str]]:
    """Every row that belongs to ``community`` (all scoped models), plus the logins tied to it,
    read in one query: ``{table label: [row text, ...]}``. Two snapshots are equal exactly when
    no such row was added, removed or changed (except a key's ``last_used_at``)."""
    data: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(snapshot_sql(community.pk))
        for label, _pk, text in cursor.fetchall():
            data.setdefault(label, []).append(text)
    return data


def assert_error(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    """``response`` is the API's JSON error shape with this status and code."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail", "fields"}, body
    assert body["error"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["fields"], dict)
    return body
