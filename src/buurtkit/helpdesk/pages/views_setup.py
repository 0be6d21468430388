"""Coordinators' pages: standard answers, the knowledge base and the retention setting."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.core.scoping import get_scoped
from buurtkit.helpdesk import selectors, services
from buurtkit.helpdesk.models import Article, StandardAnswer
from buurtkit.helpdesk.pages.forms import AnswerForm, ArticleForm, PhoneSettingsForm, SettingsForm
from buurtkit.web.decorators import community_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate


def _categories(actor: object) -> list[tuple[int, str]]:
    lang = translation.get_language() or "nl"
    return [
        (c.pk, services.names_of(c.name, lang))
        for c in selectors.categories(actor=actor)  # type: ignore[arg-type]
    ]


@community_page("helpdesk.manage")
def answers(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    q = request.GET.get("q", "")[:100]
    page = paginate(request, selectors.answers_all(actor=actor, q=q))
    return render(request, "helpdesk/answers.html", {"page": page, "q": q})


@community_page("helpdesk.manage")
def answer_edit(request: HttpRequest, answer_id: int | None = None) -> HttpResponse:
    actor = actor_of(request)
    answer = get_scoped(StandardAnswer, actor.community, pk=answer_id) if answer_id else None
    categories = _categories(actor)
    if request.method == "POST":
        form = AnswerForm(request.POST, categories=categories)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.standard_answer_save(
                    actor=actor,
                    answer_id=answer_id,
                    title=d["title"],
                    texts={"nl": d["text_nl"], "fr": d["text_fr"], "en": d["text_en"]},
                    category_id=d["category"] or None,
                    active=d["active"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                flash(request, _("Saved."))
                return redirect("web:helpdesk_answers", actor.community.slug)
    else:
        initial = {"active": True}
        if answer is not None:
            initial = {
                "title": answer.title,
                "category": answer.category_id,
                "active": answer.active,
                **{f"text_{k}": v for k, v in answer.texts.items()},
            }
        form = AnswerForm(categories=categories, initial=initial)
    return render(
        request,
        "helpdesk/edit.html",
        {
            "form": form,
            "title": _("Standard answer"),
            "back": "web:helpdesk_answers",
        },
        status=422 if form.is_bound else 200,
    )


@community_page("helpdesk.manage")
def articles(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    q = request.GET.get("q", "")[:100]
    page = paginate(request, selectors.articles(actor=actor, q=q))
    return render(request, "helpdesk/articles.html", {"page": page, "q": q})


@community_page("helpdesk.manage")
def article_edit(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    actor = actor_of(request)
    article = get_scoped(Article, actor.community, pk=article_id) if article_id else None
    categories = _categories(actor)
    if request.method == "POST":
        form = ArticleForm(request.POST, categories=categories)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.article_save(
                    actor=actor,
                    article_id=article_id,
                    language=d["language"],
                    slug=d["slug"],
                    title=d["title"],
                    body=d["body"],
                    public=d["public"],
                    category_id=d["category"] or None,
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                flash(request, _("Saved."))
                return redirect("web:helpdesk_articles", actor.community.slug)
    else:
        initial = {"language": translation.get_language() or "nl"}
        if article is not None:
            initial = {
                "language": article.language,
                "slug": article.slug,
                "title": article.title,
                "body": article.body,
                "category": article.category_id,
                "public": article.public,
            }
        form = ArticleForm(categories=categories, initial=initial)
    return render(
        request,
        "helpdesk/edit.html",
        {"form": form, "title": _("Help page"), "back": "web:helpdesk_articles"},
        status=422 if form.is_bound else 200,
    )


def _cents(euro: Decimal | None) -> int | None:
    """Euros typed in the form as integer cents; left empty: unchanged."""
    return None if euro is None else int(euro * 100)


@community_page("helpdesk.manage")
def settings_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    current = services.settings_of(actor.community)
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                data = form.cleaned_data
                services.helpdesk_settings_update(
                    actor=actor,
                    retention_days=data["retention_days"],
                    visit_rate_cents=_cents(data["visit_rate_euro"]),
                    visit_budget_cents=_cents(data["visit_budget_euro"]),
                    visit_target=data["visit_target"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                flash(request, _("Saved."))
                return redirect("web:helpdesk_settings", actor.community.slug)
    else:
        form = SettingsForm(
            initial={
                "retention_days": current.retention_days,
                "visit_rate_euro": Decimal(current.visit_rate_cents) / 100,
                "visit_budget_euro": Decimal(current.visit_budget_cents) / 100,
                "visit_target": current.visit_target,
            }
        )
    return render(
        request,
        "helpdesk/edit.html",
        {"form": form, "title": _("Helpdesk settings"), "back": "web:helpdesk_categories"},
        status=422 if form.is_bound else 200,
    )


@community_page("helpdesk.manage")
def phone_settings(request: HttpRequest) -> HttpResponse:
    """The helpdesk line: its number, the staff phones on duty and the office hours."""
    actor = actor_of(request)
    current = services.settings_of(actor.community)
    if request.method == "POST":
        form = PhoneSettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.phone_settings_update(
                    actor=actor,
                    phone_number=data["phone_number"],
                    staff_numbers=data["staff_numbers"].splitlines(),
                    hours=services.parse_hours(data["hours"]),
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                flash(request, _("Saved."))
                return redirect("web:helpdesk_phone_settings", actor.community.slug)
    else:
        form = PhoneSettingsForm(
            initial={
                "phone_number": current.phone_number,
                "staff_numbers": "\n".join(current.phone_staff_numbers or []),
                "hours": services.hours_text(current.phone_hours or []),
            }
        )
    return render(
        request,
        "helpdesk/edit.html",
        {"form": form, "title": _("Helpdesk phone line"), "back": "web:helpdesk_categories"},
        status=422 if form.is_bound else 200,
    )
