"""Pages of the mail channel and the satisfaction survey: the quarantine of mails staff
decide on, the permission-checked attachment download, the public survey page (a tokenised
link, no login) and the satisfaction table."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, ServiceError
from buurtkit.helpdesk import selectors, services
from buurtkit.helpdesk.models import QuarantineStatus
from buurtkit.web.decorators import community_page, public_page
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate


@community_page("helpdesk.view")
def quarantine(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    status = request.GET.get("status", QuarantineStatus.WAITING)
    status = status if status in (*QuarantineStatus.values, "all") else QuarantineStatus.WAITING
    page = paginate(request, selectors.quarantine_list(actor=actor, status=status))
    return render(
        request,
        "helpdesk/quarantine.html",
        {
            "page": page,
            "status": status,
            "statuses": [*QuarantineStatus.choices, ("all", _("All"))],
            "handle": actor.has("helpdesk.handle"),
        },
    )


@community_page("helpdesk.view")
def quarantine_item(request: HttpRequest, quarantine_id: int) -> HttpResponse:
    actor = actor_of(request)
    item = selectors.quarantine_get(actor=actor, quarantine_id=quarantine_id)
    return render(
        request,
        "helpdesk/quarantine_item.html",
        {
            "item": item,
            "mail": item.mail,
            "attachments": list(item.mail.attachments.all()),
            "handle": actor.has("helpdesk.handle"),
        },
    )


@community_page("helpdesk.handle")
@require_POST
def quarantine_decide(request: HttpRequest, quarantine_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        item = services.quarantine_decide(
            actor=actor, quarantine_id=quarantine_id, action=request.POST.get("action", "")
        )
    except NotFound:
        raise
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
        return redirect("web:helpdesk_quarantine_item", actor.community.slug, quarantine_id)
    flash(request, _("Done: %(status)s.") % {"status": QuarantineStatus(item.status).label})
    if item.result_ticket_id:
        return redirect("web:helpdesk_ticket", actor.community.slug, item.result_ticket_id)
    return redirect("web:helpdesk_quarantine", actor.community.slug)


@community_page("helpdesk.view")
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Always a download (never shown inline), so a file cannot run in our pages."""
    found, path = selectors.attachment_get(actor=actor_of(request), attachment_id=attachment_id)
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=found.filename or "attachment",
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@community_page("helpdesk.view")
def satisfaction(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return render(
        request,
        "helpdesk/satisfaction.html",
        {
            "by_channel": selectors.survey_results(actor=actor, by="channel"),
            "by_category": selectors.survey_results(actor=actor, by="category"),
        },
    )


@public_page
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, survey_token: str) -> HttpResponse:
    community = request.community  # type: ignore[attr-defined]
    found = services.survey_by_token(community=community, token=survey_token)
    error, status = "", 200
    if request.method == "POST":
        raw = request.POST.get("score", "")
        try:
            services.survey_answer(
                community=community,
                token=survey_token,
                score=int(raw) if raw.isdigit() and len(raw) == 1 else 0,
            )
        except ServiceError as exc:
            error, status = str(exc.detail), exc.status
        else:
            return redirect("web:helpdesk_survey", community.slug, survey_token)
        found.refresh_from_db()
    from buurtkit.core import clock

    return render(
        request,
        "helpdesk/survey.html",
        {
            "survey": found,
            "expired": found.answered_at is None and clock.now() >= found.expires_at,
            "scores": [
                (1, _("1 – bad")),
                (2, "2"),
                (3, "3"),
                (4, "4"),
                (5, _("5 – very good")),
            ],
            "error": error,
        },
        status=status,
    )
