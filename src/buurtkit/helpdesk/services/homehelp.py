"""Help at home: what the person needs, visits by a digibuddy or an outside provider, the
provider's time against the community's yearly budget, reminders the day before, and the
visitor's check-in, check-out and report.

Budget rule: a provider's visit reserves its expected time (every started half hour at the
community's rate) when it is planned, and costs its real time once the visitor checks out;
a cancelled visit or nobody at home costs nothing. Planning that would take more than what is
left of the year's budget (the Brussels calendar year of the visit) is refused; a coordinator
(``helpdesk.manage``) may plan it anyway with ``override=True`` (the visit is then marked
``over_budget`` and the audit log says who did it).
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from buurtkit.activities.models import Volunteer
from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.models import Community
from buurtkit.helpdesk import access
from buurtkit.helpdesk.models import (
    VISIT_COUNTS,
    HelpdeskSettings,
    HomeHelpNeed,
    HomeTask,
    HomeVisit,
    Kind,
    Status,
    Ticket,
    VisitStatus,
    Vulnerability,
)
from buurtkit.messaging.services import notify
from buurtkit.people.selectors import current_consents_of, reminder_channel

BRUSSELS = ZoneInfo("Europe/Brussels")
HALF_HOUR = 30
MAX_MINUTES = 8 * 60
MAX_REPORT = 2000


def budget_year_of(moment: datetime) -> int:
    """The budget year a visit counts in: its calendar year in Brussels."""
    return moment.astimezone(BRUSSELS).year


def cost_of(minutes: int, rate_cents: int) -> int:
    """What a provider's visit of ``minutes`` costs: every started half hour at the rate."""
    return math.ceil(max(minutes, 1) / HALF_HOUR) * rate_cents


def _settings_locked(community: Community) -> HelpdeskSettings:
    HelpdeskSettings.objects.get_or_create(community=community)
    return HelpdeskSettings.objects.select_for_update().get(community=community)


def budget_spent(community: Community | int, year: int) -> int:
    """Cents of the year's budget taken by providers' visits (planned, under way or done)."""
    total = (
        HomeVisit.objects.in_community(community)
        .filter(budget_year=year, status__in=VISIT_COUNTS, volunteer__isnull=True)
        .aggregate(total=Sum("cost_cents"))["total"]
    )
    return int(total or 0)


def _choices(values: list[str], allowed: list[str], field: str) -> list[str]:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        msg = _("Choose from the list.")
        raise ValidationFailed(msg, fields={field: msg})
    return [v for v in allowed if v in values]  # the list's order, each once


@transaction.atomic
def home_help_need_set(
    *,
    actor: Actor,
    ticket_id: int,
    vulnerabilities: list[str],
    tasks: list[str],
    tasks_other: str = "",
) -> HomeHelpNeed:
    """Record on a home-help ticket why the person cannot come and what needs doing."""
    actor.require("helpdesk.handle")
    ticket = access.workable(actor).select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("There is no such ticket."))
    if ticket.kind != Kind.HOME_HELP:
        msg = _("Only a request for help at home has these details.")
        raise ValidationFailed(msg, fields={"ticket_id": msg})
    reasons = _choices(list(vulnerabilities), list(Vulnerability.values), "vulnerabilities")
    todo = _choices(list(tasks), list(HomeTask.values), "tasks")
    other = (tasks_other or "").strip()[:300]
    if HomeTask.OTHER in todo and not other:
        msg = _("Say what else needs doing.")
        raise ValidationFailed(msg, fields={"tasks_other": msg})
    if HomeTask.OTHER not in todo:
        other = ""
    need, _made = HomeHelpNeed.objects.get_or_create(
        ticket=ticket, defaults={"community": actor.community, "updated_at": clock.now()}
    )
    need.vulnerabilities, need.tasks, need.tasks_other = reasons, todo, other
    need.updated_at = clock.now()
    need.save()
    audit_record(
        actor=actor,
        verb="helpdesk.home_need_set",
        obj=ticket,
        data={"vulnerabilities": reasons, "tasks": todo},
    )
    return need


# --- who sees which visit ---


