"""Call flows for staff: every flow with its versions, a version read as a script per language,
a draft's definition edited as JSON (errors listed, the text kept), copy and activate.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, ServiceError
from buurtkit.telephony import flowdata, selectors, services
from buurtkit.telephony.models import FlowStatus
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash

MAX_JSON = 100_000


@community_page("telephony.view", module="neighbours")  # Buurbel's pages
def flow_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    flows = []
    for kind in selectors.flow_kinds():
        services.flow_ensure(community=actor.community, key=kind.key)
        versions = list(selectors.flow_versions(actor=actor, key=kind.key).order_by("-number"))
        flows.append({"key": kind.key, "title": kind.title, "versions": versions})
    return render(
        request,
        "telephony/flows.html",
        {
            "flows": flows,
            "repeat_key": flowdata.REPEAT_KEY,
            "opt_out_key": flowdata.OPT_OUT_KEY,
            "can_edit": actor.has("telephony.flows"),
        },
    )


def _language(request: HttpRequest) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    asked = request.GET.get("lang", "")
    if asked in codes:
        return asked
    current = (get_language() or "nl")[:2]
    return current if current in codes else "nl"


@community_page("telephony.view", module="neighbours")  # Buurbel's pages
def flow_detail(request: HttpRequest, flow_id: int) -> HttpResponse:
    actor = actor_of(request)
    version = selectors.flow_version_get(actor=actor, version_id=flow_id)
    language = _language(request)
    kind = flowdata.FLOW_KINDS.get(version.key)
    return render(
        request,
        "telephony/flow.html",
        {
            "version": version,
            "title": kind.title if kind else version.key,
            "script": selectors.flow_script(version=version, language=language),
            "language": language,
            "script_languages": [(code, name) for code, name in settings.LANGUAGES],
            "definition": json.dumps(version.definition, indent=2, ensure_ascii=False),
            "is_draft": version.status == FlowStatus.DRAFT,
            "can_edit": actor.has("telephony.flows"),
            "repeat_key": flowdata.REPEAT_KEY,
            "opt_out_key": flowdata.OPT_OUT_KEY,
        },
    )


@community_page("telephony.flows", module="neighbours")  # Buurbel's pages
@require_POST
def flow_copy(request: HttpRequest, flow_id: int) -> HttpResponse:
    actor = actor_of(request)
    source = selectors.flow_version_get(actor=actor, version_id=flow_id)
    draft = services.flow_version_create(actor=actor, key=source.key, copy_of_id=source.pk)
    flash(
        request,
        _("Version %(n)d is a new draft: change it, then activate it.") % {"n": draft.number},
    )
    return redirect("web:buurbel_flow_edit", request.community.slug, draft.pk)  # type: ignore[attr-defined]


@community_page("telephony.flows", module="neighbours")  # Buurbel's pages
def flow_edit(request: HttpRequest, flow_id: int) -> HttpResponse:
    actor = actor_of(request)
    version = selectors.flow_version_get(actor=actor, version_id=flow_id)
    if version.status != FlowStatus.DRAFT:
        flash(request, _("Only a draft can be changed. Make a copy first."), "error")
        return redirect("web:buurbel_flow", request.community.slug, version.pk)  # type: ignore[attr-defined]
    text = json.dumps(version.definition, indent=2, ensure_ascii=False)
    notes = version.notes
    error = ""
    if request.method == "POST":
        text = request.POST.get("definition", "")[:MAX_JSON]
        notes = request.POST.get("notes", "")[:2000]
        try:
            definition: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            error = _("This is not valid JSON (line %(line)d, column %(col)d): %(msg)s.") % {
                "line": exc.lineno,
                "col": exc.colno,
                "msg": exc.msg,
            }
        else:
            try:
                services.flow_version_update(
                    actor=actor, version_id=version.pk, definition=definition, notes=notes
                )
            except ServiceError as exc:
                error = str(exc.detail)
            else:
                flash(
                    request, _("Saved. Read the script below, then activate it when it is right.")
                )
                return redirect("web:buurbel_flow", request.community.slug, version.pk)  # type: ignore[attr-defined]
    kind = flowdata.FLOW_KINDS.get(version.key)
    return render(
        request,
        "telephony/flow_edit.html",
        {
            "version": version,
            "title": kind.title if kind else version.key,
            "outcomes": sorted(kind.outcomes) if kind else [],
            "text": text,
            "notes": notes,
            "error": error,
            "phrases": sorted(flowdata.DEFAULT_TEXTS),
        },
        status=400 if error else 200,
    )


@community_page("telephony.flows", module="neighbours")  # Buurbel's pages
@require_POST
def flow_activate(request: HttpRequest, flow_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        version = services.flow_version_activate(actor=actor, version_id=flow_id)
    except NotFound:
        raise
    except ServiceError as exc:
        flash(request, str(exc.detail), "error")
    else:
        flash(
            request,
            _("Version %(n)d is now used for new calls. Calls under way keep their version.")
            % {"n": version.number},
        )
    return redirect("web:buurbel_flow", request.community.slug, flow_id)  # type: ignore[attr-defined]
