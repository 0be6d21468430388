"""What feature modules add to web's shared pages.

``web`` knows no feature module. A module that has pages registers here, from its
``AppConfig.ready()``, what the shared pages show of it: a link in the main menu, a tile on
the staff dashboard, a button on the resident's home page, a section on a person's page, the
plain words for its audit verbs. Every entry names its module (a ``core.modules`` key) and is
shown only in communities that have that module switched on, and only to actors who have its
permission.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.safestring import SafeString

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.core.registry import Registry

Text = str | Promise


@dataclass(frozen=True)
class Link:
    """A page of a module, reversed as ``{% url url_name community.slug %}``."""

    key: str  # unique within its list, e.g. "ledger.exchange"
    module: str  # a core.modules key, or "" for a foundation's pages (always on)
    url_name: str  # e.g. "web:exchange_offices"
    label: Text
    # "" = anyone with a place in the community; "a|b" = whoever holds either of them
    permission: str = ""
    summary: Text = ""  # a dashboard tile's second line
    primary: bool = False  # the resident home's big button
    needs_person: bool = False  # only for a login that is a resident (a Person)
    order: int = 100


@dataclass(frozen=True)
class PersonSection:
    """A part of the staff page about one person; ``context`` returns None to show nothing."""

    key: str
    module: str
    template: str
    context: Callable[[Actor, int], dict[str, Any] | None]
    order: int = 100


@dataclass(frozen=True)
class HomeSection:
    """A part of the community's home page for whoever it concerns (a shop sees its takings);
    ``context`` returns None to show nothing."""

    key: str
    module: str
    template: str
    context: Callable[[Actor], dict[str, Any] | None]
    order: int = 100


@dataclass(frozen=True)
class PortalPart:
    """Something a module adds to every page of the community's portal (a chat box): rendered
    at the end of each page with a community; ``context`` returns None to show nothing (on
    staff pages, for staff)."""

    key: str
    module: str
    template: str
    context: Callable[[HttpRequest], dict[str, Any] | None]
    order: int = 100


MODULES_WITH_PAGES: set[str] = set()
MENU: Registry[str, Link] = Registry("main-menu links")
DASHBOARD: Registry[str, Link] = Registry("dashboard tiles")
RESIDENT_HOME: Registry[str, Link] = Registry("resident home links")
PERSON_SECTIONS: Registry[str, PersonSection] = Registry("person page sections")
AUDIT_VERBS: Registry[str, Text] = Registry("audit verbs")
HOME_SECTIONS: Registry[str, HomeSection] = Registry("home page sections")
PORTAL_PARTS: Registry[str, PortalPart] = Registry("portal parts")


def register_module_pages(module: str) -> None:
    """``module`` has pages: the dashboard and the resident home list it where it is on."""
    MODULES_WITH_PAGES.add(module)


def register_menu_link(link: Link) -> None:
    MENU.register_once(link.key, link)


def register_dashboard_tile(link: Link) -> None:
    DASHBOARD.register_once(link.key, link)


def register_resident_link(link: Link) -> None:
    RESIDENT_HOME.register_once(link.key, link)


def register_person_section(section: PersonSection) -> None:
    PERSON_SECTIONS.register_once(section.key, section)


def register_home_section(section: HomeSection) -> None:
    HOME_SECTIONS.register_once(section.key, section)


def register_portal_part(part: PortalPart) -> None:
    PORTAL_PARTS.register_once(part.key, part)


def register_audit_verbs(verbs: dict[str, Text]) -> None:
    """Plain words for audit verbs (``ledger.pin_set`` → "payment PIN set")."""
    for verb, words in verbs.items():
        AUDIT_VERBS.register_once(verb, words)


def _on(community: Community | None, module: str) -> bool:
    """Whether ``module`` is switched on; ``""`` is a foundation (places), always on."""
    return community is not None and (not module or module in (community.enabled_modules or []))


def visible_links(links: Iterable[Link], actor: Actor | None) -> list[Link]:
    """The links ``actor`` may follow: module switched on, permission held."""
    if actor is None:
        return []
    return [
        link
        for link in sorted(links, key=lambda link: (link.order, link.key))
        if _on(actor.community, link.module)
        and (not link.permission or any(actor.has(p) for p in link.permission.split("|")))
        and (not link.needs_person or actor.person_id or actor.on_behalf_of_id)
    ]


def modules_in_use(community: Community) -> list[Any]:
    """The community's switched-on modules that have pages (``core.modules.Module`` rows)."""
    return [m for m in community.modules() if m.key in MODULES_WITH_PAGES]


@dataclass(frozen=True)
class ModuleTile:
    """A module on the home page: a link to its first page this person may open."""

    key: str
    name: Text
    summary: Text
    url_name: str


def module_tiles(actor: Actor) -> list[ModuleTile]:
    """The switched-on modules with pages that ``actor`` may use, each a link to its first
    page this actor may open (a module with nothing for them is left out)."""
    links = visible_links([*MENU.values(), *DASHBOARD.values(), *RESIDENT_HOME.values()], actor)
    tiles = []
    for module in modules_in_use(actor.community):
        first = next((link for link in links if link.module == module.key), None)
        if first is not None:
            tiles.append(ModuleTile(module.key, module.name, module.summary, first.url_name))
    return tiles


def home_sections(request: HttpRequest, actor: Actor) -> list[SafeString]:
    """The modules' sections of the home page for ``actor``, rendered in their order."""
    html = []
    for section in sorted(HOME_SECTIONS.values(), key=lambda s: (s.order, s.key)):
        if not _on(actor.community, section.module):
            continue
        context = section.context(actor)
        if context is None:
            continue
        html.append(SafeString(render_to_string(section.template, context, request=request)))
    return html


def person_sections(request: HttpRequest, actor: Actor, person: Any) -> list[SafeString]:
    """The modules' sections of a person's page, rendered in their order."""
    html = []
    for section in sorted(PERSON_SECTIONS.values(), key=lambda s: (s.order, s.key)):
        if not _on(actor.community, section.module):
            continue
        context = section.context(actor, person.pk)
        if context is None:
            continue
        html.append(
            SafeString(
                render_to_string(section.template, {"person": person, **context}, request=request)
            )
        )
    return html


def portal_parts(request: HttpRequest) -> list[SafeString]:
    """The modules' parts of the portal for this page (a chat box), rendered in their order."""
    community = getattr(request, "community", None)
    html = []
    for part in sorted(PORTAL_PARTS.values(), key=lambda p: (p.order, p.key)):
        if not _on(community, part.module):
            continue
        context = part.context(request)
        if context is None:
            continue
        html.append(SafeString(render_to_string(part.template, context, request=request)))
    return html


# --- sessionless public pages (web.middleware) ----------------------------------------------

#: Public pages that are the same for everyone (an embed for other sites, a feed): a GET of
#: one of these paths needs no session, no login and no flash messages. Modules register them
#: (``register_sessionless``); a page there must not read ``request.user`` or the session.
SESSIONLESS: list[re.Pattern[str]] = []


def register_sessionless(pattern: str) -> None:
    """A path (regular expression on ``path_info``) that is served without the session, the
    login and flash messages: a cached public answer costs a cache read, not a session load."""
    compiled = re.compile(pattern)
    if all(p.pattern != compiled.pattern for p in SESSIONLESS):
        SESSIONLESS.append(compiled)
