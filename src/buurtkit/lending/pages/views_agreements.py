"""The agreement texts page: every version per kind and language, the current one marked, a
preview, and publishing a new version (never an edit). Thin: one service call."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.lending import selectors, services
from buurtkit.lending.models import AgreementKind
from buurtkit.lending.pages.forms_agreements import AgreementTextForm
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash

LANGUAGES = dict(settings.LANGUAGES)


def _paragraphs(body: str) -> list[str]:
    return [part.strip() for part in body.replace("\r\n", "\n").split("\n\n") if part.strip()]


@community_page("lending.agreements")
def agreement_texts(request: HttpRequest) -> HttpResponse:
    """All texts at a glance; ``?kind=&language=`` opens one: its versions and the form."""
    actor = actor_of(request)
    kind = request.GET.get("kind", "")
    language = request.GET.get("language", "")
    chosen = kind in AgreementKind.values and language in LANGUAGES
    texts = list(selectors.agreement_texts_list(actor=actor))
    latest: dict[tuple[str, str], Any] = {}
    for text in texts:  # newest version first per kind and language
        latest.setdefault((text.kind, text.language), text)
    rows = []
    for value, label in AgreementKind.choices:
        for code, name in LANGUAGES.items():
            current = latest.get((value, code))
            rows.append(
                {
                    "kind": value,
                    "kind_label": label,
                    "language": code,
                    "language_name": name,
                    "current": current,
                    "title": current.title
                    if current
                    else selectors.agreement_text_shown(
                        community=actor.community, kind=value, language=code
                    )[1],
                    "chosen": chosen and (value, code) == (kind, language),
                }
            )
    context: dict[str, Any] = {"rows": rows, "chosen": chosen}
    if not chosen:
        return render(request, "lending/agreement_texts.html", context)

    versions = [t for t in texts if (t.kind, t.language) == (kind, language)]
    _id, current_title, current_body = selectors.agreement_text_shown(
        community=actor.community, kind=kind, language=language
    )
    current_version = versions[0].version if versions else 0
    initial = {"title": current_title, "body": current_body, "expected_version": current_version}
    form = AgreementTextForm(request.POST or None, initial=initial)
    preview = None
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("action") == "publish":
            try:
                text = services.agreement_text_publish(
                    actor=actor,
                    kind=kind,
                    language=language,
                    title=data["title"],
                    body=data["body"],
                    expected_version=data["expected_version"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
                status = exc.status
            else:
                flash(
                    request,
                    _("Version %(version)d is published. New agreements are signed on it.")
                    % {"version": text.version},
                )
                url = reverse("web:lending_agreement_texts", args=[actor.community.slug])
                return redirect(f"{url}?kind={kind}&language={language}#versions")
        else:
            preview = {"title": data["title"], "paragraphs": _paragraphs(data["body"])}
    elif form.is_bound:
        status = 400
    context.update(
        {
            "kind": kind,
            "kind_label": AgreementKind(kind).label,
            "language": language,
            "language_name": LANGUAGES[language],
            "versions": [{"text": t, "paragraphs": _paragraphs(t.body)} for t in versions],
            "standard": None
            if versions
            else {"title": current_title, "paragraphs": _paragraphs(current_body)},
            "form": form,
            "preview": preview,
        }
    )
    return render(request, "lending/agreement_texts.html", context, status=status)