def _visit_locked(actor: Actor, visit_id: int) -> HomeVisit:
    visit = (
        access.visits_readable(actor)
        .select_for_update(of=("self",))
        .select_related("ticket", "volunteer")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        raise NotFound(_("There is no such visit."))
    return visit


def _may_work_on(actor: Actor, visit: HomeVisit) -> None:
    if actor.has("helpdesk.handle"):
        return
    if (
        actor.has("helpdesk.buddy")
        and actor.person_id
        and visit.volunteer is not None
        and visit.volunteer.person_id == actor.person_id
    ):
        return
    raise PermissionDenied(_("Only the visitor or helpdesk staff may do this."))


# --- planning ---


def _visitor(actor: Actor, volunteer_id: int | None, provider: str) -> tuple[Volunteer | None, str]:
    provider = (provider or "").strip()[:120]
    if bool(volunteer_id) == bool(provider):
        msg = _("Choose a digibuddy who does home visits, or name an outside provider.")
        raise ValidationFailed(msg, fields={"volunteer_id": msg})
    if not volunteer_id:
        return None, provider
    volunteer = (
        Volunteer.objects.in_community(actor.community)
        .select_related("person")
        .filter(pk=volunteer_id, active=True, home_visits=True)
        .first()
    )
    if volunteer is None:
        msg = _("This digibuddy does not do home visits (or is not in the register).")
        raise ValidationFailed(msg, fields={"volunteer_id": msg})
    return volunteer, ""


@transaction.atomic
def visit_plan(
    *,
    actor: Actor,
    ticket_id: int,
    scheduled_at: datetime,
    expected_minutes: int,
    address: str = "",
    volunteer_id: int | None = None,
    provider: str = "",
    follow_up_of_id: int | None = None,
    override: bool = False,
    idempotency_key: str = "",
) -> HomeVisit:
    """Plan a visit for a home-help ticket, by a digibuddy who does home visits or by an
    outside provider (whose expected time is reserved from the year's budget).

    A digibuddy may plan a follow-up of their own visit, for themselves. The same
    ``idempotency_key`` with the same request returns the first visit.
    """
    key = clean_key(idempotency_key, required=False)
    request = {
        "ticket": ticket_id,
        "at": scheduled_at.isoformat() if isinstance(scheduled_at, datetime) else scheduled_at,
        "minutes": expected_minutes,
        "address": address,
        "volunteer": volunteer_id,
        "provider": provider,
        "follow_up_of": follow_up_of_id,
        "override": override,
    }

    def create() -> HomeVisit:
        return _visit_plan(
            actor=actor,
            ticket_id=ticket_id,
            scheduled_at=scheduled_at,
            expected_minutes=expected_minutes,
            address=address,
            volunteer_id=volunteer_id,
            provider=provider,
            follow_up_of_id=follow_up_of_id,
            override=override,
            key=key,
            request_hash=fingerprint(request) if key else "",
        )

    if not key:
        return create()
    return run_once(
        queryset=HomeVisit.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(fingerprint(request)),
        create=create,
        conflict=_("This idempotency key was already used for another visit."),
    )


def _visit_plan(
    *,
    actor: Actor,
    ticket_id: int,
    scheduled_at: datetime,
    expected_minutes: int,
    address: str,
    volunteer_id: int | None,
    provider: str,
    follow_up_of_id: int | None,
    override: bool,
    key: str,
    request_hash: str,
) -> HomeVisit:
    previous: HomeVisit | None = None
    if follow_up_of_id:
        previous = _visit_locked(actor, follow_up_of_id)
        _may_work_on(actor, previous)
        if previous.ticket_id != ticket_id:
            msg = _("A follow-up is for the same request as the visit before.")
            raise ValidationFailed(msg, fields={"follow_up_of_id": msg})
        if not actor.has("helpdesk.handle"):
            # A digibuddy plans the next visit for themselves, at the same address.
            volunteer_id, provider = previous.volunteer_id, ""
        address = address or previous.address
    else:
        actor.require("helpdesk.handle")
    # Staff plan for any ticket; a digibuddy's follow-up is for the ticket of their visit.
    tickets = (
        access.workable(actor) if previous is None else Ticket.objects.in_community(actor.community)
    )
    ticket = tickets.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("There is no such ticket."))
    if ticket.kind != Kind.HOME_HELP:
        msg = _("Visits are planned for a request for help at home.")
        raise ValidationFailed(msg, fields={"ticket_id": msg})
    if ticket.status == Status.CLOSED:
        msg = _("Ticket %(ref)s is closed.") % {"ref": ticket.reference}
        raise ValidationFailed(msg, fields={"ticket_id": msg})
    if not isinstance(scheduled_at, datetime) or scheduled_at.tzinfo is None:
        msg = _("Give a date and time.")
        raise ValidationFailed(msg, fields={"scheduled_at": msg})
    now = clock.now()
    if scheduled_at < now:
        msg = _("A visit is planned in the future.")
        raise ValidationFailed(msg, fields={"scheduled_at": msg})
    minutes = int(expected_minutes)
    if not 1 <= minutes <= MAX_MINUTES:
        msg = _("Give a duration from 1 to %(max)s minutes.") % {"max": MAX_MINUTES}
        raise ValidationFailed(msg, fields={"expected_minutes": msg})
    address = (address or "").strip()[:300]
    if not address:
        msg = _("Give the address of the visit.")
        raise ValidationFailed(msg, fields={"address": msg})
    volunteer, provider = _visitor(actor, volunteer_id, provider)
    year = budget_year_of(scheduled_at)
    cost = 0
    over = False
    if volunteer is None:
        settings = _settings_locked(actor.community)  # one planner at a time per community
        cost = cost_of(minutes, settings.visit_rate_cents)
        left = settings.visit_budget_cents - budget_spent(actor.community, year)
        if cost > left:
            if not (override and actor.has("helpdesk.manage")):
                msg = _(
                    "This visit costs EUR %(cost)s, and only EUR %(left)s is left of the %(year)s "
                    "budget for outside providers. Plan a digibuddy, a shorter visit, or ask a "
                    "coordinator to plan it anyway."
                ) % {"cost": _euro(cost), "left": _euro(max(left, 0)), "year": year}
                raise ValidationFailed(msg, fields={"budget": msg}, code="over_budget")
            over = True
    visit = HomeVisit.objects.create(
        community=actor.community,
        ticket=ticket,
        volunteer=volunteer,
        provider=provider,
        address=address,
        scheduled_at=scheduled_at,
        expected_minutes=minutes,
        budget_year=year,
        cost_cents=cost,
        over_budget=over,
        follow_up_of=previous,
        created_at=now,
        created_by_label=actor.label[:150],
        idempotency_key=key,
        request_hash=request_hash,
    )
    if volunteer is not None and ticket.assigned_volunteer_id is None:
        # The digibuddy then sees the request (and its thread) on their phone.
        Ticket.objects.filter(pk=ticket.pk).update(assigned_volunteer=volunteer, updated_at=now)
    audit_record(
        actor=actor,
        verb="helpdesk.visit_planned",
        obj=visit,
        data={
            "ticket": ticket.pk,
            "by": "digibuddy" if volunteer else "provider",
            "cost_cents": cost,
            "over_budget": over,
            "follow_up_of": previous.pk if previous else None,
        },
    )
    return visit


