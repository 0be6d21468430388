"""The reports' pages: a plan's reports, asking for one, its progress and its files. Thin:
``reports.services`` and ``reports.selectors`` do the work."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.monitoring import selectors as monitoring
from buurtkit.monitoring.models import ReportKind
from buurtkit.monitoring.reports import selectors, services
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.pagination import paginate

MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of report"), choices=ReportKind.choices)
    first_month = forms.DateField(
        label=gettext_lazy("First month"), required=False, widget=MONTH, input_formats=["%Y-%m"],
        help_text=gettext_lazy("Empty: from the start of the plan (steering group: this quarter)."),
    )  # fmt: skip
    last_month = forms.DateField(
        label=gettext_lazy("Last month"), required=False, widget=MONTH, input_formats=["%Y-%m"],
        help_text=gettext_lazy("Empty: up to this month."),
    )  # fmt: skip
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


def _context(request: HttpRequest, plan_id: int, form: ReportForm | None) -> dict[str, Any]:
    actor = actor_of(request)
    plan = monitoring.plan_get(actor=actor, plan_id=plan_id)
    can_manage = actor.has("monitoring.manage")
    if form is None and can_manage:
        form = ReportForm(
            initial={
                "kind": ReportKind.FUNDER,
                "language": request.LANGUAGE_CODE
                if request.LANGUAGE_CODE in dict(settings.LANGUAGES)
                else "nl",  # type: ignore[attr-defined]
                "idempotency_key": f"web-{uuid.uuid4().hex}",
            }
        )
    return {
        "plan": plan,
        "page": paginate(request, selectors.reports_list(actor=actor, plan_id=plan.pk)),
        "form": form if can_manage else None,
    }


@community_page("monitoring.view")
def reports(request: HttpRequest, plan_id: int) -> HttpResponse:
    return render(request, "monitoring/reports/list.html", _context(request, plan_id, None))


@require_POST
@community_page("monitoring.manage")
def report_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    form = ReportForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            snapshot = services.report_generate(
                actor=actor_of(request), plan_id=plan_id, kind=data["kind"],
                first_month=data["first_month"], last_month=data["last_month"],
                language=data["language"], idempotency_key=data["idempotency_key"],
            )  # fmt: skip
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            slug = request.community.slug  # type: ignore[attr-defined]
            return redirect("web:monitoring_report", slug, plan_id, snapshot.pk)
    return render(
        request, "monitoring/reports/list.html", _context(request, plan_id, form), status=422
    )


@community_page("monitoring.view")
def report(request: HttpRequest, plan_id: int, report_id: int) -> HttpResponse:
    """A report's page; while it is being made, htmx asks for its status part every 2 s."""
    actor = actor_of(request)
    snapshot = selectors.report_get(actor=actor, snapshot_id=report_id, plan_id=plan_id)
    context = {"plan": snapshot.plan, "snapshot": snapshot, "step": _step_label(snapshot.step)}
    if request.headers.get("HX-Request"):
        return render(request, "monitoring/reports/_status.html", context)
    return render(request, "monitoring/reports/detail.html", context)


@community_page("monitoring.view")
def report_file(request: HttpRequest, plan_id: int, report_id: int, fmt: str) -> HttpResponse:
    """A file of a finished report, exactly as it was made."""
    found = selectors.report_file(
        actor=actor_of(request), snapshot_id=report_id, fmt=fmt, plan_id=plan_id
    )
    response = HttpResponse(found.data, content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.name}"'
    return response


def _step_label(step: str) -> str:
    return {
        "queued": _("waiting for its turn"),
        "figures": _("counting the figures"),
        "xlsx": _("writing the spreadsheet"),
        "pdf": _("writing the PDF"),
        "csv": _("writing the CSV file"),
        "done": _("ready"),
    }.get(step, step)
