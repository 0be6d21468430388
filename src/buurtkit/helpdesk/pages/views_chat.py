"""The chat box on the portal (visitors, no login needed) and the staff's live chats.

Without JavaScript the box is a link to ``/<slug>/chat/``: a plain page with forms (post,
redirect, reload to see answers). With htmx the same URLs answer with the panel only: the box
opens in place, forms post into it, and the lines are polled every few seconds. The visitor is
known by a signed cookie holding their chat's random token, never by a ticket number.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, ServiceError
from buurtkit.helpdesk import selectors
from buurtkit.helpdesk.models import ChatSession
from buurtkit.helpdesk.services import chat as chat_services
from buurtkit.web.decorators import community_page, public_page
from buurtkit.web.messages import flash

COOKIE_SALT = "helpdesk.chat"
COOKIE_AGE = 24 * 3600
#: Seconds between two looks for new lines (visitor's panel, staff's chat view).
POLL_SECONDS = 4


def _cookie_name(request: HttpRequest) -> str:
    return f"buurtkit_chat_{request.community.pk}"  # type: ignore[attr-defined]


def _token(request: HttpRequest) -> str:
    return str(request.get_signed_cookie(_cookie_name(request), default="", salt=COOKIE_SALT))


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _person_id(request: HttpRequest) -> int | None:
    actor = getattr(request, "actor", None)
    return actor.person_id if actor is not None else None


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _is_staff(actor: Any) -> bool:
    return actor is not None and any(
        actor.has(p) for p in ("helpdesk.view", "helpdesk.handle", "helpdesk.buddy")
    )


def box_context(request: HttpRequest) -> dict[str, Any] | None:
    """The chat box at the end of every portal page; not on staff pages, nor on the chat page
    itself. Costs no query: whether a chat is going on is in the visitor's cookie."""
    if _is_staff(getattr(request, "actor", None)):
        return None
    match = request.resolver_match
    if match is not None and (match.url_name or "").startswith("helpdesk_chat"):
        return None
    community = request.community  # type: ignore[attr-defined]
    return {
        "chat_url": reverse("web:helpdesk_chat", args=[community.slug]),
        "chat_going": bool(_token(request)),
    }


def _visitor_session(request: HttpRequest) -> ChatSession | None:
    return selectors.visitor_chat(
        community=request.community,  # type: ignore[attr-defined]
        token=_token(request),
        person_id=_person_id(request),
    )


_FIELDS = ("name", "body", "phone", "email")
#: The services' field names for the contact details, as the form names them.
_FIELD_OF = {"contact_phone": "phone", "contact_email": "email", "contact_name": "name"}


def _panel_context(
    request: HttpRequest, session: ChatSession | None, **extra: Any
) -> dict[str, Any]:
    community = request.community  # type: ignore[attr-defined]
    actor = getattr(request, "actor", None)
    person = None
    if actor is not None and actor.person_id:
        from buurtkit.people.models import Person

        person = Person.objects.in_community(community).filter(pk=actor.person_id).first()
    ended = session is not None and (
        session.ended_at is not None or session.ticket.status == "closed"
    )
    return {
        "chat_url": reverse("web:helpdesk_chat", args=[community.slug]),
        "session": session,
        "ended": ended,
        "lines": selectors.visitor_lines(session=session) if session else [],
        "on_duty": session is None and chat_services.on_duty(community),
        "person": person,
        "key": uuid.uuid4().hex,
        "poll": POLL_SECONDS,
        "max_line": chat_services.MAX_LINE,
        "errors": dict.fromkeys(_FIELDS, ""),
        "kept": dict.fromkeys(_FIELDS, ""),
        **extra,
    }


