"""The built-in route actions: redirect, info page, menu, form, webhook."""

from __future__ import annotations

from typing import Any

import nh3
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.urls import clean_stored_url, is_safe_stored_url
from buurtkit.qrcodes.routing import (
    LANGUAGES,
    Action,
    Outcome,
    Page,
    Redirect,
    Target,
    register_action,
    translated,
)

MAX_MENU_ITEMS = 8
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "blockquote",
}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: message})


def clean_url(value: Any, field: str = "url") -> str:
    """Only http(s) addresses, or a path on this site (``/rabot/pay/``): the core rule."""
    return clean_stored_url(value, field=field)


def clean_texts(
    value: Any, field: str, *, required: bool = True, max_length: int = 200
) -> dict[str, str]:
    """A ``{"nl": …, "fr": …}`` value; a plain string counts as Dutch."""
    if isinstance(value, str):
        value = {"nl": value}
    if not isinstance(value, dict):
        raise _invalid(field, _("Give a text per language."))
    out = {}
    for lang, text in value.items():
        if lang not in LANGUAGES:
            raise _invalid(field, _("Unknown language “%(lang)s”.") % {"lang": lang})
        text = str(text or "").strip()
        if len(text) > max_length:
            raise _invalid(field, _("This text is too long."))
        if text:
            out[lang] = text
    if required and not out:
        raise _invalid(field, _("Write the text in at least one language."))
    return out


def _safe_href(element: str, attribute: str, value: str) -> str | None:
    """Links in an info page follow the stored-address rule (``core.urls``); ``mailto:`` and
    ``tel:`` links may hold plain spaces (``tel:09 123 45 67``) but no other hidden characters."""
    if attribute != "href":
        return value
    if value.lower().startswith(("mailto:", "tel:")):
        return value if is_safe_stored_url("https://x/" + value.replace(" ", "")) else None
    return value if is_safe_stored_url(value) else None


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_safe_href,
    )


# --- redirect -------------------------------------------------------------------------------


def _redirect_clean(community: Community, params: dict[str, Any]) -> dict[str, Any]:
    return {"url": clean_url(params.get("url"))}


def _redirect_resolve(target: Target) -> Outcome:
    return Redirect(target.route.params["url"])


# --- info page ------------------------------------------------------------------------------


def _info_clean(community: Community, params: dict[str, Any]) -> dict[str, Any]:
    title = clean_texts(params.get("title") or {}, "title", required=False)
    raw = clean_texts(params.get("html"), "html", max_length=20_000)
    return {"title": title, "html": {lang: sanitise_html(text) for lang, text in raw.items()}}


def _info_resolve(target: Target) -> Outcome:
    lang = target.context.language
    params = target.route.params
    return Page(
        "qrcodes/info.html",
        {
            "title": translated(params.get("title"), lang) or target.code.title,
            "html": translated(params["html"], lang),
        },
    )


# --- menu -----------------------------------------------------------------------------------


def _menu_clean(community: Community, params: dict[str, Any]) -> dict[str, Any]:
    items = params.get("items")
    if not isinstance(items, list) or not items:
        raise _invalid("items", _("A menu needs at least one choice."))
    if len(items) > MAX_MENU_ITEMS:
        raise _invalid("items", _("A menu has at most %(n)d choices.") % {"n": MAX_MENU_ITEMS})
    cleaned = []
    for item in items:
        if not isinstance(item, dict):
            raise _invalid("items", _("Each choice needs a label and an address."))
        cleaned.append(
            {
                "label": clean_texts(item.get("label"), "items", max_length=80),
                "url": clean_url(item.get("url"), "items"),
            }
        )
    return {
        "title": clean_texts(params.get("title") or {}, "title", required=False),
        "items": cleaned,
    }


def _menu_resolve(target: Target) -> Outcome:
    lang = target.context.language
    params = target.route.params
    return Page(
        "qrcodes/menu.html",
        {
            "title": translated(params.get("title"), lang) or target.code.title,
            "items": [
                {"label": translated(item["label"], lang), "url": item["url"]}
                for item in params["items"]
                if is_safe_stored_url(item["url"])  # saved before the address rule: no link
            ],
        },
    )


# --- form -----------------------------------------------------------------------------------


def _form_clean(community: Community, params: dict[str, Any]) -> dict[str, Any]:
    from buurtkit.qrcodes.models import Form

    form_id = params.get("form")
    if (
        not isinstance(form_id, int)
        or not Form.objects.in_community(community).filter(pk=form_id).exists()
    ):
        raise _invalid("form", _("Choose a form of this community."))
    return {"form": form_id}


def _form_resolve(target: Target) -> Outcome:
    return Page("qrcodes/form.html", {"form_id": target.route.params["form"]})


# --- webhook --------------------------------------------------------------------------------


def _webhook_clean(community: Community, params: dict[str, Any]) -> dict[str, Any]:
    from buurtkit.qrcodes.models import Webhook

    hook_id = params.get("webhook")
    if (
        not isinstance(hook_id, int)
        or not Webhook.objects.in_community(community).filter(pk=hook_id).exists()
    ):
        raise _invalid("webhook", _("Choose a webhook of this community."))
    out: dict[str, Any] = {
        "webhook": hook_id,
        "message": clean_texts(
            params.get("message") or {}, "message", required=False, max_length=300
        ),
    }
    if params.get("url"):
        out["url"] = clean_url(params["url"])
    return out


def _webhook_resolve(target: Target) -> Outcome:
    params = target.route.params
    if params.get("url"):
        return Redirect(params["url"])
    return Page(
        "qrcodes/sent.html",
        {"message": translated(params.get("message"), target.context.language)},
    )


def _describe_url(params: dict[str, Any], language: str) -> str:
    return _("go to %(url)s") % {"url": params.get("url", "")}


register_action(
    Action(
        "redirect",
        gettext_lazy("Go to a web address"),
        _redirect_clean,
        _redirect_resolve,
        _describe_url,
    )
)
register_action(
    Action(
        "info",
        gettext_lazy("Show an information page"),
        _info_clean,
        _info_resolve,
        lambda params, lang: (
            _("see the page “%(title)s”")
            % {"title": translated(params.get("title"), lang) or _("information")}
        ),
    )
)
register_action(
    Action(
        "menu",
        gettext_lazy("Let the person choose (menu)"),
        _menu_clean,
        _menu_resolve,
        lambda params, lang: (
            _("choose between: %(items)s")
            % {"items": ", ".join(translated(i["label"], lang) for i in params.get("items", []))}
        ),
    )
)
register_action(
    Action(
        "form",
        gettext_lazy("Fill in a form"),
        _form_clean,
        _form_resolve,
        lambda params, lang: _("fill in form %(id)s") % {"id": params.get("form")},
    )
)
register_action(
    Action(
        "webhook",
        gettext_lazy("Send the scan to another system"),
        _webhook_clean,
        _webhook_resolve,
        lambda params, lang: _("send the scan to webhook %(id)s") % {"id": params.get("webhook")},
    )
)
