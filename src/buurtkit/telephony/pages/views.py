"""Provider webhooks under ``/telephony/``: thin; the signature is checked before anything.

A bad signature gets 403 and changes nothing; an unknown call gets a polite goodbye.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from buurtkit.telephony import selectors, services
from buurtkit.telephony.interface import get_provider


def _forbidden() -> HttpResponse:
    return HttpResponse("invalid signature", status=403, content_type="text/plain")


def _provider_valid(request: HttpRequest, provider_name: str | None) -> bool:
    return get_provider(provider_name).validate(request)


def _answer(body: str, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
def voice(request: HttpRequest, call_id: int, step: str) -> HttpResponse:
    if not _provider_valid(request, selectors.webhook_provider(call_id=call_id)):
        return _forbidden()
    seq = request.GET.get("seq", "0")
    body, content_type = services.voice_answer(
        call_id=call_id,
        step=step,
        seq=int(seq) if seq.isdigit() else 0,
        params=request.POST.dict(),
    )
    return _answer(body, content_type)


@csrf_exempt
@require_POST
def status(request: HttpRequest, call_id: int) -> HttpResponse:
    if not _provider_valid(request, selectors.webhook_provider(call_id=call_id)):
        return _forbidden()
    services.status_callback(call_id=call_id, params=request.POST.dict())
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def conference(request: HttpRequest, call_id: int) -> HttpResponse:
    if not _provider_valid(request, selectors.webhook_provider(call_id=call_id)):
        return _forbidden()
    services.conference_event(call_id=call_id, params=request.POST.dict())
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def inbound(request: HttpRequest) -> HttpResponse:
    if not _provider_valid(request, None):
        return _forbidden()
    body, content_type = services.inbound_answer(params=request.POST.dict())
    return _answer(body, content_type)


@csrf_exempt
@require_POST
def inbound_status(request: HttpRequest) -> HttpResponse:
    if not _provider_valid(request, None):
        return _forbidden()
    services.inbound_status_callback(params=request.POST.dict())
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def sms_status(request: HttpRequest) -> HttpResponse:
    if not _provider_valid(request, None):
        return _forbidden()
    services.sms_status_callback(params=request.POST.dict())
    return HttpResponse(status=204)