def _euro(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


# --- the visitor ---


@transaction.atomic
def visit_check_in(*, actor: Actor, visit_id: int) -> HomeVisit:
    """The visitor arrived: the time is recorded. Checking in again changes nothing."""
    visit = _visit_locked(actor, visit_id)
    _may_work_on(actor, visit)
    if visit.status == VisitStatus.CHECKED_IN:
        return visit  # a second tap on the phone: nothing changes
    if visit.status != VisitStatus.PLANNED:
        msg = _("This visit is %(status)s: you cannot check in.") % {
            "status": visit.get_status_display()
        }
        raise ValidationFailed(msg, fields={"status": visit.status})
    visit.status, visit.checked_in_at = VisitStatus.CHECKED_IN, clock.now()
    visit.save(update_fields=["status", "checked_in_at"])
    audit_record(actor=actor, verb="helpdesk.visit_checked_in", obj=visit)
    return visit


def _report(text: str) -> str:
    return (text or "").strip()[:MAX_REPORT]


@transaction.atomic
def visit_check_out(*, actor: Actor, visit_id: int, report: str = "") -> HomeVisit:
    """The visit is over: the time is recorded and a provider's visit costs its real time."""
    visit = _visit_locked(actor, visit_id)
    _may_work_on(actor, visit)
    if visit.status != VisitStatus.CHECKED_IN or visit.checked_in_at is None:
        msg = _("Check in first.")
        raise ValidationFailed(msg, fields={"status": visit.status})
    now = clock.now()
    visit.status, visit.checked_out_at = VisitStatus.DONE, now
    if report.strip():
        visit.report = _report(report)
    if visit.volunteer_id is None:
        settings = _settings_locked(actor.community)
        minutes = math.ceil((now - visit.checked_in_at).total_seconds() / 60)
        visit.cost_cents = cost_of(minutes, settings.visit_rate_cents)
    visit.save(update_fields=["status", "checked_out_at", "report", "cost_cents"])
    audit_record(
        actor=actor,
        verb="helpdesk.visit_checked_out",
        obj=visit,
        data={"cost_cents": visit.cost_cents},
    )
    return visit


@transaction.atomic
def visit_report(*, actor: Actor, visit_id: int, report: str) -> HomeVisit:
    """The visitor's short report (what was done, what is left), after the visit."""
    visit = _visit_locked(actor, visit_id)
    _may_work_on(actor, visit)
    if visit.status not in (VisitStatus.CHECKED_IN, VisitStatus.DONE, VisitStatus.NO_SHOW):
        msg = _("Write the report during or after the visit.")
        raise ValidationFailed(msg, fields={"report": msg})
    text = _report(report)
    if not text:
        msg = _("Write a few words about the visit.")
        raise ValidationFailed(msg, fields={"report": msg})
    visit.report = text
    visit.save(update_fields=["report"])
    audit_record(actor=actor, verb="helpdesk.visit_reported", obj=visit)
    return visit


@transaction.atomic
def visit_close(*, actor: Actor, visit_id: int, status: str) -> HomeVisit:
    """Cancel a planned visit, or record that nobody was home: neither costs budget."""
    visit = _visit_locked(actor, visit_id)
    _may_work_on(actor, visit)
    allowed: dict[str, tuple[str, ...]] = {
        VisitStatus.CANCELLED: (VisitStatus.PLANNED,),
        VisitStatus.NO_SHOW: (VisitStatus.PLANNED, VisitStatus.CHECKED_IN),
    }
    if status not in allowed or visit.status not in allowed[status]:
        msg = _("This visit is %(status)s: that is not possible now.") % {
            "status": visit.get_status_display()
        }
        raise ValidationFailed(msg, fields={"status": visit.status})
    visit.status, visit.cost_cents = status, 0
    if status == VisitStatus.NO_SHOW and visit.checked_in_at is None:
        visit.checked_in_at = clock.now()
    visit.save(update_fields=["status", "cost_cents", "checked_in_at"])
    audit_record(actor=actor, verb=f"helpdesk.visit_{status}", obj=visit)
    return visit


# --- reminders the day before ---


def _tomorrow(now: datetime) -> tuple[datetime, datetime]:
    day = now.astimezone(BRUSSELS).date() + timedelta(days=1)
    start = datetime.combine(day, time.min, tzinfo=BRUSSELS)
    return start, start + timedelta(days=1)


def visit_reminders_send_community(
    community: Community, *, now: datetime | None = None
) -> dict[str, int]:
    """Remind each person visited tomorrow (Brussels days) by SMS or e-mail, in the ticket's
    language, once: a visit is marked reminded in the same transaction as its message, and
    the message's idempotency key names the visit. Without a way to reach them (no person,
    no consent): ``staff`` (the helpdesk phones them)."""
    now = now or clock.now()
    start, end = _tomorrow(now)
    due = list(
        HomeVisit.objects.in_community(community)
        .filter(
            status=VisitStatus.PLANNED,
            reminded_at__isnull=True,
            scheduled_at__gte=start,
            scheduled_at__lt=end,
        )
        .select_related("ticket__person")
        .order_by("pk")
    )
    consents = current_consents_of({v.ticket.person_id for v in due if v.ticket.person_id})
    actor = Actor.system(community, label="reminders")
    sent: dict[str, int] = {}
    for visit in due:
        person = visit.ticket.person
        channel = reminder_channel(person, consents.get(visit.ticket.person_id or 0, {}))
        via = channel if channel in ("sms", "email") else "staff"
        try:
            with transaction.atomic():
                if via != "staff" and person is not None:
                    notify(
                        actor=actor,
                        person_id=person.pk,
                        template="helpdesk_visit_reminder",
                        context={
                            "reference": visit.ticket.reference,
                            "scheduled_at": visit.scheduled_at,
                        },
                        channel=via,
                        idempotency_key=f"helpdesk-visit-reminder-{visit.pk}",
                        language=visit.ticket.language,
                        person=person,
                    )
                done = HomeVisit.objects.filter(pk=visit.pk, reminded_at__isnull=True).update(
                    reminded_at=now, reminded_via=via
                )
        except ServiceError:
            via = "staff"
            done = HomeVisit.objects.filter(pk=visit.pk, reminded_at__isnull=True).update(
                reminded_at=now, reminded_via=via
            )
        if done:
            sent[via] = sent.get(via, 0) + 1
    return sent


def visit_reminders_send(*, now: datetime | None = None) -> str:
    """The daily job (``core.scheduler``): every community with the helpdesk switched on."""
    totals: dict[str, int] = {}
    for community in Community.objects.order_by("pk"):
        if not community.has_module("helpdesk"):
            continue
        for via, n in visit_reminders_send_community(community, now=now).items():
            totals[via] = totals.get(via, 0) + n
    return ", ".join(f"{via}: {n}" for via, n in sorted(totals.items())) or "nothing to send"


__all__ = [
    "budget_spent",
    "budget_year_of",
    "cost_of",
    "home_help_need_set",
    "visit_check_in",
    "visit_check_out",
    "visit_close",
    "visit_plan",
    "visit_reminders_send",
    "visit_reminders_send_community",
    "visit_report",
]