def _answer(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    if _htmx(request):
        # htmx swaps only 2xx answers: a refusal is shown in the panel with a 200.
        return render(request, "helpdesk/chat/_panel.html", context)
    return render(request, "helpdesk/chat/page.html", context, status=status)


@public_page
def chat(request: HttpRequest) -> HttpResponse:
    """The visitor's chat: GET shows it (``?part=lines``: only the lines, for polling;
    ``?part=close``: nothing, the panel closes), POST starts a chat, adds a line, leaves a
    question when nobody is on duty, or ends the chat."""
    if request.method == "POST":
        return _chat_post(request)
    part = request.GET.get("part", "")
    if part == "close":
        return HttpResponse("")
    session = _visitor_session(request)
    context = _panel_context(request, session)
    if part == "lines":
        return render(request, "helpdesk/chat/_lines.html", context)
    return _answer(request, context)


def _set_cookie(request: HttpRequest, response: HttpResponse, session: ChatSession) -> None:
    response.set_signed_cookie(
        _cookie_name(request),
        session.token,
        salt=COOKIE_SALT,
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _chat_post(request: HttpRequest) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    p = request.POST
    action = p.get("action", "")
    contact = chat_services.VisitorContact(
        name=p.get("name", "")[:150], phone=p.get("phone", "")[:40], email=p.get("email", "")[:254]
    )
    body = p.get("body", "")[: chat_services.MAX_LINE * 2]
    key = p.get("key", "")[:64]
    session = _visitor_session(request)
    try:
        if action == "start":
            session = chat_services.chat_start(
                community=community,
                body=body,
                contact=contact,
                person_id=_person_id(request),
                language=translation.get_language() or "",
                client_ip=_client_ip(request),
                idempotency_key=key,
            )
        elif action == "ask":
            ticket = chat_services.chat_leave_question(
                community=community,
                body=body,
                contact=contact,
                person_id=_person_id(request),
                language=translation.get_language() or "",
                client_ip=_client_ip(request),
                idempotency_key=key,
            )
            asked = _("Thank you. We have your question (number %(ref)s) and will answer you.") % {
                "ref": ticket.reference
            }
            if _htmx(request):
                return render(
                    request,
                    "helpdesk/chat/_panel.html",
                    _panel_context(request, None, asked=asked),
                )
            flash(request, asked)
            return redirect("web:helpdesk_chat", community.slug)
        elif action == "say" and session is not None:
            chat_services.chat_say(
                community=community,
                session=session,
                body=body,
                client_ip=_client_ip(request),
                idempotency_key=key,
            )
        elif action == "end" and session is not None:
            chat_services.chat_end(community=community, session=session)
            response = (
                render(request, "helpdesk/chat/_panel.html", _panel_context(request, None))
                if _htmx(request)
                else redirect("web:helpdesk_chat", community.slug)
            )
            response.delete_cookie(_cookie_name(request))
            return response
        else:
            session = None  # no chat here (an old or someone else's cookie): start anew
    except ServiceError as exc:
        errors = dict.fromkeys(_FIELDS, "") | {
            _FIELD_OF.get(k, k): str(v) for k, v in exc.fields.items()
        }
        context = _panel_context(
            request,
            session,
            # Said next to the field it concerns, or else on top of the panel.
            error="" if any(errors[f] for f in _FIELDS) else str(exc.detail),
            errors=errors,
            kept={
                "body": body,
                "name": contact.name,
                "phone": contact.phone,
                "email": contact.email,
            },
        )
        if exc.code == "nobody_on_duty":
            context["on_duty"] = False
        return _answer(request, context, status=exc.status)
    if _htmx(request):
        response = render(request, "helpdesk/chat/_panel.html", _panel_context(request, session))
    else:
        response = redirect("web:helpdesk_chat", community.slug)
    if session is not None:
        _set_cookie(request, response, session)
    return response


# --- staff -----------------------------------------------------------------------------------


def live_context(request: HttpRequest) -> dict[str, Any]:
    """The queue's "live chats" panel: who is waiting, and the actor's chat duty."""
    actor = actor_of(request)
    return {
        "live_chats": selectors.live_chats(actor=actor),
        "duty_until": selectors.chat_duty_of(actor=actor),
        "on_duty_count": selectors.on_duty_count(community=actor.community),
        "duty_hours": chat_services.DUTY_HOURS,
    }


@community_page("helpdesk.handle")
def live_chats(request: HttpRequest) -> HttpResponse:
    """The live chats: the queue's panel (htmx polls it) or, without JavaScript, a page."""
    template = "helpdesk/chat/_live.html" if _htmx(request) else "helpdesk/chat/live.html"
    return render(request, template, live_context(request))


@community_page("helpdesk.handle")
@require_POST
def chat_duty(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    on = request.POST.get("on") == "1"
    try:
        chat_services.chat_duty_set(actor=actor, on=on)
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
    else:
        flash(request, _("You are on chat duty.") if on else _("You are no longer on chat duty."))
    if _htmx(request):
        return render(request, "helpdesk/chat/_live.html", live_context(request))
    back = request.POST.get("next", "")
    if back.startswith(f"/{actor.community.slug}/") and "//" not in back:
        return redirect(back)
    return redirect("web:helpdesk_chats", actor.community.slug)


@community_page("helpdesk.handle")
def chat_view(request: HttpRequest, helpdesk_ticket_id: int) -> HttpResponse:
    """One live chat for staff: the lines (polled), an answer box that shows in the visitor's
    panel, and ending the chat."""
    actor = actor_of(request)
    try:
        session = selectors.chat_get(actor=actor, ticket_id=helpdesk_ticket_id)
    except NotFound:
        # A ticket of this community that was no live chat: its own page (else not found).
        ticket = selectors.ticket_get(actor=actor, ticket_id=helpdesk_ticket_id)
        return redirect("web:helpdesk_ticket", actor.community.slug, ticket.pk)
    error, kept, status = "", "", 200
    if request.method == "POST":
        body = request.POST.get("body", "")[: chat_services.MAX_LINE * 2]
        try:
            if request.POST.get("action") == "end":
                chat_services.chat_end(community=actor.community, session=session, actor=actor)
            else:
                chat_services.chat_reply(
                    actor=actor,
                    ticket_id=session.ticket_id,
                    body=body,
                    idempotency_key=f"chat-reply-{request.POST.get('key', '')[:64]}",
                )
            return redirect("web:helpdesk_chat_view", actor.community.slug, session.ticket_id)
        except ServiceError as exc:
            error, kept, status = str(exc.detail), body, exc.status
    context = {
        "session": session,
        "ticket": session.ticket,
        "who": session.ticket.person.full_name
        if session.ticket.person
        else session.ticket.contact_name,
        "lines": selectors.thread(actor=actor, ticket=session.ticket),
        "ended": session.ended_at is not None or session.ticket.status == "closed",
        "key": uuid.uuid4().hex,
        "poll": POLL_SECONDS,
        "error": error,
        "kept": kept,
        "max_line": chat_services.MAX_LINE,
    }
    if request.GET.get("part") == "lines":
        return render(request, "helpdesk/chat/_staff_lines.html", context)
    return render(request, "helpdesk/chat/staff_chat.html", context, status=status)
