"""The help exchange's pages: the public list (page, embed, JSON, RSS), a resident's posts
and deals, the post form (also for staff at the counter), the staff list, moderation and the
overview with its exports. Thin: services and selectors do the work."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import feedgenerator
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core import exports
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import NotFound, ServiceError
from buurtkit.helpexchange import selectors, services
from buurtkit.helpexchange.models import Category, DealState, PostKind, PostState
from buurtkit.ledger import selectors as ledger_selectors
from buurtkit.ledger.models import Account, AccountKind
from buurtkit.web.charts import hbar_chart, month_chart
from buurtkit.web.decorators import community_page, embeddable, public_page
from buurtkit.web.forms import apply_service_error
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate

# --- the public list ----------------------------------------------------------------------------


def _filters(request: HttpRequest) -> dict[str, Any]:
    category = request.GET.get("category", "")
    kind = request.GET.get("kind", "")
    try:
        page = max(1, min(int(request.GET.get("page") or 1), 500))
    except ValueError:
        page = 1
    return {
        "category": category if category in Category.values else "",
        "neighbourhood": (request.GET.get("neighbourhood") or "").strip()[:100],
        "kind": kind if kind in PostKind.values else "",
        "page": page,
    }


def _public_context(request: HttpRequest) -> dict[str, Any]:
    community = request.community  # type: ignore[attr-defined]
    f = _filters(request)
    posts, more = selectors.public_posts(community=community, **f)
    settings = services.community_settings(community.pk)
    return {
        "community": community,
        "posts": posts,
        "more": more,
        "filters": f,
        "categories": Category.choices,
        "kinds": PostKind.choices,
        "neighbourhoods": selectors.public_neighbourhoods(community=community),
        "counter_phone": settings.counter_phone,
        "labels": dict(Category.choices),
        "kind_labels": dict(PostKind.choices),
    }


def _cache_key(request: HttpRequest, what: str) -> str:
    """The key of a cached public answer: the community's version (replaced on every change of
    a post), what it is, the language, the filters and the page."""
    community = request.community  # type: ignore[attr-defined]
    f = _filters(request)
    return selectors.public_cache_key(
        community.pk,
        what,
        get_language(),
        f["category"],
        f["neighbourhood"],
        f["kind"],
        f["page"],
    )


def _cached(request: HttpRequest, what: str, make: Any) -> HttpResponse:
    """The answer from the cache (per filters, page and language), made once per change. The
    cached answers are the same for everyone: nothing in them depends on who asks."""
    key = _cache_key(request, what)
    found = cache.get(key)
    if found is None:
        response = make()
        found = (response.content, response["Content-Type"])
        cache.set(key, found, selectors.CACHE_SECONDS)
    content, content_type = found
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = "public, max-age=60"
    return response


@public_page
def public_list(request: HttpRequest) -> HttpResponse:
    """Open requests and offers for everyone (no login), with filters and paging. The list
    itself (filters, cards, pager) is rendered once per change of a post and cached; only the
    page around it (the header with the signed-in user's menu) is rendered per request."""
    key = _cache_key(request, "list")
    body = cache.get(key)
    if body is None:
        body = render_to_string("helpexchange/_public_body.html", _public_context(request))
        cache.set(key, body, selectors.CACHE_SECONDS)
    return render(
        request,
        "helpexchange/public_list.html",
        {"community": request.community, "body": mark_safe(body)},  # type: ignore[attr-defined]  # noqa: S308 - our own rendered template, escaped when rendered
    )


@public_page
@embeddable
def embed(request: HttpRequest) -> HttpResponse:
    """The list for a neighbourhood's own website, in an ``<iframe>``; served from the cache."""

    def make() -> HttpResponse:
        # Without the request: the same for everyone (no session, no login; see apps.py).
        return HttpResponse(render_to_string("helpexchange/embed.html", _public_context(request)))

    response = _cached(request, "embed", make)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@public_page
def feed_json(request: HttpRequest) -> HttpResponse:
    """The open posts as JSON (first name and neighbourhood only; no other personal data)."""
    community = request.community  # type: ignore[attr-defined]

    def make() -> HttpResponse:
        ctx = _public_context(request)
        base = request.build_absolute_uri("/")[:-1]
        return JsonResponse(
            {
                "community": community.slug,
                "page": ctx["filters"]["page"],
                "more": ctx["more"],
                "posts": [
                    {
                        **p.as_dict(),
                        "respond_url": base
                        + reverse("web:helpexchange_post", args=[community.slug, p.id]),
                    }
                    for p in ctx["posts"]
                ],
                "counter_phone": ctx["counter_phone"],
            },
            json_dumps_params={"ensure_ascii": False},
        )

    response = _cached(request, "json", make)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@public_page
def feed_rss(request: HttpRequest) -> HttpResponse:
    """The open posts as an RSS feed."""
    community = request.community  # type: ignore[attr-defined]

    def make() -> HttpResponse:
        ctx = _public_context(request)
        link = request.build_absolute_uri(reverse("web:helpexchange_public", args=[community.slug]))
        feed = feedgenerator.Rss201rev2Feed(
            title=_("Help exchange: %(name)s") % {"name": community.name},
            link=link,
            description=_("Neighbours ask for help and offer help."),
            language=get_language(),
        )
        for p in ctx["posts"]:
            feed.add_item(
                title=f"{ctx['kind_labels'][p.kind]}: {p.title}",
                link=request.build_absolute_uri(
                    reverse("web:helpexchange_post", args=[community.slug, p.id])
                ),
                description=f"{p.text} ({p.first_name}, {p.neighbourhood})".strip(),
                pubdate=p.created_at,
                unique_id=f"{community.slug}-helpexchange-{p.id}",
                categories=[str(ctx["labels"][p.category])],
            )
        return HttpResponse(feed.writeString("utf-8"), content_type="application/rss+xml")

    return _cached(request, "rss", make)


@public_page
def public_post(request: HttpRequest, post_id: int) -> HttpResponse:
    """One open post: "I can help" for a signed-in resident, otherwise sign in or call."""
    community = request.community  # type: ignore[attr-defined]
    post = selectors.public_post(community=community, post_id=post_id)
    actor = getattr(request, "actor", None)
    return render(
        request,
        "helpexchange/public_post.html",
        {
            "community": community,
            "post": post,
            "actor": actor,
            "can_respond": bool(actor and (actor.person_id or actor.on_behalf_of_id)),
            "counter_phone": services.community_settings(community.pk).counter_phone,
            "labels": dict(Category.choices),
            "kind_labels": dict(PostKind.choices),
        },
    )


# --- a resident's own posts and deals (or staff acting for them) --------------------------------


class PostForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What do you want?"), choices=PostKind.choices)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Category.choices)
    title = forms.CharField(label=gettext_lazy("In a few words"), max_length=120)
    text = forms.CharField(
        label=gettext_lazy("More about it"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    neighbourhood = forms.CharField(
        label=gettext_lazy("Neighbourhood"), required=False, max_length=100
    )
    when_on = forms.DateField(
        label=gettext_lazy("On which day (if it matters)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    when_note = forms.CharField(
        label=gettext_lazy("When (for example: Saturday morning)"), required=False, max_length=100
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("How long, in minutes"), required=False, min_value=5, max_value=1440
    )
    reward = forms.CharField(
        label=gettext_lazy("Reward in torekes (from an organisation's budget)"),
        required=False,
        max_length=20,
    )
    reward_account_id = forms.TypedChoiceField(
        label=gettext_lazy("Rewarded by"), required=False, coerce=int, empty_value=None
    )


def _issuer_choices(actor: Any) -> list[tuple[Any, str]]:
    """The issuing organisations the actor may promise rewards from."""
    if not (actor.has("ledger.issue") or actor.has("ledger.manage")):
        return []
    qs = Account.objects.in_community(actor.community).filter(kind=AccountKind.ORGANISATION)
    if not actor.has("ledger.manage"):
        qs = qs.filter(organisation_id__in=actor.organisation_ids)
    return [("", "—")] + [(a.pk, a.name) for a in qs.order_by("name")]


@community_page()
def mine(request: HttpRequest) -> HttpResponse:
    """My requests and offers, the answers to them, and my deals."""
    actor = actor_of(request)
    posts = list(selectors.my_posts(actor=actor)[:50])
    answers = {p.pk: list(selectors.post_responses(actor=actor, post=p)) for p in posts}
    return render(
        request,
        "helpexchange/mine.html",
        {
            "posts": [(p, answers[p.pk]) for p in posts],
            "deals": list(selectors.my_deals(actor=actor)[:50]),
            "me": actor.on_behalf_of_id or actor.person_id,
            "is_person": bool(actor.on_behalf_of_id or actor.person_id),
        },
    )


@community_page()
def post_new(request: HttpRequest) -> HttpResponse:
    """Post a request or an offer: a resident for themselves, staff for the resident they act
    for (the counter, the phone)."""
    actor = actor_of(request)
    issuers = _issuer_choices(actor)
    form = PostForm(request.POST or None)
    form.fields["reward_account_id"].choices = issuers or [("", "—")]
    if not issuers:
        del form.fields["reward"], form.fields["reward_account_id"]
    key = request.POST.get("key") or uuid.uuid4().hex
    if request.method == "POST" and form.is_valid():
        try:
            services.post_create(
                actor=actor,
                kind=form.cleaned_data["kind"],
                category=form.cleaned_data["category"],
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
                neighbourhood=form.cleaned_data["neighbourhood"],
                when_on=form.cleaned_data["when_on"],
                when_note=form.cleaned_data["when_note"],
                duration_minutes=form.cleaned_data["duration_minutes"],
                reward=form.cleaned_data.get("reward") or None,
                reward_account_id=form.cleaned_data.get("reward_account_id"),
                idempotency_key=key,
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            flash(request, _("Your post is online. We tell you when someone answers."))
            return redirect("web:helpexchange_mine", request.community.slug)  # type: ignore[attr-defined]
    return render(request, "helpexchange/post_new.html", {"form": form, "key": key})


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(fallback, request.community.slug)  # type: ignore[attr-defined]


@community_page()
@require_POST
def respond(request: HttpRequest, post_id: int) -> HttpResponse:
    try:
        services.post_respond(
            actor=actor_of(request),
            post_id=post_id,
            message=request.POST.get("message", ""),
            idempotency_key=request.POST.get("key", ""),
        )
    except NotFound:
        raise  # another community's id, or none: the not-found page
    except ServiceError as exc:
        flash(request, str(exc), "error")
        return redirect("web:helpexchange_post", request.community.slug, post_id)  # type: ignore[attr-defined]
    flash(request, _("Thank you! The person who posted this gets a message."))
    return redirect("web:helpexchange_mine", request.community.slug)  # type: ignore[attr-defined]


def _action(request: HttpRequest, run: Any, done: str) -> HttpResponse:
    try:
        run()
    except NotFound:
        raise  # another community's id, or none: the not-found page
    except ServiceError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, done)
    return _back(request, "web:helpexchange_mine")


@community_page()
@require_POST
def accept(request: HttpRequest, response_id: int) -> HttpResponse:
    actor = actor_of(request)
    return _action(
        request,
        lambda: services.response_accept(actor=actor, response_id=response_id),
        _("Agreed. After the help, both of you confirm it here."),
    )


@community_page()
@require_POST
def confirm(request: HttpRequest, deal_id: int) -> HttpResponse:
    actor = actor_of(request)
    return _action(
        request,
        lambda: services.deal_confirm(actor=actor, deal_id=deal_id),
        _("Thank you. The help is confirmed."),
    )


@community_page()
@require_POST
def deal_cancel(request: HttpRequest, deal_id: int) -> HttpResponse:
    actor = actor_of(request)
    return _action(
        request,
        lambda: services.deal_cancel(
            actor=actor, deal_id=deal_id, reason=request.POST.get("reason", "")
        ),
        _("The appointment is cancelled."),
    )


@community_page()
@require_POST
def post_cancel(request: HttpRequest, post_id: int) -> HttpResponse:
    actor = actor_of(request)
    return _action(
        request,
        lambda: services.post_cancel(actor=actor, post_id=post_id),
        _("Your post is taken back."),
    )


@community_page()
@require_POST
def report(request: HttpRequest, post_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        services.post_report(actor=actor, post_id=post_id, reason=request.POST.get("reason", ""))
    except NotFound:
        raise  # another community's id, or none: the not-found page
    except ServiceError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("Thank you. Staff will look at this post."))
    return redirect("web:helpexchange_public", request.community.slug)  # type: ignore[attr-defined]


# --- staff: the list, one post, moderation, the overview ----------------------------------------


@community_page("helpexchange.view")
def staff_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    state = request.GET.get("state", "")
    category = request.GET.get("category", "")
    q = (request.GET.get("q") or "").strip()[:100]
    qs = selectors.posts_search(
        actor=actor,
        q=q,
        state=state if state in PostState.values else "",
        category=category if category in Category.values else "",
    )
    return render(
        request,
        "helpexchange/staff_list.html",
        {
            "page": paginate(request, qs),
            "q": q,
            "state": state,
            "category": category,
            "states": PostState.choices,
            "categories": Category.choices,
        },
    )


@community_page("helpexchange.view")
def staff_post(request: HttpRequest, post_id: int) -> HttpResponse:
    actor = actor_of(request)
    post = selectors.post_detail(actor=actor, post_id=post_id)
    deal = selectors.deals_list(actor=actor).filter(post=post).first()
    return render(
        request,
        "helpexchange/staff_post.html",
        {
            "post": post,
            "responses": list(selectors.post_responses(actor=actor, post=post)),
            "deal": deal,
            "may_moderate": actor.has("helpexchange.moderate"),
            "may_act": actor.has("helpexchange.post_for"),
        },
    )


@community_page("helpexchange.moderate")
@require_POST
def staff_hide(request: HttpRequest, post_id: int) -> HttpResponse:
    actor = actor_of(request)
    hidden = request.POST.get("hidden") == "1"
    try:
        services.post_hide(
            actor=actor, post_id=post_id, hidden=hidden, reason=request.POST.get("reason", "")
        )
    except NotFound:
        raise  # another community's id, or none: the not-found page
    except ServiceError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("Hidden.") if hidden else _("Shown again."))
    return redirect("web:helpexchange_staff_post", request.community.slug, post_id)  # type: ignore[attr-defined]


@community_page("helpexchange.moderate")
@require_POST
def staff_block(request: HttpRequest, post_id: int) -> HttpResponse:
    actor = actor_of(request)
    post = selectors.post_detail(actor=actor, post_id=post_id)
    try:
        if post.person_id is None:
            raise ServiceError(_("This post has no person to block."))
        if request.POST.get("lift") == "1":
            services.person_unblock(actor=actor, person_id=post.person_id)
        else:
            services.person_block(
                actor=actor, person_id=post.person_id, reason=request.POST.get("reason", "")
            )
    except NotFound:
        raise  # another community's id, or none: the not-found page
    except ServiceError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("Saved."))
    return redirect("web:helpexchange_staff_post", request.community.slug, post_id)  # type: ignore[attr-defined]


@community_page("helpexchange.moderate")
def moderation(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return render(
        request,
        "helpexchange/moderation.html",
        {"page": paginate(request, selectors.reported_posts(actor=actor))},
    )


@community_page("helpexchange.view")
def overview(request: HttpRequest) -> HttpResponse:
    from datetime import date

    actor = actor_of(request)
    o = selectors.overview(actor=actor)
    months = [date.fromisoformat(m + "-01") for m in o.months[-12:]]
    this_month = ledger_selectors.local_today().replace(day=1)
    charts = []
    for key, title in (
        ("posted", _("Posts per month")),
        ("agreed", _("Deals agreed per month (still open or closed without help)")),
        ("done", _("Help given per month")),
    ):
        values = [o.per_month.get(key, {}).get(m, 0) for m in o.months[-12:]]
        charts.append((key, title, month_chart(months, values, this_month=this_month)))
    rewarded = month_chart(
        months,
        [o.rewarded_per_month.get(m, 0) for m in o.months[-12:]],
        this_month=this_month,
    )
    return render(
        request,
        "helpexchange/overview.html",
        {
            "o": o,
            "charts": charts,
            "rewarded": rewarded,
            "top": hbar_chart(o.top_categories),
            "states": PostState.choices,
            "deal_states": DealState.choices,
        },
    )


@community_page("helpexchange.view")
def overview_csv(request: HttpRequest) -> HttpResponse:
    rows = selectors.export_rows(actor=actor_of(request))
    return exports.csv_response([selectors.EXPORT_HEADER, *rows], filename="help-exchange.csv")


@community_page("helpexchange.view")
def overview_xlsx(request: HttpRequest) -> HttpResponse:
    rows = selectors.export_rows(actor=actor_of(request))
    return exports.xlsx_response(
        [selectors.EXPORT_HEADER, *rows], filename="help-exchange.xlsx", sheet_title="help"
    )
