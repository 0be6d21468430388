"""Staff pages: tenant isolation for every page, languages, role matrix and the main flows."""

from __future__ import annotations

import copy
import datetime as _dt
import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RoutePattern
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from buurtkit.activities.models import Duty, Evaluation, Volunteer
from buurtkit.activities.models import Registration as ActivityRegistration
from buurtkit.audit.models import AuditEvent
from buurtkit.conf import urls as root_urls
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.core.modules import MODULES
from buurtkit.core.services import community_create
from buurtkit.helpdesk.models import Article as HelpdeskArticle
from buurtkit.helpdesk.models import (
    Barrier,
    HelpdeskSettings,
    HomeHelpNeed,
    HomeVisit,
    PhoneRecording,
    PublicService,
    QuarantinedMail,
    Survey,
    TicketMessage,
)
from buurtkit.helpdesk.models import Category as HelpdeskCategory
from buurtkit.helpdesk.models import StandardAnswer as HelpdeskAnswer
from buurtkit.helpdesk.models import Ticket as HelpdeskTicket
from buurtkit.helpexchange.models import Block as HelpBlock
from buurtkit.helpexchange.models import Deal as HelpDeal
from buurtkit.helpexchange.models import Post as HelpPost
from buurtkit.helpexchange.models import Response as HelpResponse
from buurtkit.ledger import services as ledger_services
from buurtkit.ledger.models import PaymentPin, PaymentRequest, Transfer
from buurtkit.lending.models import (
    AgreementText,
    Device,
    DeviceEvent,
    DevicePhoto,
    Donation,
    HandOver,
    Loan,
    Referral,
    RepairTicket,
)
from buurtkit.messaging.models import Message
from buurtkit.monitoring.models import (
    BudgetLine,
    GroupFigure,
    IndicatorRun,
    Milestone,
    Plan,
    Profile,
    ReportSnapshot,
    Spending,
    SurveyLink,
    SurveyResponse,
    Target,
)
from buurtkit.neighbours.models import (
    Announcement,
    MatchRun,
    Participant,
    PhoneVerification,
    RuleVersion,
)
from buurtkit.people import selectors, services
from buurtkit.people.models import ApiKey, Consent, Membership, Organisation, Person
from buurtkit.places.models import OpeningException, OpeningHours, Place
from buurtkit.qrcodes import services as qr_services
from buurtkit.qrcodes.models import Code, Route, Webhook
from buurtkit.telephony import simulator
from buurtkit.telephony.models import Recording
from tests.worlds import reset_process_caches, rolled_back_world

MARK = "quax"  # appears in every name of community B, so a leak is easy to spot
PASSWORD = "a-long-test-password"  # the one tests/conftest.py's make_login gives


@dataclass
class OtherCommunity:
    community: Community
    person: Person
    organisation: Organisation
    membership: Membership
    apikey: ApiKey
    account_id: int = 0
    transfer_id: int = 0
    office_id: int = 0
    count_id: int = 0
    pending_id: int = 0
    run_id: int = 0
    qr_code_id: int = 0
    qr_code: str = ""
    qr_batch_id: int = 0
    qr_form_id: int = 0
    qr_webhook_id: int = 0
    qr_resource_id: int = 0  # B's bookable room, with a slot tomorrow and a booking
    qr_booking_token: str = ""
    qr_point_id: int = 0  # B's entrance, with a visitor in
    request_token: str = ""  # an open payment request of B's resident
    announcement_id: int = 0  # a Buurbel announcement of B
    rule_version_id: int = 0  # B's Buurbel rules: a draft copy of the active version
    match_run_id: int = 0  # a Buurbel matching run of B
    match_id: int = 0  # B's introduction by phone of a pair
    flow_id: int = 0  # a draft of B's first Buurbel call flow
    participant_id: int = 0  # B's resident as a Buurbel participant (number not verified)
    place_id: int = 0  # B's open digipunt, with weekly hours
    exception_id: int = 0  # a holiday of that digipunt
    session_id: int = 0  # an IT café session of B (activities) at that digipunt
    registration_id: int = 0  # B's resident signed up for it
    secret: str = ""  # the secret of that sign-up's cancel link
    offer_id: int = 0  # a sign-up of B offered a freed seat (a full session, one cancelled)
    offer_secret: str = ""  # the secret in that offer's message
    series_id: int = 0  # B's IT café (with the self-assessment), for its evaluations page
    checkin_code: str = ""  # the code in the QR of that sign-up's "my sign-up" page
    evaluate_code: str = ""  # the code in the evaluation link of that sign-up
    referral_id: int = 0  # B's partner's waiting request for a laptop
    device_id: int = 0  # B's donated laptop, wiped (its certificate is step 2)
    donation_id: int = 0  # the donation it came in with
    device_label: str = ""  # its label number (the public return page's address)
    photo_id: int = 0  # a photo of that device
    ticket_id: int = 0  # the open repair ticket of B's second laptop (available, broken)
    handover_id: int = 0  # a loan of a device to B's resident, signed at the counter
    loan_id: int = 0  # that loan
    volunteer_id: int = 0  # B's resident as a digibuddy
    duty_id: int = 0  # their duty at B's IT café, offered for a swap
    helpdesk_ticket_id: int = 0  # a helpdesk ticket of B's resident (category itsme)
    helpdesk_category_id: int = 0  # that category
    helpdesk_visit_id: int = 0  # a provider's home visit for a home-help child of that ticket
    helpdesk_recording_id: int = 0  # a phone message left on that ticket (simulator file)
    article_slug: str = ""  # a public help page of B (Dutch)
    article_id: int = 0  # that page
    answer_id: int = 0  # a standard answer of B
    quarantine_id: int = 0  # a stranger's reply to B's e-mail ticket, in B's quarantine
    attachment_id: int = 0  # a kept attachment of B's e-mail ticket
    survey_token: str = ""  # the satisfaction link of B's closed ticket (not answered)
    plan_id: int = 0  # B's monitoring plan, with a target, a budget line and a milestone
    target_id: int = 0
    line_id: int = 0
    milestone_id: int = 0
    survey_id: int = 0  # B's survey (monitoring), answered once before
    survey_link_token: str = ""  # an open text-message link of that survey for B's resident
    report_id: int = 0  # B's funder report of that plan (made: a PDF and an XLSX)
    hx_post_id: int = 0  # B's resident asks for help (open, answered by a neighbour)
    hx_response_id: int = 0  # that neighbour's answer
    hx_deal_id: int = 0  # an agreed deal on another post of B's resident

    def ids(self) -> dict[str, Any]:
        return {
            "person_id": self.person.pk,
            "organisation_id": self.organisation.pk,
            "membership_id": self.membership.pk,
            "apikey_id": self.apikey.pk,
            "account_id": self.account_id,
            "transfer_id": self.transfer_id,
            "office_id": self.office_id,
            "count_id": self.count_id,
            "pending_id": self.pending_id,
            "run_id": self.run_id,
            "code_id": self.qr_code_id,
            "code": self.qr_code,
            "batch_id": self.qr_batch_id,
            "form_id": self.qr_form_id,
            "webhook_id": self.qr_webhook_id,
            "resource_id": self.qr_resource_id,
            "booking_token": self.qr_booking_token,
            "point_id": self.qr_point_id,
            "fmt": "pdf",  # a format every download and export offers
            "token": self.request_token,
            "announcement_id": self.announcement_id,
            "rule_version_id": self.rule_version_id,
            "match_run_id": self.match_run_id,
            "match_id": self.match_id,
            "flow_id": self.flow_id,
            "participant_id": self.participant_id,
            "place_id": self.place_id,
            "exception_id": self.exception_id,
            "session_id": self.session_id,
            "registration_id": self.registration_id,
            "secret": self.secret,
            "offer_id": self.offer_id,
            "offer_secret": self.offer_secret,
            "series_id": self.series_id,
            "checkin_code": self.checkin_code,
            "evaluate_code": self.evaluate_code,
            "referral_id": self.referral_id,
            "device_id": self.device_id,
            "donation_id": self.donation_id,
            "seq": 2,  # the wipe of B's device
            "label": self.device_label,
            "photo_id": self.photo_id,
            "ticket_id": self.ticket_id,
            "handover_id": self.handover_id,
            "loan_id": self.loan_id,
            "volunteer_id": self.volunteer_id,
            "plan_id": self.plan_id,
            "target_id": self.target_id,
            "line_id": self.line_id,
            "milestone_id": self.milestone_id,
            "survey_id": self.survey_id,
            "survey_link_token": self.survey_link_token,
            "report_id": self.report_id,
            "duty_id": self.duty_id,
            "helpdesk_ticket_id": self.helpdesk_ticket_id,
            "helpdesk_category_id": self.helpdesk_category_id,
            "helpdesk_visit_id": self.helpdesk_visit_id,
            "helpdesk_recording_id": self.helpdesk_recording_id,
            "article_slug": self.article_slug,
            "article_id": self.article_id,
            "answer_id": self.answer_id,
            "quarantine_id": self.quarantine_id,
            "attachment_id": self.attachment_id,
            "survey_token": self.survey_token,
            "post_id": self.hx_post_id,
            "response_id": self.hx_response_id,
            "deal_id": self.hx_deal_id,
        }


@pytest.fixture(scope="module")
def _shared_b(django_db_setup: Any, django_db_blocker: Any) -> Iterator[OtherCommunity]:
    """B's rows, built once per module (and xdist worker) in a transaction rolled back after
    it (tests/worlds.py); each test's writes are rolled back from a savepoint of it."""
    with rolled_back_world(django_db_blocker):
        with django_db_blocker.unblock():
            # As the ``other_community`` fixture makes it.
            other = community_create(
                name="Heuvelwijk",
                slug="heuvelwijk",
                default_language="fr",
                enabled_modules=list(MODULES),
            )
            world = _make_b(other)
        yield world


@pytest.fixture
def b(db: Any, _shared_b: OtherCommunity) -> Iterator[OtherCommunity]:
    """Community B as built, in fresh model instances, with empty per-process caches."""
    reset_process_caches()
    yield copy.deepcopy(_shared_b)
    reset_process_caches()


def _make_b(other_community: Community) -> OtherCommunity:
    actor = Actor.system(other_community, label=f"{MARK}actor")
    org = services.organisation_create(
        actor=actor, name=f"{MARK.title()}org Library", slug=f"{MARK}org", kind="library"
    )
    person = services.person_create(
        actor=actor,
        first_name="Zebulon",
        last_name=f"{MARK.title()}well",
        phone="0470999888",
        email=f"zebulon@{MARK}.example.org",
        consents={"data_processing": True},
    )
    services.person_give_login(
        actor=actor, person_id=person.pk, username=f"{MARK}resident", password="b-password-123"
    )
    # What the ``make_login`` fixture does for a staff login.
    get_user_model().objects.create_user(username=f"{MARK}user", password=PASSWORD)
    services.membership_grant(actor=actor, username=f"{MARK}user", roles=["staff"])
    membership = Membership.objects.get(user__username=f"{MARK}user")
    key, _raw = services.apikey_create(actor=actor, name=f"{MARK}key", roles=["staff"])
    # B's currency: the resident's account, a payment PIN and a transfer (the receipt page).
    currency = ledger_services.currency_create(actor=actor, code="QUX", names={})
    account = ledger_services.account_open(actor=actor, kind="resident", person_id=person.pk)
    issuer = ledger_services.account_open(actor=actor, kind="organisation", organisation_id=org.pk)
    issuance = currency.accounts.get(system_role="issuance")
    ledger_services.transfer_create(
        actor=actor,
        debit_account_id=issuance.pk,
        credit_account_id=issuer.pk,
        amount=50,
        kind="issue",
        idempotency_key=f"{MARK}-issue",
    )
    transfer = ledger_services.transfer_create(
        actor=actor,
        debit_account_id=issuer.pk,
        credit_account_id=account.pk,
        amount=20,
        kind="reward",
        description=f"{MARK} reward",
        idempotency_key=f"{MARK}-reward",
    )
    ledger_services.pin_set(actor=actor, person_id=person.pk, pin="4826", identity_checked=True)
    # B's exchange office with a daily count, a large reward waiting for approval
    # and last month's conversion to euro.
    office = ledger_services.exchange_office_create(
        actor=actor, name=f"{MARK} office", organisation_id=org.pk
    )
    count = ledger_services.office_daily_count(actor=actor, office_id=office.pk, counted={})
    today = date.today()
    ledger_services.budget_create(
        actor=actor,
        account_id=issuer.pk,
        starts_on=today.replace(day=1),
        ends_on=today.replace(day=28),
        amount=10_000,
    )
    person_actor = replace(actor, channel="web", label=f"{MARK}coordinator", user_id=1)
    pending = ledger_services.reward_create(
        actor=person_actor,
        issuer_account_id=issuer.pk,
        resident_account_id=account.pk,
        amount=500,
        reason=f"{MARK} big reward",
        idempotency_key=f"{MARK}-pending",
    ).pending
    run = ledger_services.redemption_run(
        actor=actor, month=(today.replace(day=1) - timedelta(days=1))
    )
    # B's QR codes: one in use, a blank one to claim, a batch, a form and a webhook.
    qr_code = qr_services.code_create(
        actor=actor,
        title=f"{MARK} bench",
        routes=[{"action": "redirect", "params": {"url": f"https://{MARK}.example.org/"}}],
    )
    qr_blank = qr_services.code_create(actor=actor, title=f"{MARK} sticker")
    qr_batch = qr_services.batch_create(actor=actor, size=2, title=f"{MARK} roll")
    qr_services.batch_run(batch_id=qr_batch.pk)  # made, so that it can be printed and exported
    qr_form = qr_services.form_create(
        actor=actor, title={"nl": f"{MARK} form"}, fields=[{"type": "text", "label": {"nl": "?"}}]
    )
    qr_hook, _secret = qr_services.webhook_create(
        actor=actor, name=f"{MARK} hook", url="https://93.184.216.34/hook"
    )
    from buurtkit.neighbours import services as neighbours_services

    announcement = neighbours_services.announcement_create(
        actor=actor,
        title=f"{MARK} announcement",
        text={"nl": f"{MARK} street party"},
        starts_on=today,
        ends_on=today,
    )
    return OtherCommunity(
        other_community,
        person,
        org,
        membership,
        key,
        account.pk,
        transfer.pk,
        office_id=office.pk,
        count_id=count.pk,
        pending_id=pending.pk,
        run_id=run.pk,
        qr_code_id=qr_code.pk,
        qr_code=qr_blank.code,
        qr_batch_id=qr_batch.pk,
        qr_form_id=qr_form.pk,
        qr_webhook_id=qr_hook.pk,
        request_token=ledger_services.payment_request_create(
            actor=actor, payee_account_id=account.pk, amount=3, idempotency_key=f"{MARK}-ask"
        ).token,
        announcement_id=announcement.pk,
        **_b_qr_presence(actor),
        **_b_buurbel_rules(actor),
        **_b_buurbel_introduction(actor),
        **_b_buurbel_participant(actor, person),
        **(places := _b_places(actor, org)),
        **_b_activities(actor, person, places["place_id"]),
        **_b_referral(actor, org),
        **_b_lending(actor, org),
        **_b_repair(actor),
        **_b_handover(actor, person),
        **_b_helpdesk(actor, person),
        **_b_helpdesk_mail(actor),
        **_b_monitoring(actor),
        **_b_survey(actor, person),
        **_b_helpexchange(actor, person),
    )


def _b_helpdesk(actor: Actor, person: Person) -> dict[str, Any]:
    """B's helpdesk: the seeded categories, a ticket of B's resident, a public help page."""
    from buurtkit.helpdesk import services as helpdesk

    category = next(
        c for c in helpdesk.categories_ensure_defaults(actor=actor) if c.key == "itsme-eid"
    )
    ticket = helpdesk.ticket_create(
        actor=actor,
        channel="counter",
        subject=f"{MARK} itsme",
        body=f"{MARK} question",
        category_id=category.pk,
        person_id=person.pk,
    )
    article = helpdesk.article_save(
        actor=actor, language="nl", slug="itsme-b", title=f"{MARK} help",
        body=f"{MARK} text", public=True,
    )  # fmt: skip
    answer = helpdesk.standard_answer_save(
        actor=actor, title=f"{MARK} answer", texts={"nl": f"{MARK} come by"}
    )
    helpdesk.public_services_ensure_defaults(actor=actor)
    home = helpdesk.home_help_request(actor=actor, parent_id=ticket.pk, body=f"{MARK} home")
    visit = helpdesk.visit_plan(
        actor=actor, ticket_id=home.pk, scheduled_at=clock.now() + timedelta(days=1),
        expected_minutes=60, address=f"{MARK} street 1", provider=f"{MARK} provider",
    )  # fmt: skip
    recording_sid = "RE" + uuid.uuid4().hex
    simulator.write_recording(recording_sid, 1)  # what the simulator leaves for a message
    recording = PhoneRecording.objects.create(
        community=actor.community,
        ticket=ticket,
        provider="simulator",
        call_sid="CA" + uuid.uuid4().hex,
        recording_sid=recording_sid,
        duration_seconds=1,
        created_at=_dt.datetime.now(_dt.UTC),
    )
    return {
        "helpdesk_visit_id": visit.pk,
        "helpdesk_recording_id": recording.pk,
        "helpdesk_ticket_id": ticket.pk,
        "helpdesk_category_id": category.pk,
        "article_slug": article.slug,
        "article_id": article.pk,
        "answer_id": answer.pk,
    }


def _b_helpdesk_mail(actor: Actor) -> dict[str, Any]:
    """B's helpdesk mailbox (no server: mails stored as the reader stores them, handled by
    the real handler): an e-mail ticket with an attachment, a stranger's reply to it in the
    quarantine, and a closed ticket whose satisfaction link was sent."""
    import hashlib

    from django.conf import settings

    from buurtkit.core import clock
    from buurtkit.helpdesk import services as helpdesk
    from buurtkit.messaging import services as messaging
    from buurtkit.messaging.models import InboundAttachment, InboundMail, Message

    box = messaging.mailbox_create(
        actor=actor, name=f"{MARK} box", purpose="helpdesk", host="imap.b.example",
        port=993, username=f"{MARK}@b.example", password_env="BUURTKIT_MAIL_B",
    )  # fmt: skip

    def stored(uid: int, sender: str, subject: str) -> InboundMail:
        mail = InboundMail.objects.create(
            community=actor.community, mailbox=box, uidvalidity=1, uid=uid,
            message_id=f"<{MARK}-{uid}@b.example>", from_address=sender, subject=subject,
            text_body=f"{MARK} mail text", received_at=clock.now(),
        )  # fmt: skip
        return mail

    first = stored(1, "zebulon@b.example", f"{MARK} e-box")
    data = f"{MARK} attachment".encode()
    sha = hashlib.sha256(data).hexdigest()
    relative = f"{actor.community.pk}/{sha[:2]}/{sha}"
    target = settings.MAIL_DIR / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    attachment = InboundAttachment.objects.create(
        community=actor.community, mail=first, filename=f"{MARK}.pdf", size=len(data),
        sha256=sha, path=relative,
    )  # fmt: skip
    messaging.mail_handle(mail_id=first.pk)
    from buurtkit.helpdesk.models import MailThread, TicketMail

    ticket = TicketMail.objects.get(inbound=first).ticket
    token = MailThread.objects.get(ticket=ticket).token
    spoof = stored(2, "stranger@b.example", f"Re: [#{ticket.number}-{token}]")
    messaging.mail_handle(mail_id=spoof.pk)
    asker = services.person_create(
        actor=actor, first_name=f"{MARK}asker", phone="0470999887",
        consents={"data_processing": True, "contact_sms": True},
    )  # fmt: skip
    closed = helpdesk.ticket_create(
        actor=actor, channel="counter", subject=f"{MARK} closed", body=f"{MARK} q",
        person_id=asker.pk,
    )  # fmt: skip
    for status in ("resolved", "closed"):
        helpdesk.ticket_transition(actor=actor, ticket_id=closed.pk, status=status)
    sms = Message.objects.filter(community=actor.community, body__contains="/survey/").get()
    survey_token = re.search(r"/helpdesk/survey/([^/\s]+)/", sms.body).group(1)  # type: ignore[union-attr]
    return {
        "quarantine_id": QuarantinedMail.objects.get(mail=spoof).pk,
        "attachment_id": attachment.pk,
        "survey_token": survey_token,
    }


def _b_monitoring(actor: Actor) -> dict[str, int]:
    """B's plan with a target, a budget line with spending and a milestone."""
    from buurtkit.monitoring import services as monitoring_services

    plan = monitoring_services.plan_create(
        actor=actor,
        name=f"{MARK} plan",
        funder=f"{MARK} funder",
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 12, 31),
    )
    target = monitoring_services.target_create(
        actor=actor, plan_id=plan.pk, title=f"{MARK} target", value=16,
        indicator="activities.sessions_held",
    )  # fmt: skip
    line = monitoring_services.budget_line_create(
        actor=actor, plan_id=plan.pk, category="wages", title=f"{MARK} wages",
        planned_cents=100_000,
    )  # fmt: skip
    monitoring_services.spending_add(
        actor=actor, plan_id=plan.pk, line_id=line.pk, spent_on=date(2026, 2, 1),
        amount_cents=5_000, note=f"{MARK} salary",
    )  # fmt: skip
    milestone = monitoring_services.milestone_create(
        actor=actor, plan_id=plan.pk, title=f"{MARK} steering", due_on=date(2026, 3, 31)
    )
    report = monitoring_services.report_generate(actor=actor, plan_id=plan.pk, kind="funder")
    monitoring_services.report_build(snapshot_id=report.pk)
    return {
        "plan_id": plan.pk,
        "target_id": target.pk,
        "line_id": line.pk,
        "milestone_id": milestone.pk,
        "report_id": report.pk,
    }


def _b_survey(actor: Actor, person: Person) -> dict[str, Any]:
    """B's survey, answered once on paper, with an open link for B's resident; B's resident's
    profile for statistics (with consent) and B's figures per target group."""
    from buurtkit.core import clock
    from buurtkit.monitoring import reach, surveys
    from buurtkit.monitoring.models import SurveyLink

    survey = surveys.survey_define(
        actor=actor, key="skills", title={"nl": f"{MARK} survey"},
        questions=[("find", {"nl": f"{MARK} question"})],
    )  # fmt: skip
    surveys.response_enter(
        actor=actor, survey_id=survey.pk, phase="before", answers={"find": 2},
        person_id=person.pk,
    )  # fmt: skip
    token = "b-survey-link-token"
    SurveyLink.objects.create(
        community=actor.community, survey=survey, phase="after", person=person,
        token_hash=surveys.token_hash(token), created_at=clock.now(),
        expires_at=clock.now() + timedelta(days=14),
    )  # fmt: skip
    reach.profile_save(actor=actor, person_id=person.pk, consent=True, groups=["low_income"])
    reach.group_figures_save(actor=actor, figures={"seniors": (123, 10)})
    return {"survey_id": survey.pk, "survey_link_token": token}


def _b_helpexchange(actor: Actor, person: Person) -> dict[str, int]:
    """B's resident asks for help twice; a neighbour answers both, one answer is accepted."""
    from buurtkit.helpexchange import services as hx

    neighbour = services.person_create(
        actor=actor, first_name=f"{MARK.title()}nina", last_name=f"{MARK.title()}son"
    )
    posts = [
        hx.post_create(
            actor=actor,
            person_id=person.pk,
            kind="request",
            category="moving",
            title=f"{MARK} wardrobe {n}",
            text=f"{MARK} on Saturday",
        )
        for n in (1, 2)
    ]
    answers = [hx.post_respond(actor=actor, post_id=p.pk, person_id=neighbour.pk) for p in posts]
    deal = hx.response_accept(actor=actor, response_id=answers[1].pk)
    return {
        "hx_post_id": posts[0].pk,
        "hx_response_id": answers[0].pk,
        "hx_deal_id": deal.pk,
    }


