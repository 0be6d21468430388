"""Pages for help at home (the request's details, planning visits, the visitor's own visits),
barrier reports, the list of public services, and the staff overview with its exports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from buurtkit.core import clock, exports
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.helpdesk import selectors, services
from buurtkit.helpdesk.models import HomeTask, VisitStatus, Vulnerability
from buurtkit.web.charts import bar_chart
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash

BRUSSELS = ZoneInfo("Europe/Brussels")


def _lang() -> str:
    return translation.get_language() or "nl"


def _euro(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}€ {cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"


# --- forms ---


class NeedForm(forms.Form):
    vulnerabilities = forms.MultipleChoiceField(
        label=gettext_lazy("Why can the person not come to a digipunt?"),
        choices=Vulnerability.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    tasks = forms.MultipleChoiceField(
        label=gettext_lazy("What needs doing?"),
        choices=HomeTask.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    tasks_other = forms.CharField(
        label=gettext_lazy("Something else: what?"), max_length=300, required=False
    )


class PlanForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    hour = forms.TimeField(
        label=gettext_lazy("Time"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    expected_minutes = forms.IntegerField(
        label=gettext_lazy("Expected duration (minutes)"), min_value=1, max_value=480, initial=60
    )
    address = forms.CharField(label=gettext_lazy("Address"), max_length=300, required=False)
    volunteer = forms.TypedChoiceField(
        label=gettext_lazy("Digibuddy who does home visits"),
        coerce=int,
        required=False,
        empty_value=None,
    )
    provider = forms.CharField(
        label=gettext_lazy("Or an outside provider (name)"), max_length=120, required=False
    )
    override = forms.BooleanField(
        label=gettext_lazy("Plan it even if the budget is not enough (coordinators)"),
        required=False,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, buddies: list[tuple[int, str]], manage: bool, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["volunteer"].choices = [("", "—"), *buddies]  # type: ignore[attr-defined]
        if not manage:
            del self.fields["override"]

    def scheduled_at(self) -> datetime:
        return datetime.combine(
            self.cleaned_data["day"], self.cleaned_data["hour"], tzinfo=BRUSSELS
        )


class ServiceForm(forms.Form):
    key = forms.SlugField(label=gettext_lazy("Key"), max_length=40)
    name_nl = forms.CharField(label=gettext_lazy("Name (Dutch)"), max_length=120)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=120, required=False)
    name_fr = forms.CharField(label=gettext_lazy("Name (French)"), max_length=120, required=False)
    active = forms.BooleanField(label=gettext_lazy("In use"), required=False, initial=True)


# --- help at home on a ticket ---


def _buddies(actor: Any) -> list[tuple[int, str]]:
    return [(v.pk, v.person.full_name) for v in selectors.home_visitors(actor=actor)]


@community_page("helpdesk.handle")
def ticket_visits(request: HttpRequest, helpdesk_ticket_id: int) -> HttpResponse:
    """A home-help ticket: why the person cannot come, what needs doing, and its visits."""
    actor = actor_of(request)
    ticket = selectors.ticket_get(actor=actor, ticket_id=helpdesk_ticket_id)
    need = selectors.home_need_of(ticket)
    manage = actor.has("helpdesk.manage")
    need_form = NeedForm(
        initial={
            "vulnerabilities": need.vulnerabilities if need else [],
            "tasks": need.tasks if need else [],
            "tasks_other": need.tasks_other if need else "",
        }
    )
    plan_form = PlanForm(
        buddies=_buddies(actor), manage=manage, initial={"idempotency_key": uuid.uuid4().hex}
    )
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "need":
            need_form = NeedForm(request.POST)
            if need_form.is_valid():
                try:
                    services.home_help_need_set(
                        actor=actor, ticket_id=ticket.pk, **need_form.cleaned_data
                    )
                except ServiceError as exc:
                    apply_service_error(need_form, exc)
                else:
                    flash(request, _("Saved."))
                    return redirect("web:helpdesk_ticket_visits", actor.community.slug, ticket.pk)
            status = 422
        elif action == "plan":
            plan_form = PlanForm(request.POST, buddies=_buddies(actor), manage=manage)
            if plan_form.is_valid():
                data = plan_form.cleaned_data
                try:
                    visit = services.visit_plan(
                        actor=actor,
                        ticket_id=ticket.pk,
                        scheduled_at=plan_form.scheduled_at(),
                        expected_minutes=data["expected_minutes"],
                        address=data["address"],
                        volunteer_id=data["volunteer"],
                        provider=data["provider"],
                        override=bool(data.get("override")),
                        idempotency_key=data["idempotency_key"],
                    )
                except ServiceError as exc:
                    apply_service_error(plan_form, exc)
                else:
                    flash(request, _("The visit is planned."))
                    return redirect("web:helpdesk_visit", actor.community.slug, visit.pk)
            status = 422
    figures = selectors.visit_figures(actor=actor, year=clock.now().astimezone(BRUSSELS).year)
    return render(
        request,
        "helpdesk/ticket_visits.html",
        {
            "ticket": ticket,
            "need_form": need_form,
            "plan_form": plan_form,
            "visits": [
                (v, _euro(v.cost_cents))
                for v in selectors.visits_list(actor=actor, which="all", ticket_id=ticket.pk)
            ],
            "figures": figures,
            "left": _euro(figures.left_cents),
            "rate": _euro(services.settings_of(actor.community).visit_rate_cents),
        },
        status=status,
    )


# --- visits: the list and one visit ---


@community_page()
def visits(request: HttpRequest) -> HttpResponse:
    """Staff: every visit; a digibuddy: only the visits assigned to them."""
    actor = actor_of(request)
    if not (actor.has("helpdesk.view") or actor.has("helpdesk.buddy")):
        return render(
            request,
            "web/error.html",
            {"title": _("No access"), "message": _("You are not allowed to see this page.")},
            status=403,
        )
    which = request.GET.get("which", "upcoming")
    which = which if which in selectors.VISIT_FILTERS else "upcoming"
    rows = list(selectors.visits_list(actor=actor, which=which)[:200])
    return render(
        request,
        "helpdesk/visits.html",
        {
            "rows": rows,
            "which": which,
            "staff": actor.has("helpdesk.view"),
            "filters": [
                ("upcoming", _("To come")),
                ("done", _("Done")),
                ("all", _("All")),
            ],
        },
    )


class ReportForm(forms.Form):
    report = forms.CharField(
        label=gettext_lazy("Short report: what was done, what is left"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )


class FollowUpForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    hour = forms.TimeField(
        label=gettext_lazy("Time"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    expected_minutes = forms.IntegerField(
        label=gettext_lazy("Expected duration (minutes)"), min_value=1, max_value=480, initial=60
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)


@community_page()
def visit(request: HttpRequest, helpdesk_visit_id: int) -> HttpResponse:
    """One visit: where and when (for staff and the visitor only), check in and out, the
    report, a follow-up visit, cancel or nobody home."""
    actor = actor_of(request)
    if not (actor.has("helpdesk.view") or actor.has("helpdesk.buddy")):
        return render(
            request,
            "web/error.html",
            {"title": _("No access"), "message": _("You are not allowed to see this page.")},
            status=403,
        )
    try:
        found = selectors.visit_get(actor=actor, visit_id=helpdesk_visit_id)
    except ServiceError as exc:
        return render(
            request, "web/error.html", {"title": _("Not found"), "message": exc.detail}, status=404
        )
    handle = actor.has("helpdesk.handle")
    visitor = bool(
        found.volunteer_id and found.volunteer and found.volunteer.person_id == actor.person_id
    )
    may_work = handle or visitor
    report_form = ReportForm(initial={"report": found.report})
    follow_form = FollowUpForm(initial={"idempotency_key": uuid.uuid4().hex})
    status = 200
    if request.method == "POST":
        if not may_work:
            return render(
                request,
                "web/error.html",
                {"title": _("No access"), "message": _("You are not allowed to see this page.")},
                status=403,
            )
        action = request.POST.get("action", "")
        try:
            if action == "check_in":
                services.visit_check_in(actor=actor, visit_id=found.pk)
                flash(request, _("Checked in."))
            elif action in ("check_out", "report"):
                report_form = ReportForm(request.POST)
                if not report_form.is_valid():
                    raise ServiceError(_("Check the report."))
                text = report_form.cleaned_data["report"]
                if action == "check_out":
                    services.visit_check_out(actor=actor, visit_id=found.pk, report=text)
                    flash(request, _("Checked out. Thank you!"))
                else:
                    services.visit_report(actor=actor, visit_id=found.pk, report=text)
                    flash(request, _("Saved."))
            elif action in (VisitStatus.CANCELLED, VisitStatus.NO_SHOW):
                services.visit_close(actor=actor, visit_id=found.pk, status=action)
                flash(request, _("Saved."))
            elif action == "follow_up":
                follow_form = FollowUpForm(request.POST)
                if not follow_form.is_valid():
                    raise ServiceError(_("Give a day, a time and a duration."))
                data = follow_form.cleaned_data
                made = services.visit_plan(
                    actor=actor,
                    ticket_id=found.ticket_id,
                    scheduled_at=datetime.combine(data["day"], data["hour"], tzinfo=BRUSSELS),
                    expected_minutes=data["expected_minutes"],
                    volunteer_id=found.volunteer_id,
                    provider=found.provider,
                    follow_up_of_id=found.pk,
                    idempotency_key=data["idempotency_key"],
                )
                flash(request, _("The follow-up visit is planned."))
                return redirect("web:helpdesk_visit", actor.community.slug, made.pk)
            else:
                raise ServiceError(_("Choose what to do."))
        except ServiceError as exc:
            flash(request, str(exc.detail), level="error")
            status = 422
        else:
            return redirect("web:helpdesk_visit", actor.community.slug, found.pk)
        found = selectors.visit_get(actor=actor, visit_id=helpdesk_visit_id)
    return render(
        request,
        "helpdesk/visit.html",
        {
            "visit": found,
            "may_work": may_work,
            "handle": handle,
            "report_form": report_form,
            "follow_form": follow_form,
            "cost": _euro(found.cost_cents),
            "person": found.ticket.person.full_name
            if found.ticket.person
            else found.ticket.contact_name,
        },
        status=status,
    )


# --- barriers ---


@community_page("helpdesk.handle")
@require_POST
def ticket_barriers(request: HttpRequest, helpdesk_ticket_id: int) -> HttpResponse:
    actor = actor_of(request)
    selectors.ticket_get(actor=actor, ticket_id=helpdesk_ticket_id)  # another's: not found
    ids = [int(v) for v in request.POST.getlist("services") if v.isdigit() and len(v) < 10]
    try:
        services.ticket_barriers_set(actor=actor, ticket_id=helpdesk_ticket_id, service_ids=ids)
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        flash(request, _("Saved."))
    return redirect("web:helpdesk_ticket", actor.community.slug, helpdesk_ticket_id)


def _month_arg(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value or "", "%Y-%m")
    except ValueError:
        return None


@community_page("helpdesk.view")
def barriers(request: HttpRequest) -> HttpResponse:
    """Per public service and month: how many tickets got stuck there (no personal data;
    1 to 4 shown as "< 5"), as a page, CSV or XLSX for the city's service owners."""
    actor = actor_of(request)
    today = clock.now().astimezone(BRUSSELS).date()
    chosen = _month_arg(request.GET.get("until"))
    last = chosen.date() if chosen else today
    report = selectors.barrier_report(actor=actor, last=last, months=12, language=_lang())
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        header = [_("Public service"), *[m.strftime("%Y-%m") for m in report.months]]
        rows = [header, *[[name, *cells] for _key, name, cells in report.rows]]
        filename = f"barriers-{actor.community.slug}-{last:%Y-%m}"
        if fmt == "csv":
            return exports.csv_response(rows, filename=f"{filename}.csv")
        return exports.xlsx_response(rows, filename=f"{filename}.xlsx", sheet_title=_("Barriers"))
    return render(
        request,
        "helpdesk/barriers.html",
        {"report": report, "until": f"{last:%Y-%m}", "manage": actor.has("helpdesk.manage")},
    )


