"""``/q/<code>``: what a scan of a printed code does. Fast, never cached, never broken by statistics.

Printed codes point at ``/Q/<CODE>`` (upper case, so the whole URL fits QR's compact alphanumeric
mode); links shared on screens use ``/q/<code>``. Scans are told apart by that path (``print`` vs
``link``) unless the link names its own ``src``.

Every rule of a scan is decided by :func:`buurtkit.qrcodes.services.scan_resolve`; this view only
passes it what the request holds and renders the outcome it returns.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from buurtkit.qrcodes import services
from buurtkit.qrcodes.cache import CachedCode
from buurtkit.qrcodes.codes import readable
from buurtkit.qrcodes.models import CodeStatus, Form
from buurtkit.qrcodes.routing import translated
from buurtkit.qrcodes.services.checkins import KIOSK_COOKIE

_SESSION_COOKIE = settings.SESSION_COOKIE_NAME


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def scan(request: HttpRequest, code: str) -> HttpResponse:
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    outcome = services.scan_resolve(
        text=code,
        method=request.method or "GET",
        printed=request.path.startswith("/Q/"),
        language=getattr(request, "LANGUAGE_CODE", ""),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        address=str(request.META.get("REMOTE_ADDR", "")),
        params=request.GET,
        # No session cookie: anonymous, without loading the session or the user.
        viewer=services.Viewer(
            user=request.user if _SESSION_COOKIE in request.COOKIES else None,
            api_key=authorization[7:] if authorization.lower().startswith("bearer ") else "",
            kiosk=request.COOKIES.get(KIOSK_COOKIE, ""),
        ),
        wants_json="application/json" in request.META.get("HTTP_ACCEPT", "")
        and bool(authorization),
        form_data=request.POST if request.method == "POST" else None,
    )
    return _no_store(_render(request, outcome))


def _render(request: HttpRequest, outcome: services.ScanOutcome) -> HttpResponse:
    if isinstance(outcome, services.RedirectTo):
        return HttpResponseRedirect(outcome.url)
    if isinstance(outcome, services.ShowPage):
        context = {**outcome.context, "code": outcome.code, "readable": readable(outcome.code.code)}
        _link_back(request, context)
        return render(request, outcome.template, context)
    if isinstance(outcome, services.CodeUnavailable):
        return _unavailable(request, outcome.code, outcome.reason)
    if isinstance(outcome, services.ShowForm):
        status = 429 if outcome.limited else 422 if outcome.errors else 200
        return render(request, "qrcodes/form.html", _form_context(outcome), status=status)
    if isinstance(outcome, services.FormAnswered):
        message = outcome.thanks or _("Thank you. We received your answer.")
        return render(request, "qrcodes/sent.html", {"code": outcome.code, "message": message})
    if isinstance(outcome, services.ClaimCode):
        return HttpResponseRedirect(
            reverse("web:qr_claim", args=[outcome.community_slug, outcome.code])
        )
    if isinstance(outcome, services.CodeNotFound):
        return render(request, "qrcodes/not_found.html", {"typed": outcome.typed}, status=404)
    if isinstance(outcome, services.ApiAnswer):
        return JsonResponse(outcome.body)
    return JsonResponse(  # services.ApiRefused
        {
            "error": "unauthorized",
            "detail": _("A valid API key of this community is needed."),
            "fields": {},
        },
        status=401,
    )


SCAN_PATH = re.compile(r"^/[qQ]/[A-Za-z0-9-]{1,64}$")


def _scan_address(url: str) -> bool:
    """A scan address of this site (``/q/<code>`` with or without a query), nothing else."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and bool(SCAN_PATH.match(parts.path))


def _link_back(request: HttpRequest, context: dict[str, Any]) -> None:
    """A menu's choices that open a code here carry ``back=<this menu>``; the page they open
    (an info page) then shows "Back to the menu". Only a scan address of this site is accepted
    as ``back``, never another site."""
    back = request.GET.get("back", "")
    context["back"] = back if _scan_address(back) else ""
    here = request.get_full_path()
    if "items" in context and _scan_address(here):
        context["items"] = [
            {**item, "url": _with_back(str(item["url"]), here)}
            if _scan_address(str(item.get("url", "")))
            else item
            for item in context["items"]
        ]


def _with_back(url: str, back: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'back': back})}"


def _unavailable(request: HttpRequest, code: CachedCode, reason: str) -> HttpResponse:
    messages = {
        CodeStatus.PAUSED: _("This code is paused for a while."),
        CodeStatus.RETIRED: _("This code is no longer in use."),
        CodeStatus.UNASSIGNED: _("This code is not in use yet."),
        "no_route": _("There is nothing here for you at this moment."),
    }
    return render(
        request,
        "qrcodes/unavailable.html",
        {
            "message": messages.get(reason, messages["no_route"]),
            "code": code,
            "readable": readable(code.code),
        },
        status=410 if reason == CodeStatus.RETIRED else 200,
    )


def _form_context(outcome: services.ShowForm) -> dict[str, Any]:
    form: Form = outcome.form
    language = outcome.language
    fields = []
    for field in form.fields:
        fields.append(
            {
                **field,
                "label_text": translated(field["label"], language),
                "choice_labels": [
                    (str(i), translated(c, language))
                    for i, c in enumerate(field.get("choices", []))
                ],
                "value": outcome.values.get(field["key"], ""),
                "error": outcome.errors.get(field["key"], ""),
            }
        )
    return {
        "code": outcome.code,
        "title": translated(form.title, language),
        "fields": fields,
        "errors": outcome.errors,
        "limited": outcome.limited,
    }
