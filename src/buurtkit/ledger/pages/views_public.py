"""Public pages of the currency: where it is accepted (a page and an embeddable version for a
neighbourhood website) and the web app manifest that lets residents put the pay pages on
their phone's home screen. No login, no personal data: shops and offices are organisations.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from buurtkit.ledger import directory
from buurtkit.web.decorators import embeddable, public_page

LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _places_context(request: HttpRequest) -> dict[str, Any]:
    community = request.community  # type: ignore[attr-defined]
    q = request.GET.get("q", "")[:100]
    currency = directory.public_currency(community=community)
    shops, offices = directory.accepting_places(community=community, q=q)
    return {
        "currency_name": currency.name(translation.get_language() or "nl") if currency else "",
        "has_currency": currency is not None,
        "shops": shops,
        "offices": offices,
        "q": q,
    }


def _in_language(request: HttpRequest, template: str) -> HttpResponse:
    """``?lang=fr`` chooses the language (an embed cannot rely on the visitor's cookie)."""
    lang = request.GET.get("lang", "")
    if lang not in LANGUAGES:
        return render(request, template, _places_context(request))
    with translation.override(lang):
        response = render(request, template, _places_context(request))
    response["Content-Language"] = lang
    return response


@public_page
def places(request: HttpRequest) -> HttpResponse:
    return _in_language(request, "ledger/places.html")


@public_page
@embeddable
def places_embed(request: HttpRequest) -> HttpResponse:
    """The same list without the site's header, for an ``<iframe>`` on a neighbourhood site."""
    return _in_language(request, "ledger/places_embed.html")


ICON_SIZES = (192, 512)


@public_page
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest of the resident pages: "add to home screen" opens the pay page.

    Browsers fetch it without cookies, so it is public and says nothing about anyone.
    """
    community = request.community  # type: ignore[attr-defined]
    slug = community.slug
    currency = directory.public_currency(community=community)
    name = currency.name(translation.get_language() or "nl") if currency else _("Pay")
    data = {
        "name": f"{community.name}: {name}",
        "short_name": str(name)[:12],
        "description": _("Pay and see your account."),
        "lang": translation.get_language() or "nl",
        "start_url": reverse("web:pay_home", kwargs={"slug": slug}),
        "scope": f"/{slug}/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5394",
        "icons": [
            {
                "src": static(f"ledger/icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in ICON_SIZES
        ],
    }
    return HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )
