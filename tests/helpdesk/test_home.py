"""Help at home: the request's needs, visits planned against the yearly budget (Brussels
years), reminders the day before (once), the visitor's check-in, check-out, report and
follow-up, cancellations and no-shows; barrier reports with small counts suppressed; the
staff overview's figures; who sees which visit and address."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from buurtkit.activities import services as activities
from buurtkit.activities.models import Volunteer
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.helpdesk import selectors, services
from buurtkit.helpdesk.models import Barrier, HomeVisit, Ticket
from buurtkit.messaging.models import Message
from buurtkit.people import services as people_services

pytestmark = pytest.mark.django_db
BRUSSELS = ZoneInfo("Europe/Brussels")
# Monday 7 December 2026, 10:00 in Brussels.
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_n = itertools.count(1)


def _home_ticket(system: Actor, **values: Any) -> Ticket:
    values.setdefault("contact", services.Contact(name="Jan", phone="0470 11 22 33"))
    question = services.ticket_create(
        actor=system, channel="phone", subject="Kan niet komen", body="Rolstoel", **values
    )
    return services.home_help_request(actor=system, parent_id=question.pk, body="Thuis helpen")


def _buddy(system: Actor, name: str, *, home: bool = True) -> tuple[Volunteer, Any]:
    """A digibuddy with a volunteer login."""
    volunteer = activities.volunteer_create(
        actor=system, person={"first_name": name, "last_name": "B"}, home_visits=home
    )
    username = f"{name.lower()}-{next(_n)}"
    login = people_services.person_give_login(
        actor=system, person_id=volunteer.person_id, username=username,
        password="a-long-test-password",
    )  # fmt: skip
    people_services.membership_grant(actor=system, username=username, roles=["volunteer"])
    return volunteer, login


def _actor(community: Community, role: str, **extra: Any) -> Actor:
    return Actor(
        community=community,
        label=role,
        roles=frozenset({role}),
        permissions=frozenset(permissions_for_roles({role}, community.enabled_modules)),
        **extra,
    )


def _plan(system: Actor, ticket: Ticket, at: datetime, minutes: int = 60, **kw: Any) -> HomeVisit:
    kw.setdefault("address", "Rabotstraat 1, 9000 Gent")
    if "volunteer_id" not in kw:
        kw.setdefault("provider", "Thuishulp vzw")
    return services.visit_plan(
        actor=system, ticket_id=ticket.pk, scheduled_at=at, expected_minutes=minutes, **kw
    )


def test_the_need_is_a_multi_select_of_the_seeds_reasons_and_tasks(system: Actor) -> None:
    ticket = _home_ticket(system)
    need = services.home_help_need_set(
        actor=system, ticket_id=ticket.pk, vulnerabilities=["mobility", "language"],
        tasks=["itsme", "other"], tasks_other="Foto's naar de kleinkinderen sturen",
    )  # fmt: skip
    assert need.vulnerabilities == ["language", "mobility"]  # the list's order
    assert need.tasks == ["itsme", "other"] and need.tasks_other.startswith("Foto's")
    with pytest.raises(ValidationFailed) as other:
        services.home_help_need_set(
            actor=system, ticket_id=ticket.pk, vulnerabilities=[], tasks=["other"]
        )
    assert "tasks_other" in other.value.fields
    with pytest.raises(ValidationFailed):
        services.home_help_need_set(
            actor=system, ticket_id=ticket.pk, vulnerabilities=["bored"], tasks=[]
        )
    with pytest.raises(ValidationFailed):  # a question is not a home-help request
        services.home_help_need_set(
            actor=system, ticket_id=ticket.parent_id, vulnerabilities=["health"], tasks=[]
        )


def test_planning_against_the_budget(system: Actor, community: Community) -> None:
    services.helpdesk_settings_update(
        actor=system, retention_days=365, visit_rate_cents=2500, visit_budget_cents=10000
    )
    ticket = _home_ticket(system)
    buddy, _login = _buddy(system, "Rita")
    staff = _actor(community, "staff")
    coordinator = _actor(community, "coordinator")
    with clock.frozen(NOW):
        day = NOW + timedelta(days=2)
        first = _plan(staff, ticket, day, 60)  # 2 half hours: EUR 50
        assert first.cost_cents == 5000 and first.budget_year == 2026
        _plan(staff, ticket, day, 31)  # 2 half hours started: EUR 50, the budget is used up
        assert services.budget_spent(community, 2026) == 10000
        with pytest.raises(ValidationFailed) as refused:
            _plan(staff, ticket, day, 30)
        assert refused.value.code == "over_budget" and "budget" in refused.value.fields
        assert "25,00" in str(refused.value.detail) and "0,00" in str(refused.value.detail)
        with pytest.raises(ValidationFailed):  # staff cannot override
            _plan(staff, ticket, day, 30, override=True)
        # A digibuddy costs nothing; a coordinator may go over the budget, marked.
        free = _plan(staff, ticket, day, 90, volunteer_id=buddy.pk, provider="")
        assert free.cost_cents == 0
        over = _plan(coordinator, ticket, day, 30, override=True)
        assert over.over_budget and services.budget_spent(community, 2026) == 12500
        # A cancelled visit gives its money back.
        services.visit_close(actor=staff, visit_id=first.pk, status="cancelled")
        assert services.budget_spent(community, 2026) == 7500
    assert HomeVisit.objects.filter(ticket=ticket).count() == 4
    with clock.frozen(NOW), pytest.raises(ValidationFailed):  # not a digibuddy for home visits
        other, _ = _buddy(system, "Mo", home=False)
        _plan(staff, ticket, NOW + timedelta(days=1), 30, volunteer_id=other.pk, provider="")


def test_the_budget_year_is_the_brussels_year_of_the_visit(
    system: Actor, community: Community
) -> None:
    services.helpdesk_settings_update(
        actor=system, retention_days=365, visit_rate_cents=2500, visit_budget_cents=5000
    )
    ticket = _home_ticket(system)
    with clock.frozen(NOW):
        _plan(system, ticket, datetime(2026, 12, 30, 10, 0, tzinfo=UTC), 60)  # 2026 is used up
        # 31 December 23:30 UTC is 1 January 00:30 in Brussels: next year's budget.
        new_year = _plan(system, ticket, datetime(2026, 12, 31, 23, 30, tzinfo=UTC), 60)
        assert new_year.budget_year == 2027
        with pytest.raises(ValidationFailed):  # 22:59 UTC is still 31 December in Brussels
            _plan(system, ticket, datetime(2026, 12, 31, 22, 59, tzinfo=UTC), 30)
        with pytest.raises(ValidationFailed):  # and 2027 is used up now too
            _plan(system, ticket, datetime(2027, 1, 1, 10, 0, tzinfo=BRUSSELS), 30)


def test_the_visitor_checks_in_and_out_reports_and_plans_a_follow_up(
    system: Actor, community: Community
) -> None:
    ticket = _home_ticket(system)
    buddy, _login = _buddy(system, "Rita")
    rita = _actor(community, "volunteer", person_id=buddy.person_id)
    with clock.frozen(NOW):
        visit = _plan(
            system, ticket, NOW + timedelta(hours=2), 45, volunteer_id=buddy.pk, provider=""
        )
        provider = _plan(system, ticket, NOW + timedelta(hours=3), 30)
    ticket.refresh_from_db()
    assert ticket.assigned_volunteer_id == buddy.pk  # Rita sees the request too
    with pytest.raises(ValidationFailed):  # not there yet
        services.visit_check_out(actor=rita, visit_id=visit.pk)
    with pytest.raises(NotFound):  # the provider's visit is not hers
        services.visit_check_in(actor=rita, visit_id=provider.pk)
    arrived = NOW + timedelta(hours=2, minutes=5)
    with clock.frozen(arrived):
        services.visit_check_in(actor=rita, visit_id=visit.pk)
    with clock.frozen(arrived + timedelta(minutes=50)):
        done = services.visit_check_out(actor=rita, visit_id=visit.pk, report="itsme staat op")
    assert (done.status, done.checked_in_at, done.checked_out_at) == (
        "done", arrived, arrived + timedelta(minutes=50),
    )  # fmt: skip
    assert done.cost_cents == 0 and done.report == "itsme staat op"
    services.visit_report(
        actor=rita, visit_id=visit.pk, report="itsme staat op; e-Box volgende keer"
    )
    with clock.frozen(NOW + timedelta(hours=4)):
        follow = services.visit_plan(
            actor=rita, ticket_id=ticket.pk, scheduled_at=NOW + timedelta(days=7),
            expected_minutes=30, follow_up_of_id=visit.pk, provider="Iemand anders",
        )  # fmt: skip
    assert follow.volunteer_id == buddy.pk and follow.provider == ""  # for herself
    assert follow.address == visit.address and follow.follow_up_of_id == visit.pk
    with pytest.raises(PermissionDenied):  # a digibuddy plans no new visits of her own
        _plan(rita, ticket, NOW + timedelta(days=8), 30, volunteer_id=buddy.pk, provider="")
    # The provider's real time counts once checked out: 61 minutes = 3 half hours started.
    with clock.frozen(NOW + timedelta(hours=3)):
        services.visit_check_in(actor=system, visit_id=provider.pk)
    with clock.frozen(NOW + timedelta(hours=4, minutes=1)):
        assert services.visit_check_out(actor=system, visit_id=provider.pk).cost_cents == 7500
    with clock.frozen(NOW + timedelta(days=7, minutes=5)):
        gone = services.visit_close(actor=rita, visit_id=follow.pk, status="no_show")
    assert gone.status == "no_show" and gone.cost_cents == 0
    with pytest.raises(ValidationFailed):  # a no-show is not cancelled afterwards
        services.visit_close(actor=rita, visit_id=follow.pk, status="cancelled")


def test_reminders_the_day_before_once_in_the_persons_language(system: Actor) -> None:
    # 23:30 UTC on Monday 7 December is 00:30 on Tuesday in Brussels: "tomorrow" is Wednesday.
    late = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    with clock.frozen(late - timedelta(days=1)):
        person = people_services.person_create(
            actor=system, first_name="Marie", phone="0470 11 22 33", preferred_language="fr",
            consents={"contact_sms": True},
        )  # fmt: skip
        theirs = _home_ticket(system, person_id=person.pk, contact=None)
        unknown = _home_ticket(system)  # contact details only: staff phone them
        wednesday = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
        tuesday = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
        remind = _plan(system, theirs, wednesday)
        call = _plan(system, unknown, wednesday + timedelta(hours=1))
        _plan(system, theirs, tuesday)  # today in Brussels: too late for a day-before reminder
        cancelled = _plan(system, theirs, wednesday + timedelta(hours=2))
        services.visit_close(actor=system, visit_id=cancelled.pk, status="cancelled")
    Message.objects.all().delete()
    with clock.frozen(late):
        assert services.visit_reminders_send_community(system.community) == {"sms": 1, "staff": 1}
        assert services.visit_reminders_send_community(system.community) == {}  # never twice
        assert services.visit_reminders_send() == "nothing to send"
    message = Message.objects.get()
    assert message.person_id == person.pk and message.channel == "sms"
    assert "demain" in message.body.lower() and f"#{theirs.number}" in message.body
    assert HomeVisit.objects.get(pk=remind.pk).reminded_via == "sms"
    assert HomeVisit.objects.get(pk=call.pk).reminded_via == "staff"
    assert HomeVisit.objects.filter(reminded_at__isnull=False).count() == 2


def test_the_visitor_sees_only_their_own_visits_and_addresses(
    system: Actor, community: Community, other_system: Actor, login_client: Any
) -> None:
    ticket = _home_ticket(system)
    rita, rita_login = _buddy(system, "Rita")
    jef, _jef_login = _buddy(system, "Jef")
    with clock.frozen(NOW):
        hers = _plan(system, ticket, NOW + timedelta(days=1), address="Rabotstraat 7",
                     volunteer_id=rita.pk, provider="")  # fmt: skip
        his = _plan(system, ticket, NOW + timedelta(days=2), address="Gasmeterlaan 9",
                    volunteer_id=jef.pk, provider="")  # fmt: skip
        elsewhere = _plan(other_system, _home_ticket(other_system), NOW + timedelta(days=1))
    client = Client()
    client.force_login(rita_login)
    with clock.frozen(NOW):
        listed = client.get("/rabot/helpdesk/visits/").content.decode()
        assert "Rabotstraat 7" in listed and "Gasmeterlaan 9" not in listed
        page = client.get(f"/rabot/helpdesk/visits/{hers.pk}/")
        assert page.status_code == 200 and "Rabotstraat 7" in page.content.decode()
        assert client.get(f"/rabot/helpdesk/visits/{his.pk}/").status_code == 404
        assert client.get(f"/rabot/helpdesk/visits/{elsewhere.pk}/").status_code == 404
        assert (
            client.post(f"/rabot/helpdesk/visits/{his.pk}/", {"action": "check_in"}).status_code
            == 404
        )
        # Check in, check out with a report, through her page.
        assert (
            client.post(f"/rabot/helpdesk/visits/{hers.pk}/", {"action": "check_in"}).status_code
            == 302
        )
    with clock.frozen(NOW + timedelta(hours=1)):
        out = client.post(
            f"/rabot/helpdesk/visits/{hers.pk}/", {"action": "check_out", "report": "Gelukt"}
        )
        assert out.status_code == 302
    hers.refresh_from_db()
    assert hers.status == "done" and hers.report == "Gelukt"
    assert HomeVisit.objects.get(pk=his.pk).status == "planned"
    # Staff see every visit of their community; the other community's never.
    staff = login_client(community, "staff")
    every = staff.get("/rabot/helpdesk/visits/?which=all").content.decode()
    assert "Rabotstraat 7" in every and "Gasmeterlaan 9" in every and "Thuishulp" not in every


def test_barrier_report_per_service_and_month_with_small_counts_suppressed(
    system: Actor, community: Community, other_system: Actor, login_client: Any
) -> None:
    listed = {s.key: s.pk for s in services.public_services_ensure_defaults(actor=system)}
    assert {"itsme", "myminfin", "citizen-profile", "e-box", "health-insurer", "bank-app",
            "school-app", "city-e-loket"} <= set(listed)  # fmt: skip
    other_itsme = next(
        s.pk
        for s in services.public_services_ensure_defaults(actor=other_system)
        if s.key == "itsme"
    )

    def tagged(at: datetime, keys: list[str], actor: Actor = system) -> Ticket:
        with clock.frozen(at):
            t = services.ticket_create(
                actor=actor, channel="phone", subject="Vastgelopen", body="x",
                contact=services.Contact(name="Anna Geheim", phone="0470 11 22 33"),
            )  # fmt: skip
        ids = [listed[k] for k in keys] if actor is system else [other_itsme]
        services.ticket_barriers_set(actor=actor, ticket_id=t.pk, service_ids=ids)
        return t

    for day in range(5):
        tagged(datetime(2026, 10, 2 + day, 9, tzinfo=UTC), ["itsme"])
    tagged(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), ["itsme", "e-box"])  # November in Brussels
    tagged(datetime(2026, 11, 3, 9, tzinfo=UTC), ["e-box"])
    for _i in range(3):
        tagged(datetime(2026, 10, 3, 9, tzinfo=UTC), [], actor=other_system)
    with pytest.raises(ValidationFailed):  # another community's service
        services.ticket_barriers_set(
            actor=system, ticket_id=Ticket.objects.filter(community=community).first().pk,
            service_ids=[other_itsme],
        )  # fmt: skip
    # Untagging: the set replaces what was there.
    last = tagged(datetime(2026, 11, 4, 9, tzinfo=UTC), ["bank-app"])
    services.ticket_barriers_set(actor=system, ticket_id=last.pk, service_ids=[])
    assert not Barrier.objects.filter(ticket=last).exists()

    with clock.frozen(NOW):
        report = selectors.barrier_report(actor=system, last=NOW.date(), months=3)
    assert [m.month for m in report.months] == [10, 11, 12]
    rows = {key: cells for key, _name, cells in report.rows}
    assert rows["itsme"] == [5, "< 5", 0]
    assert rows["e-box"] == [0, "< 5", 0]
    assert rows["bank-app"] == [0, 0, 0]
    coordinator = login_client(community, "auditor")
    with clock.frozen(NOW):
        csv = coordinator.get("/rabot/helpdesk/barriers/?until=2026-12&format=csv")
        xlsx = coordinator.get("/rabot/helpdesk/barriers/?format=xlsx")
    text = csv.content.decode("utf-8-sig")
    assert csv.status_code == 200 and "2026-10" in text and "< 5" in text
    assert "Anna" not in text and "0470" not in text
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_the_overview_figures(system: Actor, community: Community, login_client: Any) -> None:
    services.categories_ensure_defaults(actor=system)
    services.helpdesk_settings_update(
        actor=system, retention_days=365, visit_target=100, visit_budget_cents=500000
    )
    phishing = selectors.categories(actor=system).get(key="banking-phishing")  # 4 h first answer
    start = NOW - timedelta(days=3)
    made = []
    for i, (channel, hours) in enumerate([("phone", 1), ("phone", 3), ("phone", 8), ("email", 2)]):
        with clock.frozen(start + timedelta(minutes=i)):
            t = services.ticket_create(
                actor=system, channel=channel, subject="Phishing", category_id=phishing.pk,
                contact=services.Contact(name="Anna Geheim", phone="0470 11 22 33"),
            )  # fmt: skip
        with clock.frozen(start + timedelta(minutes=i, hours=hours)):
            services.message_add(actor=system, ticket_id=t.pk, kind="reply", via="told", body="ok")
        made.append(t)
    with clock.frozen(start):
        late = services.ticket_create(actor=system, channel="chat", subject="Nog niets",
                                      category_id=phishing.pk,
                                      contact=services.Contact(name="Chat"))  # fmt: skip
    child = _home_ticket(system)
    with clock.frozen(NOW - timedelta(days=2)):
        done = _plan(system, child, NOW - timedelta(days=1), 60)
    with clock.frozen(NOW - timedelta(days=1)):
        services.visit_check_in(actor=system, visit_id=done.pk)
    with clock.frozen(NOW - timedelta(days=1) + timedelta(minutes=30)):
        services.visit_check_out(actor=system, visit_id=done.pk)
    with clock.frozen(NOW):
        _plan(system, child, NOW + timedelta(days=3), 90)
        data = selectors.staff_overview(actor=system, weeks=4)
    channels = {r.key: r for r in data.channels}
    # Three answered after 1, 3 and 8 hours, and the home-help question and its child (no
    # answer yet: not in the median).
    assert channels["phone"].tickets == 5 and channels["phone"].first_response_hours == 3.0
    assert channels["email"].first_response_hours == 2.0
    assert channels["chat"].first_response_hours is None
    front = next(t for t in data.teams if t["unfinished"] >= 5)
    assert front["late"] >= 1 and late.pk  # the chat question has no answer after 3 days
    assert len(data.weeks) == 4 and sum(w.tickets for w in data.weeks) == 7
    v = data.visits
    assert (v.year, v.target, v.done, v.planned) == (2026, 100, 1, 1)
    assert (v.spent_cents, v.reserved_cents, v.left_cents) == (2500, 7500, 490000)
    staff = login_client(community, "auditor")
    with clock.frozen(NOW):
        page = staff.get("/rabot/helpdesk/overview/")
        csv = staff.get("/rabot/helpdesk/overview/?format=csv").content.decode("utf-8-sig")
        xlsx = staff.get("/rabot/helpdesk/overview/?format=xlsx")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    assert "Anna" not in csv and "0470" not in csv and "Phishing" not in csv
    assert xlsx.status_code == 200


PAGES = [
    # (url template, who may see it)
    ("/rabot/helpdesk/overview/", {"coordinator", "staff", "counter_clerk", "auditor"}),
    ("/rabot/helpdesk/barriers/", {"coordinator", "staff", "counter_clerk", "auditor"}),
    ("/rabot/helpdesk/services/", {"coordinator"}),
    ("/rabot/helpdesk/visits/", {"coordinator", "staff", "counter_clerk", "auditor", "volunteer"}),
    ("/rabot/helpdesk/visits/{visit}/", {"coordinator", "staff", "counter_clerk", "auditor"}),
    ("/rabot/helpdesk/tickets/{ticket}/visits/", {"coordinator", "staff", "counter_clerk"}),
]
ROLES = ["coordinator", "staff", "counter_clerk", "auditor", "volunteer", "resident"]


def test_permission_matrix_and_tenant_isolation_of_the_pages(
    system: Actor, community: Community, other_system: Actor, make_login: Any
) -> None:
    ticket = _home_ticket(system)
    with clock.frozen(NOW):
        visit = _plan(system, ticket, NOW + timedelta(days=1))
        theirs = _home_ticket(other_system)
        their_visit = _plan(other_system, theirs, NOW + timedelta(days=1))
    for role in ROLES:
        client = Client()
        client.force_login(make_login(community, role))
        for template, allowed in PAGES:
            url = template.format(visit=visit.pk, ticket=ticket.pk)
            got = client.get(url).status_code
            # A volunteer who is not the visitor: not found, like any visit not theirs.
            expected = (
                200
                if role in allowed
                else (404 if "{visit}" in template and role == "volunteer" else 403)
            )
            assert got == expected, (role, url, got)
        # Another community's rows are not found, whoever asks.
        if role in {"coordinator", "staff"}:
            for url in (
                f"/rabot/helpdesk/visits/{their_visit.pk}/",
                f"/rabot/helpdesk/tickets/{theirs.pk}/visits/",
            ):
                assert client.get(url).status_code == 404, (role, url)
            assert (
                client.post(
                    f"/rabot/helpdesk/tickets/{theirs.pk}/barriers/", {"services": []}
                ).status_code
                == 404
            )
    # The writes: staff may tag and plan; an auditor may not.
    auditor = Client()
    auditor.force_login(make_login(community, "auditor"))
    assert auditor.post(f"/rabot/helpdesk/tickets/{ticket.pk}/barriers/").status_code == 403
    assert (
        auditor.post(f"/rabot/helpdesk/visits/{visit.pk}/", {"action": "check_in"}).status_code
        == 403
    )
    assert HomeVisit.objects.get(pk=visit.pk).status == "planned"


def test_planning_and_the_need_from_the_ticket_page(
    system: Actor, community: Community, login_client: Any
) -> None:
    ticket = _home_ticket(system)
    client = login_client(community, "counter_clerk")
    url = f"/rabot/helpdesk/tickets/{ticket.pk}/visits/"
    saved = client.post(url, {"action": "need", "vulnerabilities": ["health", "mobility"],
                              "tasks": ["eid_software"]})  # fmt: skip
    assert saved.status_code == 302
    assert selectors.home_need_of(ticket).vulnerabilities == ["health", "mobility"]
    tomorrow = (clock.now().astimezone(BRUSSELS) + timedelta(days=1)).date()
    form = {"action": "plan", "day": tomorrow.isoformat(), "hour": "10:00",
            "expected_minutes": "60", "address": "Rabotstraat 3", "provider": "Thuishulp",
            "idempotency_key": "k1"}  # fmt: skip
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302  # a double click plans it once
    visit = HomeVisit.objects.get(ticket=ticket)
    assert visit.scheduled_at.astimezone(BRUSSELS).hour == 10 and visit.cost_cents == 5000
    services.helpdesk_settings_update(actor=system, retention_days=365, visit_budget_cents=6000)
    refused = client.post(url, form | {"idempotency_key": "k2"})
    assert refused.status_code == 422 and "budget" in refused.content.decode().lower()
    assert HomeVisit.objects.filter(ticket=ticket).count() == 1


def test_the_budget_settings_in_euros(
    system: Actor, community: Community, login_client: Any
) -> None:
    coordinator = login_client(community, "coordinator")
    saved = coordinator.post(
        "/rabot/helpdesk/settings/",
        {"retention_days": "365", "visit_rate_euro": "30.50", "visit_budget_euro": "2500",
         "visit_target": "100"},
    )  # fmt: skip
    assert saved.status_code == 302
    found = services.settings_of(community)
    assert (found.visit_rate_cents, found.visit_budget_cents, found.visit_target) == (
        3050, 250000, 100,
    )  # fmt: skip
    # Left empty: unchanged.
    coordinator.post("/rabot/helpdesk/settings/", {"retention_days": "90"})
    found = services.settings_of(community)
    assert (found.retention_days, found.visit_budget_cents) == (90, 250000)
    assert login_client(community, "staff").get("/rabot/helpdesk/settings/").status_code == 403
