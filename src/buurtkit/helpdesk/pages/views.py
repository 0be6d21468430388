"""Staff pages: the queue, a ticket with its thread and actions, filing a ticket for someone,
the categories; and the public help pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import PermissionDenied, ServiceError
from buurtkit.helpdesk import selectors, services
from buurtkit.helpdesk.models import TRANSITIONS, Channel, Status
from buurtkit.helpdesk.pages.forms import (
    AssignForm,
    CategoryForm,
    FileForm,
    LinksForm,
    MessageForm,
    StatusForm,
)
from buurtkit.helpdesk.pages.views_chat import live_context
from buurtkit.people.selectors import memberships_list, person_get
from buurtkit.web.decorators import community_page, public_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _lang() -> str:
    return translation.get_language() or "nl"


def _named(items: Any) -> list[tuple[int, str]]:
    lang = _lang()
    return [(i.pk, services.names_of(i.name, lang)) for i in items]


@community_page()
def queue(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    g = request.GET
    status = g.get("status", selectors.OPEN_ONES)
    status = status if status in selectors.STATUS_FILTERS else selectors.OPEN_ONES
    late = g.get("late", "")
    late = late if late in selectors.LATE_FILTERS else ""
    channel = g.get("channel", "")
    channel = channel if channel in Channel.values else ""
    team_id, category_id = _int(g.get("team")), _int(g.get("category"))
    mine = g.get("mine") == "1" or not (actor.has("helpdesk.view") or actor.has("helpdesk.handle"))
    q = g.get("q", "")[:100]
    tickets = selectors.queue(
        actor=actor,
        team_id=team_id,
        status=status,
        category_id=category_id,
        late=late,
        mine=mine,
        channel=channel,
        q=q,
    )
    page = paginate(request, tickets, count_cap=selectors.COUNT_CAP)
    rows = [(t, selectors.late_mark(t)) for t in page.object_list]
    staff = actor.has("helpdesk.view") or actor.has("helpdesk.handle")
    return render(
        request,
        "helpdesk/queue.html",
        {
            "page": page,
            "rows": rows,
            "staff": staff,
            "counts": selectors.queue_counts(actor=actor, team_id=team_id) if staff else None,
            "teams": _named(selectors.teams(actor=actor)),
            "categories": _named(selectors.categories(actor=actor)),
            "statuses": [
                (selectors.OPEN_ONES, _("Not finished")),
                (selectors.ALL, _("All")),
                *Status.choices,
            ],
            "channels": Channel.choices,
            "f": {
                "status": status,
                "late": late,
                "channel": channel,
                "team": team_id,
                "category": category_id,
                "mine": mine,
                "q": q,
            },
            "may_file": actor.has("helpdesk.handle") or actor.has("helpdesk.buddy"),
            # The live chats and the actor's chat duty, for whoever answers chats.
            "live": live_context(request) if actor.has("helpdesk.handle") else None,
        },
    )


def _ticket_context(request: HttpRequest, ticket_id: int, **forms: Any) -> dict[str, Any]:
    actor = actor_of(request)
    ticket = selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    handle = actor.has("helpdesk.handle")
    buddy_ids = _buddies(actor) if handle else []
    statuses = [(s, Status(s).label) for s in Status.values if s in TRANSITIONS[ticket.status]]
    users = (
        [
            (m.user_id, m.user.username)
            for m in memberships_list(actor=actor)
            if m.active and set(m.roles) & {"coordinator", "staff", "counter_clerk"}
        ]
        if handle and actor.has("memberships.view")
        else []
    )
    if handle and ticket.assigned_user_id and ticket.assigned_user_id not in dict(users):
        users.append((ticket.assigned_user_id, ticket.assigned_user.username))
    may_work = handle or (
        actor.has("helpdesk.buddy")
        and ticket.assigned_volunteer is not None
        and ticket.assigned_volunteer.person_id == actor.person_id
    )
    lang = _lang()
    return {
        "ticket": ticket,
        "mark": selectors.late_mark(ticket),
        "thread": selectors.thread(actor=actor, ticket=ticket),
        "recordings": selectors.recordings(actor=actor, ticket=ticket),
        "children": selectors.children(ticket=ticket),
        "may_work": may_work,
        "handle": handle,
        "answers": [
            (a.title, a.texts.get(ticket.language) or next(iter(a.texts.values()), ""))
            for a in selectors.standard_answers(actor=actor)
        ]
        if may_work
        else [],
        "message_form": forms.get("message_form") or MessageForm(),
        "status_form": forms.get("status_form") or StatusForm(statuses=statuses, buddies=buddy_ids),
        "assign_form": forms.get("assign_form")
        or AssignForm(
            users=users,
            buddies=buddy_ids,
            initial={"user": ticket.assigned_user_id, "volunteer": ticket.assigned_volunteer_id},
        ),
        "links_form": forms.get("links_form")
        or LinksForm(
            categories=_named(selectors.categories(actor=actor)),
            initial={
                "category": ticket.category_id,
                "person": ticket.person_id,
                "device": ticket.device_id,
                "registration": ticket.registration_id,
            },
        ),
        "category_name": services.names_of(ticket.category.name, lang) if ticket.category else "",
        "team_name": services.names_of(ticket.team.name, lang) if ticket.team else "",
        "statuses": statuses,
        "public_services": [
            (s.pk, services.names_of(s.name, lang))
            for s in selectors.public_services(actor=actor, active_only=True)
        ]
        if handle
        else [],
        "barrier_ids": selectors.barriers_of(ticket) if handle else [],
        **_mail_context(actor, ticket),
    }


def _mail_context(actor: Any, ticket: Any) -> dict[str, Any]:
    """The e-mail side of a ticket: its reference, the ticket it follows up, attachments."""
    staff = actor.has("helpdesk.view")
    mails = selectors.ticket_mails(actor=actor, ticket=ticket)
    thread = selectors.mail_thread(ticket=ticket)
    return {
        "mail_thread": thread if staff else None,
        "followed_by": list(ticket.followed_by.select_related("ticket")) if staff else [],
        "attachments": [a for m in mails for a in m.inbound.attachments.all()],
        "survey": getattr(ticket, "survey", None) if staff else None,
    }


def _buddies(actor: Any) -> list[tuple[int, str]]:
    return [(v.pk, v.person.full_name) for v in selectors.buddies(actor=actor)]


@community_page()
def ticket(request: HttpRequest, helpdesk_ticket_id: int) -> HttpResponse:
    ticket_id = helpdesk_ticket_id
    return render(request, "helpdesk/ticket.html", _ticket_context(request, ticket_id))


@community_page("helpdesk.view")
def recording_audio(request: HttpRequest, helpdesk_recording_id: int) -> HttpResponse:
    """A message left on the helpdesk line, streamed to staff (never a public address)."""
    audio, content_type = selectors.recording_audio(
        actor=actor_of(request), recording_id=helpdesk_recording_id
    )
    response = HttpResponse(audio, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response


def _back(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return redirect("web:helpdesk_ticket", actor_of(request).community.slug, ticket_id)


@community_page()
@require_POST
def ticket_message(request: HttpRequest, helpdesk_ticket_id: int) -> HttpResponse:
    ticket_id = helpdesk_ticket_id
    actor = actor_of(request)
    selectors.ticket_get(actor=actor, ticket_id=ticket_id)  # not theirs: 404
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.message_add(
                actor=actor,
                ticket_id=ticket_id,
                kind=form.cleaned_data["kind"],
                body=form.cleaned_data["body"],
                via=form.cleaned_data["via"] or "auto",
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Saved."))
            return _back(request, ticket_id)
    context = _ticket_context(request, ticket_id, message_form=form)
    return render(request, "helpdesk/ticket.html", context, status=422)


@community_page()
@require_POST
def ticket_status(request: HttpRequest, helpdesk_ticket_id: int) -> HttpResponse:
    ticket_id = helpdesk_ticket_id
    actor = actor_of(request)
    selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    status = request.POST.get("status", "")
    try:
        services.ticket_transition(
            actor=actor,
            ticket_id=ticket_id,
            status=status,
            handover_to=request.POST.get("handover_to", ""),
            volunteer_id=_int(request.POST.get("volunteer")),
            note=request.POST.get("note", "")[:2000],
        )
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        flash(request, _("The status is now: %(status)s.") % {"status": Status(status).label})
    return _back(request, ticket_id)


@community_page("helpdesk.handle")
@require_POST
def ticket_assign(request: HttpRequest, helpdesk_ticket_id: int) -> HttpResponse:
    ticket_id = helpdesk_ticket_id
    actor = actor_of(request)
    selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    try:
        services.ticket_assign(
            actor=actor,
            ticket_id=ticket_id,
            user_id=_int(request.POST.get("user")),
            volunteer_id=_int(request.POST.get("volunteer")),
        )
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        flash(request, _("Saved."))
    return _back(request, ticket_id)


@community_page("helpdesk.handle")
@require_POST
def ticket_links(request: HttpRequest, helpdesk_ticket_id: int) -> HttpResponse:
    ticket_id = helpdesk_ticket_id
    actor = actor_of(request)
    selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    form = LinksForm(request.POST, categories=_named(selectors.categories(actor=actor)))
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.ticket_update(
                actor=actor,
                ticket_id=ticket_id,
                category_id=d["category"] or None,
                person_id=d["person"],
                device_id=d["device"],
                registration_id=d["registration"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Saved."))
            return _back(request, ticket_id)
    context = _ticket_context(request, ticket_id, links_form=form)
    return render(request, "helpdesk/ticket.html", context, status=422)


@community_page("helpdesk.handle")
@require_POST
def ticket_home_help(request: HttpRequest, helpdesk_ticket_id: int) -> HttpResponse:
    ticket_id = helpdesk_ticket_id
    actor = actor_of(request)
    selectors.ticket_get(actor=actor, ticket_id=ticket_id)
    try:
        child = services.home_help_request(
            actor=actor,
            parent_id=ticket_id,
            body=request.POST.get("body", "")[:10000],
            idempotency_key=request.POST.get("idempotency_key", "")[:100],
        )
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
        return _back(request, ticket_id)
    flash(request, _("Help at home is asked: ticket %(ref)s.") % {"ref": child.reference})
    return _back(request, child.pk)


@community_page()
def ticket_file(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not (actor.has("helpdesk.handle") or actor.has("helpdesk.buddy")):
        raise PermissionDenied(_("You may not file helpdesk tickets."))
    categories = _named(selectors.categories(actor=actor, active_only=True))
    person_id = _int(request.GET.get("person") or request.POST.get("person"))
    if request.method == "POST":
        form = FileForm(request.POST, categories=categories, for_person=bool(person_id))
        if form.is_valid():
            d = form.cleaned_data
            new = None
            if not d["person"]:
                new = services.NewPerson(
                    first_name=d["first_name"],
                    last_name=d["last_name"],
                    phone=d["phone"],
                    email=d["email"] or "",
                    language=_lang(),
                )
            try:
                made = services.ticket_file(
                    actor=actor,
                    subject=d["subject"],
                    body=d["body"],
                    channel=d["channel"],
                    person_id=d["person"],
                    new_person=new,
                    consent_aloud=d["consent"],
                    category_id=d["category"] or None,
                    idempotency_key=d["idempotency_key"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                flash(request, _("Ticket %(ref)s is filed.") % {"ref": made.reference})
                return _back(request, made.pk)
    else:
        form = FileForm(
            categories=categories, for_person=bool(person_id), initial={"person": person_id}
        )
    person = None
    if person_id:
        person = person_get(actor=actor, person_id=person_id) if actor.has("people.view") else None
    return render(
        request,
        "helpdesk/file.html",
        {"form": form, "person": person},
        status=422 if form.is_bound else 200,
    )


@community_page("helpdesk.manage")
def categories(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    rows = list(selectors.categories(actor=actor))
    lang = _lang()
    return render(
        request,
        "helpdesk/categories.html",
        {
            "rows": [
                (
                    c,
                    services.names_of(c.name, lang),
                    services.names_of(c.team.name, lang) if c.team else "",
                )
                for c in rows
            ],
        },
    )


@community_page("helpdesk.manage")
def category_edit(request: HttpRequest, helpdesk_category_id: int | None = None) -> HttpResponse:
    category_id = helpdesk_category_id
    actor = actor_of(request)
    teams = _named(selectors.teams(actor=actor))
    category = selectors.category_get(actor=actor, category_id=category_id) if category_id else None
    if request.method == "POST":
        form = CategoryForm(request.POST, teams=teams)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.category_save(
                    actor=actor,
                    category_id=category_id,
                    key=d["key"] or "",
                    name={"nl": d["name_nl"], "fr": d["name_fr"], "en": d["name_en"]},
                    team_id=d["team"] or None,
                    first_response_hours=d["first_response_hours"],
                    resolution_hours=d["resolution_hours"],
                    active=d["active"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                flash(request, _("Saved."))
                return redirect("web:helpdesk_categories", actor.community.slug)
    elif category is not None:
        form = CategoryForm(
            teams=teams,
            initial={
                "key": category.key,
                "team": category.team_id,
                "active": category.active,
                "first_response_hours": category.first_response_hours,
                "resolution_hours": category.resolution_hours,
                **{f"name_{k}": v for k, v in category.name.items()},
            },
        )
    else:
        form = CategoryForm(teams=teams)
    return render(
        request,
        "helpdesk/category_edit.html",
        {"form": form, "category": category},
        status=422 if form.is_bound else 200,
    )


@public_page
def help_index(request: HttpRequest) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    q = request.GET.get("q", "")[:100]
    page = paginate(request, selectors.help_articles(community=community, language=_lang(), q=q))
    return render(request, "helpdesk/help_index.html", {"page": page, "q": q})


@public_page
def help_page(request: HttpRequest, article_slug: str) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    article = selectors.help_article(community=community, language=_lang(), slug=article_slug)
    return render(request, "helpdesk/help_page.html", {"article": article})