@community_page("helpdesk.manage")
def public_services(request: HttpRequest) -> HttpResponse:
    """The community's list of public services to tag tickets with."""
    actor = actor_of(request)
    form = ServiceForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "seed":
            services.public_services_ensure_defaults(actor=actor)
            flash(request, _("Saved."))
            return redirect("web:helpdesk_services", actor.community.slug)
        form = ServiceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.public_service_save(
                    actor=actor,
                    key=data["key"],
                    name={k: data[f"name_{k}"] for k in ("nl", "en", "fr") if data[f"name_{k}"]},
                    active=data["active"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                flash(request, _("Saved."))
                return redirect("web:helpdesk_services", actor.community.slug)
        status = 422
    lang = _lang()
    rows = [(s, services.names_of(s.name, lang)) for s in selectors.public_services(actor=actor)]
    return render(request, "helpdesk/services.html", {"rows": rows, "form": form}, status=status)


# --- the staff overview ---


def _h(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


@community_page("helpdesk.view")
def overview(request: HttpRequest) -> HttpResponse:
    """The queue per team, answer and solution times per channel, category and week, and
    home visits against the target and the budget. Exports: figures only, no names."""
    actor = actor_of(request)
    data = selectors.staff_overview(actor=actor, weeks=12, language=_lang())
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        rows: list[list[Any]] = [
            [_("Section"), _("Row"), _("Tickets"), _("First answer (median hours)"),
             _("Solved (median hours)")],
        ]  # fmt: skip
        for w in data.weeks:
            rows.append([_("Week"), w.start.isoformat(), w.tickets, w.first_response_hours,
                         w.resolution_hours])  # fmt: skip
        for r in data.channels:
            rows.append([_("Channel"), r.label, r.tickets, r.first_response_hours,
                         r.resolution_hours])  # fmt: skip
        for r in data.categories:
            rows.append([_("Topic"), r.label, r.tickets, r.first_response_hours,
                         r.resolution_hours])  # fmt: skip
        for t in data.teams:
            rows.append([_("Team (unfinished / waiting / late / very late)"), t["team"],
                         t["unfinished"], t["waiting"], t["late"], t["very_late"]])  # fmt: skip
        v = data.visits
        rows.append([_("Home visits"), str(v.year), v.done, v.planned, v.target])
        rows.append([_("Budget (cents)"), str(v.year), v.budget_cents, v.spent_cents,
                     v.reserved_cents])  # fmt: skip
        filename = f"helpdesk-overview-{actor.community.slug}"
        if fmt == "csv":
            return exports.csv_response(rows, filename=f"{filename}.csv")
        return exports.xlsx_response(rows, filename=f"{filename}.xlsx", sheet_title=_("Overview"))
    weeks = [w.start for w in data.weeks]
    first_chart = bar_chart(
        weeks, [round(w.first_response_hours or 0) for w in data.weeks], label_every=3
    )
    count_chart = bar_chart(weeks, [w.tickets for w in data.weeks], label_every=3)
    v = data.visits
    return render(
        request,
        "helpdesk/overview.html",
        {
            "data": data,
            "first_chart": first_chart,
            "count_chart": count_chart,
            "weeks": [(w, _h(w.first_response_hours), _h(w.resolution_hours)) for w in data.weeks],
            "channels": [
                (r, _h(r.first_response_hours), _h(r.resolution_hours)) for r in data.channels
            ],
            "categories": [
                (r, _h(r.first_response_hours), _h(r.resolution_hours)) for r in data.categories
            ],
            "visits": v,
            "share": round(100 * v.done / v.target) if v.target else 0,
            "budget": _euro(v.budget_cents),
            "spent": _euro(v.spent_cents),
            "reserved": _euro(v.reserved_cents),
            "left": _euro(v.left_cents),
        },
    )