def _b_referral(actor: Actor, org: Organisation) -> dict[str, int]:
    """A waiting request of B's partner, and a limit on its requests."""
    from buurtkit.lending import services as lending_services

    lending_services.cap_set(actor=actor, organisation_id=org.pk, period="year", max_referrals=9)
    referral = lending_services.referral_file(
        actor=actor,
        organisation_id=org.pk,
        client_ref=f"{MARK}-dossier",
        kind="laptop",
        purpose=f"{MARK} homework",
        eligibility="pupil",
    )
    return {"referral_id": referral.pk}


def _b_qr_presence(actor: Actor) -> dict[str, Any]:
    from buurtkit.qrcodes.selectors import local_today

    room = qr_services.resource_create(actor=actor, name=f"{MARK} room", capacity=3)
    (slot,) = qr_services.slots_add(
        actor=actor,
        resource_id=room.pk,
        day=local_today() + timedelta(days=1),
        start=_dt.time(10, 0),
        end=_dt.time(11, 0),
    )
    booking = qr_services.booking_create(
        community=actor.community, slot_id=slot.pk, name=f"{MARK} booker", contact="0470999888"
    )
    point = qr_services.point_create(actor=actor, name=f"{MARK} door")
    qr_services.visit_check_in(community=actor.community, point_id=point.pk, name=f"{MARK} in")
    return {
        "qr_resource_id": room.pk,
        "qr_booking_token": booking.token,
        "qr_point_id": point.pk,
    }


def _b_repair(actor: Actor) -> dict[str, int]:
    """B's second laptop: wiped, checked, available, and reported broken (an open ticket)."""
    from buurtkit.lending import services as lending_services

    donation = lending_services.donation_receive(
        actor=actor,
        received_on=date(2026, 1, 5),
        donor_name=f"{MARK} donor",
        devices=[{"kind": "laptop", "brand": f"{MARK}brand", "serial": f"{MARK}-repair"}],
    )
    device = donation.devices.get()
    evidence = {"method": "purge", "tool": "nwipe", "operator": "x", "wiped_on": "2026-01-05"}
    for kind in ("wiped", "checked", "available"):
        lending_services.device_record_event(
            actor=actor,
            device_id=device.pk,
            kind=kind,
            evidence=evidence if kind == "wiped" else None,
        )
    ticket = lending_services.repair_open(
        actor=actor, device_id=device.pk, problem=f"{MARK} broken screen"
    )
    return {"ticket_id": ticket.pk}


def _b_handover(actor: Actor, person: Person) -> dict[str, int]:
    """A loan of a wiped laptop to B's resident, with the signed agreement."""
    import io
    import uuid

    from PIL import Image, ImageDraw

    from buurtkit.lending import services as lending_services

    donation = lending_services.donation_receive(
        actor=actor, received_on=date(2026, 12, 1), donor_name=f"{MARK} donor",
        devices=[{"kind": "laptop", "brand": f"{MARK}brand", "serial": f"{MARK}-loan"}],
    )  # fmt: skip
    device = donation.devices.get()
    evidence = {"method": "purge", "tool": "nwipe", "operator": "x", "wiped_on": "2026-12-01"}
    lending_services.device_record_event(
        actor=actor, device_id=device.pk, kind="wiped", evidence=evidence
    )
    for kind in ("checked", "available"):
        lending_services.device_record_event(actor=actor, device_id=device.pk, kind=kind)
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (100, 10), (200, 90)], fill="black", width=4)
    png = io.BytesIO()
    image.save(png, format="PNG")
    handover = lending_services.handover_create(
        actor=actor, kind="loan", device_ids=[device.pk], person_id=person.pk,
        recipient_name=f"{MARK} Zebulon", language="fr", signature_png=png.getvalue(),
        due_on=date.today() + timedelta(days=30), connectivity="own", identity_checked=True,
        identity_document="eid", idempotency_key=uuid.uuid4().hex,
    )  # fmt: skip
    return {"handover_id": handover.pk, "loan_id": handover.loans.get().pk}


