"""The counter: hand devices over with a signature on the tablet; the result with the signed
agreement (PDF, e-mail, print); the loans that are due or overdue. Thin: one service call."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import Conflict, ServiceError, ValidationFailed
from buurtkit.lending import selectors, services
from buurtkit.lending.models import AgreementKind, Connectivity, IdentityDocument
from buurtkit.people.selectors import people_search
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash

LANGUAGES = [(code, name) for code, name in settings.LANGUAGES]


def _int(value: Any) -> int | None:
    try:
        number = int(value or "")
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _cents(value: str) -> int:
    text = (value or "").strip().replace("€", "").replace(" ", "").replace(",", ".")
    if not text:
        return 0
    try:
        euros, _sep, cents = text.partition(".")
        return int(euros or "0") * 100 + int((cents + "00")[:2])
    except ValueError:
        return -1


def _counter_context(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """The counter starts with a search box and the referrals with a device set aside: no
    devices are listed until a search (label, serial, brand or model) or a chosen referral
    (its device, ticked). Devices already chosen stay on the form."""
    actor = actor_of(request)
    q = request.GET.get("q", "").strip()[:100]
    referrals = list(selectors.referrals_ready_for_handover(actor=actor)[:20])
    referral = next((r for r in referrals if str(r.pk) == str(data.get("referral_id", ""))), None)
    chosen = {i for i in (_int(v) for v in data.get("device_ids", [])) if i}
    found = list(selectors.devices_search(actor=actor, q=q, state="available")[:30]) if q else []
    shown = {d.pk for d in found}
    kept = [
        d
        for d in selectors.counter_devices(
            actor=actor, device_ids=[*chosen, referral.device_id if referral else 0]
        )
        if d.pk not in shown
    ]
    people = list(people_search(actor=actor, q=q)[:10]) if q and actor.has("people.view") else []
    texts = []
    for kind in AgreementKind.values:
        for language, _name in LANGUAGES:
            text_id, title, body = selectors.agreement_text_shown(
                community=actor.community, kind=kind, language=language
            )
            texts.append(
                {"kind": kind, "language": language, "id": text_id, "title": title, "body": body}
            )
    return {
        "q": q,
        "devices": kept + found,
        "searched": bool(q),
        "chosen": chosen,
        "people": people,
        "referrals": referrals,
        "referral": referral,
        "kinds": AgreementKind.choices,
        "agreement_languages": LANGUAGES,
        "connectivities": Connectivity.choices,
        "documents": IdentityDocument.choices,
        "texts": texts,
        "data": data,
        "limits": services.loan_limits(),
    }


@community_page("lending.hand_over")
def counter(request: HttpRequest) -> HttpResponse:
    """Find the resident or the devices, fill in the hand-over, let the resident sign."""
    actor = actor_of(request)
    errors: dict[str, Any] = {}
    if request.method == "POST":
        post = request.POST
        data: dict[str, Any] = {key: post.get(key, "") for key in post}
        data["device_ids"] = post.getlist("device_ids")
        try:
            handover = services.handover_create(
                actor=actor,
                kind=post.get("kind", ""),
                device_ids=[i for i in (_int(v) for v in post.getlist("device_ids")) if i],
                person_id=_int(post.get("person_id")),
                referral_id=_int(post.get("referral_id")),
                recipient_name=post.get("recipient_name", "")[:150],
                language=post.get("language", ""),
                signature_png=services.signature_from_data_url(post.get("signature", "")),
                price_cents=_cents(post.get("price", "")),
                receipt_number=post.get("receipt_number", "")[:30],
                due_on=_date(post.get("due_on", "")),
                connectivity=post.get("connectivity", ""),
                connectivity_note=post.get("connectivity_note", "")[:200],
                identity_checked=post.get("identity_checked") == "on",
                identity_document=post.get("identity_document", ""),
                idempotency_key=post.get("idempotency_key", ""),
            )
        except ServiceError as exc:
            errors = {"all": str(exc.detail), **{k: str(v) for k, v in exc.fields.items()}}
        else:
            flash(request, _("Handed over. The signed agreement is ready."))
            return redirect("web:lending_handover", actor.community.slug, handover.pk)
    else:
        data = {
            "idempotency_key": uuid.uuid4().hex,
            "language": get_language() or actor.community.default_language,
            "kind": AgreementKind.GIFT,
            "connectivity": "",
            "device_ids": request.GET.getlist("device"),
            "referral_id": request.GET.get("referral", ""),
        }
        # A referral chosen from the list: the device set aside for it is ticked (the
        # resident comes with the referral).
        referral = (
            selectors.referrals_ready_for_handover(actor=actor)
            .filter(pk=_int(data["referral_id"]) or 0)
            .first()
        )
        data["referral_id"] = str(referral.pk) if referral else ""
        if referral and referral.device_id:
            data["device_ids"] = [str(referral.device_id), *data["device_ids"]]
        if referral and referral.wished in AgreementKind.values:
            data["kind"] = referral.wished  # what the partner asked for: a loan, a gift…
    context = _counter_context(request, data)
    context["errors"] = errors
    return render(request, "lending/handovers_counter.html", context, status=422 if errors else 200)


@community_page("lending.hand_over")
def handover_detail(request: HttpRequest, handover_id: int) -> HttpResponse:
    actor = actor_of(request)
    handover = selectors.handover_get(actor=actor, handover_id=handover_id)
    return render(
        request,
        "lending/handovers_result.html",
        {
            "handover": handover,
            "items": handover.items.select_related("device"),
            "loans": handover.loans.select_related("device"),
            "has_pdf": bool(handover.pdf_sha256),
        },
    )


@community_page("lending.hand_over")
def handover_pdf(request: HttpRequest, handover_id: int) -> HttpResponse:
    handover = selectors.handover_get(actor=actor_of(request), handover_id=handover_id)
    response = HttpResponse(services.agreement_pdf(handover), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="agreement-{handover.pk}.pdf"'
    return response


@community_page("lending.hand_over")
@require_POST
def handover_email(request: HttpRequest, handover_id: int) -> HttpResponse:
    actor = actor_of(request)
    handover = selectors.handover_get(actor=actor, handover_id=handover_id)  # or not found
    try:
        services.handover_email_copy(actor=actor, handover_id=handover.pk)
    except (ValidationFailed, Conflict) as exc:
        flash(request, str(exc.detail), "error")
    else:
        flash(request, _("A copy is on its way by e-mail."))
    return redirect("web:lending_handover", actor.community.slug, handover_id)


@community_page("lending.hand_over")
def loans(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    due = request.GET.get("due", "")
    due = due if due in selectors.LOAN_FILTERS else ""
    rows = list(selectors.loans_list(actor=actor, due=due)[:200])
    return render(
        request,
        "lending/handovers_loans.html",
        {"loans": rows, "due": due, "filters": selectors.LOAN_FILTERS},
    )


@community_page("lending.hand_over")
@require_POST
def loan_action(request: HttpRequest, loan_id: int, action: str) -> HttpResponse:
    actor = actor_of(request)
    loan_id = selectors.loan_get(actor=actor, loan_id=loan_id).pk  # or not found
    post = request.POST
    try:
        if action == "extend":
            when = _date(post.get("due_on", ""))
            if when is None:
                raise ValidationFailed(_("Choose the new due date."))
            services.loan_extend(actor=actor, loan_id=loan_id, due_on=when)
            flash(request, _("The loan is extended."))
        elif action == "return":
            services.loan_return(
                actor=actor,
                loan_id=loan_id,
                complete=post.get("complete") == "on",
                damaged=post.get("damaged") == "on",
                note=post.get("note", "")[:300],
            )
            flash(request, _("Taken back. Wipe the device before anything else."))
        elif action == "lost":
            services.loan_mark_lost(actor=actor, loan_id=loan_id, note=post.get("note", "")[:300])
            flash(request, _("The loan is closed as lost."))
    except (ValidationFailed, Conflict) as exc:
        flash(request, str(exc.detail), "error")
    return redirect("web:lending_loans", actor.community.slug)
