"""A scan of a printed or shared code (``/q/<code>``), decided in one call.

:func:`scan_resolve` takes what the page knows about the request and returns an *outcome* that
the page only renders: redirect there, show this page, send the staff member to claim the blank
code, not found, the form was answered… Every rule of a scan lives here: which route answers,
when the scan is recorded (a GET by a browser; never the JSON metadata of an internal app, nor a
staff member sent to claim a code), when the route's webhook is told (not for bots), and who
may claim a blank code.

The common case, an anonymous scan of a known code, needs no query (docs/adr/0009): the code and
its compiled routes come from the per-process cache, the scanner's login is loaded only when a
route asks who scans (or the code is blank and a session cookie was sent), and the scan goes to
the recorder's in-process buffer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.ratelimit import over_limit
from buurtkit.core.urls import is_safe_stored_url
from buurtkit.people.selectors import actor_for_api_key, actor_for_user
from buurtkit.qrcodes import recording, selectors
from buurtkit.qrcodes.cache import CachedCode
from buurtkit.qrcodes.models import CodeStatus, Form
from buurtkit.qrcodes.routing import Page, Redirect, ScanContext, translated
from buurtkit.qrcodes.services.checkins import kiosk_allows
from buurtkit.qrcodes.services.forms import submission_create
from buurtkit.qrcodes.services.webhooks import scan_to_webhook
from buurtkit.qrcodes.useragent import classify

#: Answers one address may send to one code's form in 10 minutes.
FORM_POSTS_PER_10_MIN = 10


# --- who scans --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who scans, as the page knows it; nothing is loaded until a rule needs it.

    ``user`` is the request's (lazy) user when the request carries a session cookie, else None:
    without a cookie the scan is anonymous and neither the session nor the login is loaded.
    ``api_key`` is the bearer key an internal app sends when it asks for a code's metadata.
    """

    user: Any = None
    api_key: str = ""
    #: The signed cookie of a tablet that staff registered as a kiosk (see ``checkins``).
    kiosk: str = ""


ANONYMOUS_VIEWER = Viewer()


# --- outcomes: what the page renders ----------------------------------------------------------


@dataclass(frozen=True)
class CodeNotFound:
    """No code and no vanity name reads like this (a 404 page showing what was typed)."""

    typed: str


@dataclass(frozen=True)
class ClaimCode:
    """A blank code scanned by staff who may give it its use: send them to claim it."""

    community_slug: str
    code: str


@dataclass(frozen=True)
class CodeUnavailable:
    """The code does not answer: ``reason`` is paused, retired, unassigned or no_route."""

    code: CachedCode
    reason: str


@dataclass(frozen=True)
class RedirectTo:
    """A temporary redirect (never a permanent one: the code can be re-targeted)."""

    url: str


@dataclass(frozen=True)
class ShowPage:
    """A page buurtkit shows itself (info, menu, contact, …) with what its template needs."""

    code: CachedCode
    template: str
    context: dict[str, Any]


@dataclass(frozen=True)
class ShowForm:
    """The form behind the code: empty, with the answers and their problems, or refused
    because this address sent too many answers (``limited``)."""

    code: CachedCode
    form: Form
    language: str
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    limited: bool = False


@dataclass(frozen=True)
class FormAnswered:
    """The answer is stored (and sent on); ``thanks`` is the form's own message, may be empty."""

    code: CachedCode
    thanks: str


@dataclass(frozen=True)
class ApiAnswer:
    """For internal apps: the code's metadata and what the key's audience would get (JSON)."""

    body: dict[str, Any]


@dataclass(frozen=True)
class ApiRefused:
    """The JSON metadata was asked without a valid API key of the code's community (401)."""


ScanOutcome = (
    CodeNotFound
    | ClaimCode
    | CodeUnavailable
    | RedirectTo
    | ShowPage
    | ShowForm
    | FormAnswered
    | ApiAnswer
    | ApiRefused
)


# --- the scan ---------------------------------------------------------------------------------


