"""``/q/<code>``: what a scan of a printed code does. Fast, never cached, never broken by statistics.

Printed codes point at ``/Q/<CODE>`` (upper case, so the whole URL fits QR's compact alphanumeric
mode); links shared on screens use ``/q/<code>``. Scans are told apart by that path (``print`` vs
``link``) unless the link names its own ``src``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache as django_cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from buurtkit.core import clock
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.people.selectors import actor_for_api_key, actor_for_user
from buurtkit.qrcodes import recording, selectors, services
from buurtkit.qrcodes.cache import CachedCode
from buurtkit.qrcodes.codes import readable
from buurtkit.qrcodes.models import CodeStatus, Form
from buurtkit.qrcodes.routing import Page, Redirect, ScanContext, translated
from buurtkit.qrcodes.useragent import classify

FORM_POSTS_PER_10_MIN = 10
_SESSION_COOKIE = settings.SESSION_COOKIE_NAME


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _community(code: CachedCode) -> Community:
    return Community.objects.get(pk=code.community_id)


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


def scan(request: HttpRequest, code: str) -> HttpResponse:
    cached = selectors.lookup(code)
    if cached is None:
        recording.record_orphan(code)
        response = render(request, "qrcodes/not_found.html", {"typed": code[:40]}, status=404)
        return _no_store(response)
    accept = request.META.get("HTTP_ACCEPT", "")
    if "application/json" in accept and request.META.get("HTTP_AUTHORIZATION"):
        return _no_store(_scan_json(request, cached))
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    device, os_name, bot = classify(user_agent)
    language = getattr(request, "LANGUAGE_CODE", "") or cached.default_language

    def audience() -> Any:
        # No session cookie: anonymous, without loading the session or the user.
        if _SESSION_COOKIE not in request.COOKIES or not request.user.is_authenticated:
            return selectors.audience_for(None)
        actor = actor_for_user(user=request.user, community=_community(cached))
        return selectors.audience_for(actor)

    ctx = ScanContext(
        now=clock.now(),
        language=language,
        device=device,
        os=os_name,
        bot=bot,
        params=request.GET,
        audience_loader=audience,
    )
    if (
        cached.status == CodeStatus.UNASSIGNED
        and _SESSION_COOKIE in request.COOKIES
        and request.user.is_authenticated
    ):
        actor = actor_for_user(user=request.user, community=_community(cached))
        if actor is not None and actor.has("qrcodes.manage"):
            url = reverse("web:qr_claim", args=[cached.community_slug, cached.code])
            return _no_store(HttpResponseRedirect(url))
    result = selectors.resolve(cached, ctx)
    source = request.GET.get("src") or ("print" if request.path.startswith("/Q/") else "link")
    if request.method == "GET":
        recording.record(
            community_id=cached.community_id,
            code_id=cached.id,
            address=_address(request),
            user_agent=user_agent,
            device=device,
            os_name=os_name,
            language=language,
            route=result.route.position if result.route else None,
            outcome=result.route.action if result.route else result.reason,
            source=source,
            bot=bot,
        )
        if result.route is not None and result.route.action == "webhook" and not bot:
            _send_scan(cached, result.route.id, source, device, language)
    if result.outcome is None:
        return _no_store(_unavailable(request, cached, result.reason))
    if isinstance(result.outcome, Redirect):
        return _no_store(HttpResponseRedirect(result.outcome.url))
    page: Page = result.outcome
    if page.template == "qrcodes/form.html":
        return _no_store(_form(request, cached, page.context["form_id"], language))
    context = {**page.context, "code": cached, "readable": readable(cached.code)}
    return _no_store(render(request, page.template, context))


def _send_scan(cached: CachedCode, route_id: int, source: str, device: str, language: str) -> None:
    try:
        services.scan_to_webhook(
            community_id=cached.community_id,
            route_id=route_id,
            scan={
                "at": clock.now().isoformat(),
                "source": source,
                "device": device,
                "language": language,
            },
        )
    except Exception:
        recording.log.exception("could not queue a webhook for a scan")


def _rate_limited(request: HttpRequest, cached: CachedCode) -> bool:
    who = hashlib.sha256(f"{_address(request)}|{cached.code}".encode()).hexdigest()[:24]
    key = f"qr:form-posts:{who}"
    django_cache.add(key, 0, timeout=600)
    try:
        count = django_cache.incr(key)
    except ValueError:
        django_cache.set(key, 1, timeout=600)
        count = 1
    return count > FORM_POSTS_PER_10_MIN


def _form(request: HttpRequest, cached: CachedCode, form_id: int, language: str) -> HttpResponse:
    form = Form.objects.in_community(cached.community_id).filter(pk=form_id).first()
    if form is None:
        return _unavailable(request, cached, "no_route")
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = {f["key"]: request.POST.get(f["key"], "") for f in form.fields}
        if _rate_limited(request, cached):
            return render(
                request,
                "qrcodes/form.html",
                _form_context(form, cached, language, values, {}, limited=True),
                status=429,
            )
        try:
            services.submission_create(
                community=_community(cached),
                form_id=form.pk,
                code_id=cached.id,
                data=values,
                language=language,
                submitted_by=request.user.get_username() if request.user.is_authenticated else "",
            )
        except ValidationFailed as exc:
            errors = {k: str(v) for k, v in exc.fields.items()}
        else:
            return render(
                request,
                "qrcodes/sent.html",
                {
                    "code": cached,
                    "message": translated(form.thanks, language)
                    or _("Thank you. We received your answer."),
                },
            )
    return render(
        request,
        "qrcodes/form.html",
        _form_context(form, cached, language, values, errors),
        status=422 if errors else 200,
    )


def _form_context(
    form: Form,
    cached: CachedCode,
    language: str,
    values: dict[str, Any],
    errors: dict[str, Any],
    *,
    limited: bool = False,
) -> dict[str, Any]:
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
                "value": values.get(field["key"], ""),
                "error": errors.get(field["key"], ""),
            }
        )
    return {
        "code": cached,
        "title": translated(form.title, language),
        "fields": fields,
        "errors": errors,
        "limited": limited,
    }


def _scan_json(request: HttpRequest, cached: CachedCode) -> HttpResponse:
    """For internal apps: the code's metadata and what this key's audience would get."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    actor = actor_for_api_key(token) if token else None
    if actor is None or actor.community.pk != cached.community_id:
        return JsonResponse(
            {
                "error": "unauthorized",
                "detail": _("A valid API key of this community is needed."),
                "fields": {},
            },
            status=401,
        )
    ctx = ScanContext(
        now=clock.now(),
        language=request.GET.get("lang") or cached.default_language,
        params=request.GET,
        audience_loader=lambda: selectors.audience_for(actor),
    )
    result = selectors.resolve(cached, ctx)
    answer: dict[str, Any] = {"reason": result.reason}
    if result.route is not None:
        answer.update(
            {
                "route": result.route.position + 1,
                "route_name": result.route.name,
                "action": result.route.action,
            }
        )
        if isinstance(result.outcome, Redirect):
            answer["url"] = result.outcome.url
        elif isinstance(result.outcome, Page):
            answer["page"] = {
                k: v for k, v in result.outcome.context.items() if isinstance(v, str | int | list)
            }
    return JsonResponse(
        {
            "code": cached.code,
            "slug": cached.slug or None,
            "title": cached.title,
            "status": cached.status,
            "community": cached.community_slug,
            "answer": answer,
        }
    )