def _b_places(actor: Actor, org: Organisation) -> dict[str, int]:
    from buurtkit.places import rules as place_rules
    from buurtkit.places import services as places_services

    place = places_services.place_create(
        actor=actor,
        name=f"{MARK} digipunt",
        kind="digipunt",
        street="Rue 1",
        postcode="1000",
        host_id=org.pk,
        phone="02 123 45 67",
    )
    places_services.place_set_hours(
        actor=actor,
        place_id=place.pk,
        hours=[{"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(7)],
    )
    places_services.municipality_create(actor=actor, name=f"{MARK}ville", postcodes=["1000"])
    places_services.place_update(actor=actor, place_id=place.pk, postcode="1000")
    places_services.place_change_status(actor=actor, place_id=place.pk, status="equipping")
    for item in place_rules.MANUAL_ITEMS:
        places_services.place_tick(actor=actor, place_id=place.pk, item=item, done=True)
    places_services.place_change_status(actor=actor, place_id=place.pk, status="open")
    holiday = places_services.place_add_exception(
        actor=actor, place_id=place.pk, starts_on=date(2030, 12, 25), reason=f"{MARK} holiday"
    )
    return {"place_id": place.pk, "exception_id": holiday.pk}


def _b_activities(actor: Actor, person: Person, place_id: int) -> dict[str, Any]:
    """B's IT café at its digipunt, with B's resident signed up (and the cancel secret)."""
    from datetime import UTC, datetime

    from buurtkit.activities import services as activities
    from buurtkit.activities.services.checkin import link_code

    series = activities.series_create(
        actor=actor, kind="it_cafe", title={"fr": f"{MARK} café"}, self_assessment=True
    )
    session = activities.session_add(
        actor=actor,
        series_id=series.pk,
        place_id=place_id,
        starts_at=datetime(2030, 3, 4, 13, tzinfo=UTC),
        ends_at=datetime(2030, 3, 4, 16, tzinfo=UTC),
        capacity=10,
    )
    (registration,), secret = activities.registration_create(
        actor=actor, session_id=session.pk, person_id=person.pk, channel="desk"
    )
    # A full session: the first sign-up is cancelled, the seat offered to the one waiting.
    full = activities.session_add(
        actor=actor, series_id=series.pk, place_id=place_id,
        starts_at=datetime(2030, 3, 11, 13, tzinfo=UTC),
        ends_at=datetime(2030, 3, 11, 16, tzinfo=UTC), capacity=1,
    )  # fmt: skip
    from buurtkit.people import services as people_services

    waiting = people_services.person_create(
        actor=actor, first_name=f"{MARK}wait", phone="0470 55 66 77",
        consents={"data_processing": True, "contact_sms": True},
    )  # fmt: skip
    (taken,), _secret = activities.registration_create(
        actor=actor, session_id=full.pk, person_id=person.pk, channel="desk"
    )
    (offered,), _secret = activities.registration_create(
        actor=actor, session_id=full.pk, person_id=waiting.pk, channel="desk"
    )
    activities.registration_cancel(actor=actor, registration_id=taken.pk)
    body = Message.objects.filter(person=waiting).latest("pk").body
    offer_secret = re.findall(r"/activities/offer/\d+/([^/\s]+)/", body)[0]
    # B's resident is a digibuddy with a duty at the café, offered for a swap.
    volunteer = activities.volunteer_create(actor=actor, person_id=person.pk, skills="itsme")
    duty = activities.duty_assign(actor=actor, volunteer_id=volunteer.pk, session_id=session.pk)
    activities.duty_offer_swap(actor=actor, duty_id=duty.pk)
    return {
        "volunteer_id": volunteer.pk,
        "duty_id": duty.pk,
        "session_id": session.pk,
        "registration_id": registration.pk,
        "secret": secret,
        "offer_id": offered.pk,
        "offer_secret": offer_secret,
        "series_id": series.pk,
        "checkin_code": link_code(registration, "checkin"),
        "evaluate_code": link_code(registration, "evaluate"),
    }


def _b_lending(actor: Actor, org: Organisation) -> dict[str, Any]:
    """B's device bank: a donation of two laptops, the second one wiped."""
    from buurtkit.lending import services as lending_services

    donation = lending_services.donation_receive(
        actor=actor,
        received_on=date(2026, 12, 1),
        donor_id=org.pk,
        note=f"{MARK} donation",
        devices=[
            {"kind": "laptop", "brand": f"{MARK}brand", "serial": f"{MARK}-{i}"} for i in range(2)
        ],
    )
    device = donation.devices.order_by("label").last()
    assert device is not None
    lending_services.device_record_event(
        actor=actor,
        device_id=device.pk,
        kind="wiped",
        evidence={"method": "purge", "tool": "nwipe", "operator": f"{MARK}op",
                  "wiped_on": "2026-12-01"},
    )  # fmt: skip
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    jpeg = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(jpeg, format="JPEG")
    photo = lending_services.device_photo_add(
        actor=actor,
        device_id=device.pk,
        upload=SimpleUploadedFile(f"{MARK}.jpg", jpeg.getvalue(), content_type="image/jpeg"),
    )
    return {
        "device_id": device.pk,
        "donation_id": donation.pk,
        "device_label": device.label,
        "photo_id": photo.pk,
    }


def _b_buurbel_participant(actor: Actor, person: Person) -> dict[str, int]:
    """B's resident takes part in Buurbel; the number is not verified yet."""
    from buurtkit.neighbours import services as neighbours_services

    participant = neighbours_services.participant_register(
        actor=actor, person_id=person.pk, consent=True, interests=[f"{MARK}ball"]
    )
    return {"participant_id": participant.pk}


def _b_buurbel_rules(actor: Actor) -> dict[str, int]:
    """B's Buurbel rules (active, and a draft copy) and one matching run."""
    from buurtkit.neighbours import services as neighbours_services

    active = neighbours_services.rules_create_default(actor=actor)
    draft = neighbours_services.rule_version_create(
        actor=actor, copy_of_id=active.pk, notes=f"{MARK} draft"
    )
    run = neighbours_services.matching_run(actor=actor)
    return {"rule_version_id": draft.pk, "match_run_id": run.pk}


def _b_buurbel_introduction(actor: Actor) -> dict[str, int]:
    """B's pair of verified participants being introduced (no call yet) and a flow draft."""
    from buurtkit.core import clock
    from buurtkit.neighbours import services as neighbours_services
    from buurtkit.neighbours.callflows import FIRST
    from buurtkit.neighbours.models import Match, ProposedPair
    from buurtkit.telephony import services as telephony_services

    for n, phone in enumerate(("0470 55 10 01", "0470 55 10 02")):
        person = services.person_create(
            actor=actor,
            first_name=f"{MARK.title()}buur{n}",
            phone=phone,
            consents={"data_processing": True},
        )
        participant = neighbours_services.participant_register(
            actor=actor,
            person_id=person.pk,
            consent=True,
            neighbourhood=f"{MARK}wijk",
            interests=["cards"],
            activities=["coffee"],
            call_windows=[{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"}],
            lat=51.06,
            lon=3.71,
        )
        neighbours_services.participant_mark_verified(actor=actor, participant_id=participant.pk)
    run = neighbours_services.matching_run(actor=actor)
    pair = ProposedPair.objects.get(run=run)
    now = clock.now()
    match = Match.objects.create(
        community=actor.community,
        proposed_pair=pair,
        participant_a_id=pair.participant_a_id,
        participant_b_id=pair.participant_b_id,
        created_at=now,
        state_changed_at=now,
        actor_label=f"{MARK}actor",
    )
    flow = telephony_services.flow_version_create(actor=actor, key=FIRST, notes=f"{MARK} flow")
    return {"match_id": match.pk, "flow_id": flow.pk}


def _flatten(patterns: list[Any], prefix: str = "") -> list[URLPattern]:
    """Every page under ``/<slug>/``, included ones (a module's ``helpexchange/`` include) too,
    as one route each with its whole path."""
    flat: list[URLPattern] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            flat += _flatten(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            route = RoutePattern(prefix + str(p.pattern), name=p.name, is_endpoint=True)
            flat.append(URLPattern(route, p.callback, p.default_args, p.name))
    return flat


def _community_patterns() -> list[URLPattern]:
    return _flatten(root_urls.community_urlpatterns)


def _path(pattern: URLPattern, slug: str, ids: dict[str, int]) -> str:
    route = str(pattern.pattern)
    needed = re.findall(r"<(?:\w+:)?(\w+)>", route)
    missing = [n for n in needed if n not in ids]
    assert not missing, f"test does not know how to fill {missing} in {route!r}: add it"
    for name in needed:
        route = re.sub(rf"<(?:\w+:)?{name}>", str(ids[name]), route)
    return f"/{slug}/{route}"


# Valid input for every form under /<slug>/: if a guard were missing, the write would happen.
HOSTILE_POST = {
    "kind": "photos",
    "granted": "0",
    "password": "taken-over-12345",
    "username": "intruder",
    "confirm": "yes",
    "first_name": "Hacked",
    "last_name": "Hacked",
    "preferred_language": "nl",
    "name": "Hacked",
    "slug": "hacked",
    "roles": ["coordinator"],
    "active": "",
    "identity_checked": "on",
    "action": "lost_phone",
    "pin": "5937",
    "pin_again": "5937",
    "reason": "Hacked",
    "period": "month",
    "max_referrals": "1",
    "score": "5",
}


def _b_state(b: OtherCommunity) -> dict[str, Any]:
    b.person.refresh_from_db()
    b.organisation.refresh_from_db()
    b.membership.refresh_from_db()
    b.apikey.refresh_from_db()
    return {
        "person": (b.person.first_name, b.person.last_name, b.person.anonymised_at),
        "user_password_hash": b.person.user.password if b.person.user else None,
        "org": (b.organisation.name, b.organisation.slug),
        "membership": (b.membership.roles, b.membership.active),
        "key": b.apikey.revoked_at,
        "consents": Consent.objects.filter(community=b.community).count(),
        "audit": AuditEvent.objects.filter(community=b.community).count(),
        "people": Person.objects.filter(community=b.community).count(),
        "memberships": Membership.objects.filter(community=b.community).count(),
        "pins": list(
            PaymentPin.objects.filter(community=b.community).values_list(
                "pin_hash", "failed_attempts", "locked_at"
            )
        ),
        "transfers": Transfer.objects.filter(community=b.community).count(),
        "payment_requests": list(
            PaymentRequest.objects.filter(community=b.community).values_list("status", flat=True)
        ),
        "qr": (
            list(
                Code.objects.filter(community=b.community).values_list("title", "status", "version")
            ),
            Route.objects.filter(community=b.community).count(),
            list(Webhook.objects.filter(community=b.community).values_list("secret", "active")),
        ),
        "announcements": list(
            Announcement.objects.filter(community=b.community).values_list(
                "title", "active", "updated_at"
            )
        ),
        "recordings": Recording.objects.filter(community=b.community).count(),
        "rules": list(
            RuleVersion.objects.filter(community=b.community).values_list(
                "number", "status", "notes", "eligibility"
            )
        ),
        "runs": MatchRun.objects.filter(community=b.community).count(),
        "participants": list(
            Participant.objects.filter(community=b.community).values_list(
                "interests",
                "phone_verified_at",
                "opted_out_at",
                "needs_follow_up",
                "follow_up_note",
                "updated_at",
            )
        ),
        "verifications": PhoneVerification.objects.filter(community=b.community).count(),
        "places": list(
            Place.objects.filter(community=b.community).values_list(
                "name", "status", "checklist", "updated_at"
            )
        ),
        "hours": OpeningHours.objects.filter(community=b.community).count(),
        "exceptions": OpeningException.objects.filter(community=b.community).count(),
        "referrals": list(
            Referral.objects.filter(community=b.community).values_list("state", "device_id")
        ),
        "devices": list(
            Device.objects.filter(community=b.community).values_list(
                "state", "events_count", "pool"
            )
        ),
        "device_events": DeviceEvent.objects.filter(community=b.community).count(),
        "device_photos": list(
            DevicePhoto.objects.filter(community=b.community).values_list("pk", "image")
        ),
        "evaluations": Evaluation.objects.filter(community=b.community).count(),
        "donations": Donation.objects.filter(community=b.community).count(),
        "repairs": list(
            RepairTicket.objects.filter(community=b.community).values_list("state", "problem")
        ),
        "loans": list(
            Loan.objects.filter(community=b.community).values_list("state", "due_on", "extensions")
        ),
        "handovers": HandOver.objects.filter(community=b.community).count(),
        "agreement_texts": list(
            AgreementText.objects.filter(community=b.community).values_list(
                "kind", "language", "version", "title"
            )
        ),
        "messages": Message.objects.filter(community=b.community).count(),
        "volunteers": list(
            Volunteer.objects.filter(community=b.community).values_list(
                "skills", "availability", "track", "certified_on", "active"
            )
        ),
        "duties": list(
            Duty.objects.filter(community=b.community).values_list(
                "volunteer_id", "state", "cancel_reason", "starts_at"
            )
        ),
        "helpdesk_tickets": list(
            HelpdeskTicket.objects.filter(community=b.community).values_list(
                "status",
                "subject",
                "category_id",
                "person_id",
                "assigned_user_id",
                "assigned_volunteer_id",
                "device_id",
                "registration_id",
            )
        ),
        "helpdesk_messages": TicketMessage.objects.filter(community=b.community).count(),
        "helpdesk_texts": (
            list(
                HelpdeskArticle.objects.filter(community=b.community).values_list(
                    "title", "body", "public"
                )
            ),
            list(
                HelpdeskAnswer.objects.filter(community=b.community).values_list(
                    "title", "texts", "active"
                )
            ),
            list(
                HelpdeskSettings.objects.filter(community=b.community).values_list(
                    "retention_days", "visit_rate_cents", "visit_budget_cents", "visit_target"
                )
            ),
        ),
        "helpdesk_home": (
            list(
                HomeVisit.objects.filter(community=b.community).values_list(
                    "status", "report", "address", "scheduled_at", "checked_in_at"
                )
            ),
            list(
                Barrier.objects.filter(community=b.community).values_list("ticket_id", "service_id")
            ),
            list(PublicService.objects.filter(community=b.community).values_list("name", "active")),
            list(HomeHelpNeed.objects.filter(community=b.community).values_list("tasks")),
        ),
        "helpdesk_mail": (
            list(
                QuarantinedMail.objects.filter(community=b.community).values_list(
                    "status", "result_ticket_id"
                )
            ),
            list(Survey.objects.filter(community=b.community).values_list("score", "answered_at")),
        ),
        "helpdesk_categories": list(
            HelpdeskCategory.objects.filter(community=b.community).values_list(
                "name", "team_id", "first_response_hours", "resolution_hours", "active"
            )
        ),
        "monitoring": (
            list(Plan.objects.filter(community=b.community).values_list("name", "ends_on")),
            list(Target.objects.filter(community=b.community).values_list("title", "value")),
            list(BudgetLine.objects.filter(community=b.community).values_list("title")),
            Spending.objects.filter(community=b.community).count(),
            list(Milestone.objects.filter(community=b.community).values_list("title", "done_on")),
            IndicatorRun.objects.filter(community=b.community).count(),
            list(
                ReportSnapshot.objects.filter(community=b.community).values_list("status", "files")
            ),
        ),
        "monitoring_reach": (
            list(
                Profile.objects.filter(community=b.community).values_list("low_income", "age_band")
            ),
            list(
                GroupFigure.objects.filter(community=b.community).values_list("group", "population")
            ),
            SurveyResponse.objects.filter(community=b.community).count(),
            list(SurveyLink.objects.filter(community=b.community).values_list("used_at")),
        ),
        "activity_registrations": list(
            ActivityRegistration.objects.filter(community=b.community)
            .order_by("pk")
            .values_list("state", "person_id", "channel", "referred_by_id", "anonymised_at")
        ),
        "helpexchange": (
            list(
                HelpPost.objects.filter(community=b.community)
                .order_by("pk")
                .values_list("title", "state", "hidden", "reports", "person_id")
            ),
            HelpResponse.objects.filter(community=b.community).count(),
            list(HelpDeal.objects.filter(community=b.community).values_list("state", "payout")),
            HelpBlock.objects.filter(community=b.community).count(),
        ),
    }


# --- tenant isolation, every page -------------------------------------------------------------


def test_every_community_page_is_covered() -> None:
    names = {p.name for p in _community_patterns()}
    assert {"people", "person", "person_export", "apikeys", "audit", "act_stop"} <= names
    assert len(names) == len(_community_patterns())


#: Pages anyone may see without a login (they show only what a community publishes).
PUBLIC_PAGES = {
    "activities_programme",
    "activities_offer",
    "activities_session",
    "activities_cancel",
    "activities_brochure",  # the month's programme to print (act-figures)
    "activities_my",  # the person's sign-up with its QR, by the secret link
    "activities_self_assessment",  # the questions before the course, from that page
    "activities_checkin_scan",  # the QR scanned: "show this code at the door" without a login
    "activities_evaluate",  # the evaluation link sent after the last session
    "qr_book",
    "qr_booking",
    "qr_checkin",
    "places_directory",
    "places_directory_json",
    "places_poster",
    "place_public",
    "place_poster",
    "lending_return",  # a device's label scanned by anyone: "please bring it back"
    "helpdesk_chat",  # the portal's chat box (a visitor's own chat, by a signed cookie)
    "helpdesk_help",  # the knowledge base's public help pages
    "helpdesk_help_page",
    "helpdesk_survey",  # the satisfaction question behind the SMS link (a secret token)
    "ledger_places",  # where the currency is accepted: shops and offices, no people
    "ledger_places_embed",  # the same, for an <iframe> on the neighbourhood's website
    "ledger_manifest",  # the resident pages' web app manifest (browsers fetch it without cookies)
    # The help exchange's open posts for everyone and for other sites (no personal data
    # beyond first names and neighbourhoods), and one open post with "sign in or call".
    "helpexchange_public",
    "helpexchange_embed",
    "helpexchange_feed_json",
    "helpexchange_feed_rss",
    "helpexchange_post",
    "monitoring_survey_link",  # a survey sent by text message: its secret link, once
}


def test_public_pages_are_the_known_ones(b: OtherCommunity) -> None:
    """Without a login every page sends to the login page (or refuses a GET), except the
    ones listed above."""
    client = Client()
    answered = {}
    for pattern in _community_patterns():
        response = client.get(_path(pattern, b.community.slug, b.ids()))
        if response.status_code not in (302, 405):  # 405: a POST-only action refuses GET
            answered[pattern.name] = response.status_code
    assert answered == dict.fromkeys(PUBLIC_PAGES, 200)


@pytest.mark.parametrize(
    "pattern",
    [p for p in _community_patterns() if p.name not in PUBLIC_PAGES],
    ids=lambda p: p.name,
)
def test_login_of_a_gets_403_on_every_page_of_b(
    pattern: URLPattern,
    community: Community,
    b: OtherCommunity,
    login_client: Callable[..., Client],
) -> None:
    client = login_client(community, "coordinator")
    url = _path(pattern, b.community.slug, b.ids())
    before = _b_state(b)
    get = client.get(url)
    post = client.post(url, HOSTILE_POST)
    assert get.status_code in (403, 405), url  # 405: a POST-only action refuses GET first
    assert post.status_code == 403, url
    for response in (get, post):
        assert MARK not in _body(response).lower()
    assert _b_state(b) == before


@pytest.mark.parametrize(
    "pattern", [p for p in _community_patterns() if "<" in str(p.pattern)], ids=lambda p: p.name
)
def test_ids_of_b_are_not_found_under_a(
    pattern: URLPattern,
    community: Community,
    b: OtherCommunity,
    login_client: Callable[..., Client],
) -> None:
    client = login_client(community, "coordinator")
    url = _path(pattern, community.slug, b.ids())
    before = _b_state(b)
    get = client.get(url)
    post = client.post(url, HOSTILE_POST)
    assert get.status_code in (404, 405), url  # 405: a POST-only action
    assert post.status_code == 404, url
    for response in (get, post):
        assert MARK not in _body(response).lower()
    assert _b_state(b) == before


@pytest.mark.parametrize("pattern", _community_patterns(), ids=lambda p: p.name)
def test_the_same_urls_work_for_b_itself(
    pattern: URLPattern, b: OtherCommunity, login_client: Callable[..., Client]
) -> None:
    """Proves the isolation tests above hit real pages, not typos."""
    client = login_client(b.community, "coordinator")
    response = client.get(_path(pattern, b.community.slug, b.ids()))
    assert response.status_code in (200, 302, 405)


@pytest.mark.parametrize(
    "pattern",
    [p for p in _community_patterns() if "<" not in str(p.pattern)],
    ids=lambda p: p.name,
)
def test_pages_of_a_never_show_data_of_b(
    pattern: URLPattern,
    community: Community,
    system: Actor,
    b: OtherCommunity,
    login_client: Callable[..., Client],
) -> None:
    services.person_create(actor=system, first_name="Annelies", last_name="Mertens")
    client = login_client(community, "coordinator")
    url = _path(pattern, community.slug, {})
    response = client.get(url, {"q": ""})
    assert response.status_code in (200, 302, 405)
    assert MARK not in _body(response).lower()
    # Searching for B's data from A finds nothing either.
    for q in ("Zebulon", MARK, "0470999888", f"{MARK}user"):
        response = client.get(url, {"q": q})
        page = response.context["page"] if response.context and "page" in response.context else []
        assert {row.community_id for row in page} <= {community.pk}, (url, q)
        assert MARK not in _body(response).lower().replace(q.lower(), ""), (url, q)


CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _body(response: Any) -> str:
    """The page, or a streamed export (CSV) read to the end, without its CSRF tokens (random
    letters that may spell the mark by chance)."""
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return CSRF_TOKEN.sub("", response.content.decode(errors="replace"))  # a PDF is bytes


def test_on_behalf_session_cannot_point_at_a_person_of_b(
    community: Community, b: OtherCommunity, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "staff")
    session = client.session
    session[f"on_behalf:{community.slug}"] = b.person.pk  # a forged or stale session value
    session.save()
    response = client.get(f"/{community.slug}/")
    assert response.status_code == 200
    assert MARK not in _body(response).lower()
    assert 'class="banner"' not in response.content.decode()


def test_anonymous_visitor_is_sent_to_login(community: Community, client: Client) -> None:
    response = client.get("/rabot/people/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/rabot/people/")


# --- unknown community, in the user's language -----------------------------------------------------


def _missing_message(language: str, slug: str) -> tuple[str, str]:
    with translation.override(language):
        return (
            gettext("Not found"),
            gettext("There is no community called “%(slug)s”.") % {"slug": slug},
        )


@pytest.mark.parametrize(
    ("headers", "cookies", "language"),
    [
        ({}, {}, "nl"),
        ({"HTTP_ACCEPT_LANGUAGE": "fr-BE,fr;q=0.9"}, {}, "fr"),
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, {}, "en"),
        ({"HTTP_ACCEPT_LANGUAGE": "fr"}, {"django_language": "en"}, "en"),
        ({}, {"django_language": "fr"}, "fr"),
    ],
)
def test_unknown_community_is_a_404_page_in_the_users_language(
    db: Any, headers: dict[str, str], cookies: dict[str, str], language: str
) -> None:
    client = Client(**headers)
    for name, value in cookies.items():
        client.cookies[name] = value
    response = client.get("/nergens/people/")
    assert response.status_code == 404
    assert response["Content-Language"] == language
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    title, message = _missing_message(language, "nergens")
    assert escape(title) in page
    assert escape(message) in page


def test_unknown_community_is_404_for_a_signed_in_user_too(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "coordinator")
    for url in ("/nergens/", "/nergens/people/", "/nergens/apikeys/"):
        assert client.get(url).status_code == 404


# --- role matrix -------------------------------------------------------------------------------------

PAGES = [
    "",
    "people/",
    "people/new/",
    "organisations/",
    "organisations/new/",
    "memberships/",
    "memberships/new/",
    "apikeys/",
    "audit/",
    "lending/referrals/",
    "lending/referrals/new/",
    "lending/referrals/queue/",
    "lending/referrals/caps/",
]
#: A referrer login of the matrix belongs to no partner organisation: it may not file.
LENDING_REFERRALS = {p for p in PAGES if p.startswith("lending/referrals/")}
ALLOWED = {
    "coordinator": set(PAGES),
    "staff": {"", "people/", "people/new/", "organisations/", "organisations/new/", "memberships/"}
    | LENDING_REFERRALS,
    "counter_clerk": {"", "people/"},
    "volunteer": {"", "people/"},
    "referrer": {"", "people/"},
    "merchant": {""},
    "auditor": {"", "people/", "organisations/", "memberships/", "audit/"},
    "resident": {""},
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_page_permissions_per_role(
    role: str, community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, role)
    got = {page: client.get(f"/rabot/{page}").status_code for page in PAGES}
    expected = {page: 200 if page in ALLOWED[role] else 403 for page in PAGES}
    assert got == expected


@pytest.mark.parametrize("role", ["volunteer", "counter_clerk", "auditor", "resident"])
def test_roles_without_people_manage_cannot_post_a_person(
    role: str, community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, role)
    count = Person.objects.count()
    response = client.post(
        "/rabot/people/new/", {"first_name": "Sneaky", "preferred_language": "nl"}
    )
    assert response.status_code == 403
    assert Person.objects.count() == count


def test_dashboard_lists_enabled_modules(
    community: Community, login_client: Callable[..., Client]
) -> None:
    community.enabled_modules = ["qrcodes", "ledger"]
    community.save(update_fields=["enabled_modules"])
    response = login_client(community, "coordinator").get("/rabot/")
    modules = [m.key for m in response.context["modules"]]
    assert modules == ["qrcodes", "ledger"]


# --- people list: search and paging -----------------------------------------------------------------


def test_people_search_and_paging(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    for i in range(30):
        services.person_create(
            actor=system, first_name=f"Kind{i:02d}", last_name="Janssens", has_smartphone=i < 10
        )
    services.person_create(
        actor=system, first_name="Quirinus", last_name="Uniek", phone="0470 55 66 77"
    )
    client = login_client(community, "volunteer")

    response = client.get("/rabot/people/", {"q": "Uniek"})
    assert response.context["page"].paginator.count == 1
    assert "Quirinus Uniek" in response.content.decode()
    assert "Janssens" not in response.content.decode()

    response = client.get("/rabot/people/", {"q": "0470 55 66 77"})
    assert [p.first_name for p in response.context["page"]] == ["Quirinus"]

    response = client.get("/rabot/people/", {"q": "janssens"})
    page = response.context["page"]
    assert (page.paginator.count, page.paginator.num_pages, len(page.object_list)) == (30, 2, 25)
    assert "q=janssens&amp;page=2" in response.content.decode()  # the next link keeps the search

    response = client.get("/rabot/people/", {"q": "janssens", "page": "2"})
    second = response.context["page"]
    assert len(second.object_list) == 5
    assert not {p.pk for p in second} & {p.pk for p in page}

    response = client.get("/rabot/people/", {"q": "janssens", "smartphone": "yes"})
    assert response.context["page"].paginator.count == 10

    response = client.get("/rabot/people/", {"q": "Uniek"}, HTTP_HX_REQUEST="true")
    assert "<html" not in response.content.decode()  # htmx gets just the rows
    assert "Quirinus Uniek" in response.content.decode()


# --- person form ----------------------------------------------------------------------------------------


def test_person_form_keeps_input_and_shows_phone_error(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "staff")
    response = client.post(
        "/rabot/people/new/",
        {
            "first_name": "Fatima",
            "last_name": "Benali",
            "phone": "12345",
            "email": "fatima@example.org",
            "preferred_language": "fr",
            "postcode": "9000",
            "consent_data_processing": "on",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    for typed in (
        'value="Fatima"',
        'value="Benali"',
        'value="12345"',
        'value="fatima@example.org"',
    ):
        assert typed in page
    assert re.search(r'<option value="fr"\s+selected', page)
    assert re.search(r'id="consent" name="consent_data_processing"\s+checked', page)
    with translation.override("nl"):
        error = gettext("This is not a valid phone number. Example: 0470 12 34 56 or 09 266 10 10.")
    assert response.context["form"].errors["phone"] == [error]
    before, after = page.split('name="phone"', 1)
    assert before[before.rfind('<div class="field') :].startswith('<div class="field invalid')
    assert escape(error) in after.split('<div class="field', 1)[0]  # next to the phone field
    assert not Person.objects.filter(first_name="Fatima").exists()


def test_person_form_creates_with_consent(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "staff")
    response = client.post(
        "/rabot/people/new/",
        {
            "first_name": "Fatima",
            "phone": "0470 12 34 56",
            "preferred_language": "fr",
            "consent_data_processing": "on",
        },
    )
    person = Person.objects.get(first_name="Fatima")
    assert response.status_code == 302
    assert response["Location"] == f"/rabot/people/{person.pk}/"
    assert (person.phone, person.phone_kind, person.preferred_language) == (
        "+32470123456",
        "mobile",
        "fr",
    )
    assert selectors.current_consents(person=person) == {"data_processing": True}


def test_person_edit_shows_phone_error_and_keeps_old_data(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    person = services.person_create(actor=system, first_name="Leen", phone="092123456")
    client = login_client(community, "staff")
    response = client.post(
        f"/rabot/people/{person.pk}/edit/",
        {"first_name": "Leentje", "phone": "0000", "preferred_language": "nl"},
    )
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert 'value="Leentje"' in response.content.decode()
    person.refresh_from_db()
    assert (person.first_name, person.phone) == ("Leen", "+3292123456")


# --- act on behalf ------------------------------------------------------------------------------------


def test_act_on_behalf_start_and_stop(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    person = services.person_create(actor=system, first_name="Godelieve", last_name="De Vos")
    client = login_client(community, "staff")
    response = client.get("/rabot/")
    assert 'class="banner"' not in response.content.decode()

    response = client.post(f"/rabot/people/{person.pk}/act/")
    assert response.status_code == 302
    response = client.get("/rabot/")
    page = response.content.decode()
    assert 'class="banner"' in page
    assert "Godelieve De Vos" in page.split('class="banner"', 1)[1].split("</div>", 1)[0]
    assert response.context["on_behalf"] == person

    response = client.post(
        f"/rabot/people/{person.pk}/consent/", {"kind": "contact_sms", "granted": "1"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(verb="person.consent", object_id=str(person.pk))
    assert event.on_behalf_of_id == person.pk
    assert event.channel == "counter"
    assert event.actor_user_id is not None
    consent = Consent.objects.get(person=person)
    assert (consent.kind, consent.granted, consent.channel) == ("contact_sms", True, "counter")

    response = client.post("/rabot/act/stop/")
    assert response.status_code == 302
    assert response["Location"] == f"/rabot/people/{person.pk}/"
    response = client.get("/rabot/")
    assert 'class="banner"' not in response.content.decode()
    client.post(f"/rabot/people/{person.pk}/consent/", {"kind": "photos", "granted": "0"})
    own = AuditEvent.objects.get(verb="person.consent", data__kind="photos")
    assert own.on_behalf_of_id is None
    assert own.channel == "web"


def test_audit_page_shows_on_behalf(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    person = services.person_create(actor=system, first_name="Roger")
    services.person_record_consent(
        actor=system.acting_for(person.pk), person_id=person.pk, kind="photos", granted=True
    )
    response = login_client(community, "auditor").get("/rabot/audit/", {"verb": "person.consent"})
    events = list(response.context["page"])
    assert [e.on_behalf_of_id for e in events] == [person.pk]
    assert f"#{person.pk}" in response.content.decode()


def test_volunteer_cannot_act_on_behalf(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    person = services.person_create(actor=system, first_name="Roger")
    client = login_client(community, "volunteer")
    assert client.post(f"/rabot/people/{person.pk}/act/").status_code == 403
    assert 'class="banner"' not in client.get("/rabot/").content.decode()


# --- GDPR -------------------------------------------------------------------------------------------


def test_gdpr_export_download(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    person = services.person_create(
        actor=system, first_name="Aïcha", last_name="Bouzid", consents={"photos": False}
    )
    response = login_client(community, "coordinator").get(f"/rabot/people/{person.pk}/export.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="person-{person.pk}.json"'
    data = json.loads(response.content.decode("utf-8"))
    assert data["person"]["first_name"] == "Aïcha"
    assert data["consents"][0]["kind"] == "photos"
    assert AuditEvent.objects.filter(verb="person.exported", object_id=str(person.pk)).count() == 1


def test_gdpr_export_needs_gdpr_permission(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    person = services.person_create(actor=system, first_name="Aïcha")
    response = login_client(community, "staff").get(f"/rabot/people/{person.pk}/export.json")
    assert response.status_code == 403
    assert "Aïcha" not in response.content.decode()
    assert not AuditEvent.objects.filter(verb="person.exported").exists()


def test_anonymise_flow(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    person = services.person_create(
        actor=system, first_name="Emiel", last_name="Verstraete", phone="0470123456"
    )
    client = login_client(community, "coordinator")
    url = f"/rabot/people/{person.pk}/anonymise/"

    response = client.get(url)
    assert response.status_code == 200
    assert "Emiel Verstraete" in response.content.decode()
    assert 'name="confirm" value="yes"' in response.content.decode()

    client.post(url, {})  # no confirmation: nothing happens
    person.refresh_from_db()
    assert person.anonymised_at is None

    response = client.post(url, {"confirm": "yes"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.anonymised_at is not None
    detail = client.get(f"/rabot/people/{person.pk}/").content.decode()
    assert "Emiel" not in detail and "Verstraete" not in detail
    # The number in every form it is written in (a bare "470" also matches a login name such
    # as coordinator-rabot-470, made by a counter that runs on in a shared test session).
    for phone in ("470123456", "470 12 34 56", "+32 470", "+32470", "0470"):
        assert phone not in detail, phone
    assert AuditEvent.objects.filter(verb="person.anonymised").count() == 1

    assert login_client(community, "staff").post(url, {"confirm": "yes"}).status_code == 403


# --- API keys -----------------------------------------------------------------------------------------


def test_api_key_is_shown_once_and_can_be_revoked(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "coordinator")
    response = client.post("/rabot/apikeys/", {"name": "Library import", "roles": ["staff"]})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    match = re.search(r'id="secret">([^<]+)<', response.content.decode())
    assert match
    raw = match.group(1).strip()
    key = ApiKey.objects.get(name="Library import")
    assert raw.startswith(f"bk_{key.prefix}_")
    secret = raw.split("_", 2)[2]

    listing = client.get("/rabot/apikeys/").content.decode()
    assert "Library import" in listing and key.prefix in listing
    assert secret not in listing and raw not in listing
    assert secret not in client.get("/rabot/audit/").content.decode()

    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/communities").status_code == 200

    response = client.post(f"/rabot/apikeys/{key.pk}/revoke/")
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert api.get("/api/v1/communities").status_code == 401
    assert client.get(f"/rabot/apikeys/{key.pk}/revoke/").status_code == 405


def test_api_key_form_errors_create_nothing(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "coordinator")
    keys = ApiKey.objects.count()  # B's key may be there (the module's shared world)
    response = client.post("/rabot/apikeys/", {"name": "", "roles": []})
    assert response.status_code == 200
    assert 'id="secret"' not in response.content.decode()
    assert ApiKey.objects.count() == keys