def scan_resolve(
    *,
    text: str,
    method: str = "GET",
    printed: bool = False,
    language: str = "",
    user_agent: str = "",
    address: str = "",
    params: Mapping[str, str] | None = None,
    viewer: Viewer = ANONYMOUS_VIEWER,
    wants_json: bool = False,
    form_data: Mapping[str, str] | None = None,
) -> ScanOutcome:
    """What a scan of ``text`` (a code or a vanity name) gets, with its side effects done.

    ``printed`` is true for the upper-case ``/Q/`` URL printed codes carry (the scan's source is
    then ``print`` unless the link names its own ``src``); ``language`` is the request's language
    ("" for the community's default); ``params`` are the query parameters; ``wants_json`` asks
    for the code's metadata with ``viewer.api_key``; ``form_data`` is a POST's fields (an answer
    to the code's form). ``method`` is the HTTP method: only a GET is recorded.
    """
    params = {} if params is None else params
    cached = selectors.lookup(text)
    if cached is None:
        recording.record_orphan(text)
        return CodeNotFound(typed=text[:40])
    if wants_json:
        return _metadata(cached, viewer.api_key, params)
    device, os_name, bot = classify(user_agent)
    language = language or cached.default_language
    viewer_actor = _ViewerActor(viewer, cached)
    if cached.status == CodeStatus.UNASSIGNED and viewer.user is not None:
        actor = viewer_actor()
        if actor is not None and actor.has("qrcodes.manage"):
            return ClaimCode(community_slug=cached.community_slug, code=cached.code)
    ctx = ScanContext(
        now=clock.now(),
        language=language,
        device=device,
        os=os_name,
        bot=bot,
        params=params,
        audience_loader=lambda: selectors.audience_for(viewer_actor()),
    )
    result = selectors.resolve(cached, ctx)
    source = params.get("src") or ("print" if printed else "link")
    if method == "GET":
        recording.record(
            community_id=cached.community_id,
            code_id=cached.id,
            address=address,
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
        return CodeUnavailable(code=cached, reason=result.reason)
    if isinstance(result.outcome, Redirect):
        if not is_safe_stored_url(result.outcome.url):  # saved before the address rule
            return CodeUnavailable(code=cached, reason="no_route")
        return RedirectTo(url=result.outcome.url)
    page: Page = result.outcome
    if result.route is not None and result.route.action == "form":
        return _form(
            cached,
            page.context["form_id"],
            language=language,
            address=address,
            viewer=viewer,
            form_data=form_data if method == "POST" else None,
        )
    return ShowPage(code=cached, template=page.template, context=page.context)


class _ViewerActor:
    """The scanner's actor in the code's community, loaded once and only when asked."""

    def __init__(self, viewer: Viewer, cached: CachedCode) -> None:
        self.viewer = viewer
        self.cached = cached
        self.loaded = False
        self.actor: Actor | None = None

    def __call__(self) -> Actor | None:
        if not self.loaded:
            self.loaded = True
            user = self.viewer.user
            if user is not None and user.is_authenticated:
                self.actor = actor_for_user(user=user, community=_community(self.cached))
        return self.actor


def _community(cached: CachedCode) -> Community:
    return Community.objects.get(pk=cached.community_id)


def _send_scan(cached: CachedCode, route_id: int, source: str, device: str, language: str) -> None:
    """Queue the route's webhook; a failure is logged and never breaks the scan."""
    try:
        scan_to_webhook(
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


# --- forms behind codes -----------------------------------------------------------------------


def public_post_limited(
    address: str, scope: str, *, kiosk: str = "", code_id: int | None = None
) -> bool:
    """Counts one public answer from ``address`` to ``scope`` (a code, a booking page) and says
    whether it is one too many (more than :data:`FORM_POSTS_PER_10_MIN` in 10 minutes). A tablet
    registered as a kiosk for ``code_id`` is never limited there."""
    if kiosk_allows(kiosk, code_id):
        return False
    return over_limit(
        "qr-form-posts", f"{address}|{scope}", limit=FORM_POSTS_PER_10_MIN, seconds=600
    )


def _form(
    cached: CachedCode,
    form_id: int,
    *,
    language: str,
    address: str,
    viewer: Viewer,
    form_data: Mapping[str, str] | None,
) -> ScanOutcome:
    """The form page, or an answer to it: rate-limited per address, stored, sent on."""
    form = Form.objects.in_community(cached.community_id).filter(pk=form_id).first()
    if form is None:
        return CodeUnavailable(code=cached, reason="no_route")
    if form_data is None:
        return ShowForm(code=cached, form=form, language=language)
    values = {f["key"]: form_data.get(f["key"], "") for f in form.fields}
    if public_post_limited(address, cached.code, kiosk=viewer.kiosk, code_id=cached.id):
        return ShowForm(code=cached, form=form, language=language, values=values, limited=True)
    user = viewer.user
    try:
        submission_create(
            community=_community(cached),
            form_id=form.pk,
            code_id=cached.id,
            data=values,
            language=language,
            submitted_by=user.get_username() if user is not None and user.is_authenticated else "",
        )
    except ValidationFailed as exc:
        errors = {k: str(v) for k, v in exc.fields.items()}
        return ShowForm(code=cached, form=form, language=language, values=values, errors=errors)
    return FormAnswered(code=cached, thanks=translated(form.thanks, language))


# --- metadata for internal apps ---------------------------------------------------------------


def _metadata(cached: CachedCode, api_key: str, params: Mapping[str, str]) -> ScanOutcome:
    """The code and what this key's audience would get; not recorded as a scan."""
    actor = actor_for_api_key(api_key) if api_key else None
    if actor is None or actor.community.pk != cached.community_id:
        return ApiRefused()
    ctx = ScanContext(
        now=clock.now(),
        language=params.get("lang") or cached.default_language,
        params=params,
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
    return ApiAnswer(
        body={
            "code": cached.code,
            "slug": cached.slug or None,
            "title": cached.title,
            "status": cached.status,
            "community": cached.community_slug,
            "answer": answer,
        }
    )
