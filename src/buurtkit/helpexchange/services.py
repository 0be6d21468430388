"""Every write of the help exchange: keyword-only, permission-checked, atomic, audited.

Who acts: a resident (``actor.person_id``), staff at the counter or on the phone for a resident
(``helpexchange.post_for``, with an act-on-behalf session or a ``person_id``), people of an
organisation for its posts, and moderators (``helpexchange.moderate``). Rewards move only
through ``ledger.services`` (``reward_hold`` when agreed, ``reward_hold_pay`` when done,
``reward_hold_release`` when cancelled or expired), inside the same transaction as the deal's
row, which is locked first: a deal is paid or released once.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.ratelimit import over_limit
from buurtkit.core.scoping import get_scoped
from buurtkit.helpexchange.models import (
    Block,
    Category,
    Deal,
    DealState,
    Post,
    PosterKind,
    PostKind,
    PostState,
    Report,
    Response,
    ResponseState,
    Settings,
)
from buurtkit.helpexchange.selectors import public_changed
from buurtkit.ledger import services as ledger
from buurtkit.messaging.services import notify
from buurtkit.people.models import Person

BRUSSELS = ZoneInfo("Europe/Brussels")

# Spam bursts: posts and responses per person (or organisation) per hour.
POSTS_PER_HOUR = 5
RESPONSES_PER_HOUR = 20
# Reports that hide a post until a moderator looks at it.
REPORTS_TO_HIDE = 3
# An agreed deal nobody confirmed is closed this long after its day (or after it was agreed).
DEAL_EXPIRES_AFTER = timedelta(days=30)
# Both sides are reminded to confirm this long after the day of the help.
REMIND_AFTER = timedelta(days=1)
IDEMPOTENCY_CONFLICT = _("This idempotency key was already used for a different request.")


class TooManyPosts(ServiceError):
    code = "too_many"
    status = 429


def _clean_text(value: Any, *, limit: int) -> str:
    """Plain text: tags removed (the pages escape what is left), blanks trimmed."""
    return strip_tags(str(value or "")).replace("\x00", "").strip()[:limit]


def community_settings(community_id: int) -> Settings:
    found = Settings.objects.filter(community_id=community_id).first()
    return found or Settings(community_id=community_id)


@transaction.atomic
def settings_set(
    *, actor: Actor, open_days: int, retention_days: int, counter_phone: str = ""
) -> Settings:
    """How long posts stay open and are kept, and the counter's phone number."""
    actor.require("helpexchange.moderate")
    errors: dict[str, str] = {}
    if not 1 <= int(open_days) <= 365:
        errors["open_days"] = _("Choose between 1 and 365 days.")
    if not 30 <= int(retention_days) <= 3650:
        errors["retention_days"] = _("Choose between 30 and 3650 days.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    row, _created = Settings.objects.update_or_create(
        community=actor.community,
        defaults={
            "open_days": int(open_days),
            "retention_days": int(retention_days),
            "counter_phone": _clean_text(counter_phone, limit=30),
        },
    )
    audit_record(actor=actor, verb="helpexchange.settings_set", obj=row)
    public_changed(actor.community.pk)  # the counter's number is in the cached list and embed
    return row


# --- who is acting -----------------------------------------------------------------------------


def acting_person(actor: Actor, person_id: int | None = None) -> int | None:
    """The person the actor acts as: a ``person_id`` named by staff, the resident staff act for,
    or the resident themselves."""
    if person_id is not None:
        if person_id != actor.person_id or actor.on_behalf_of_id is not None:
            actor.require("helpexchange.post_for")
        return person_id
    if actor.on_behalf_of_id is not None:
        actor.require("helpexchange.post_for")
        return actor.on_behalf_of_id
    return actor.person_id


def _refuse_blocked(actor: Actor, person_id: int | None) -> None:
    if person_id is None:
        return
    blocked = (
        Block.objects.in_community(actor.community)
        .filter(person_id=person_id, lifted_at__isnull=True)
        .exists()
    )
    if blocked:
        raise PermissionDenied(
            _("This person may not post or respond in the help exchange. Ask the counter why."),
            code="blocked",
        )


def _poster_side(actor: Actor, post: Post) -> bool:
    """Whether the actor speaks for the poster: the person, their staff, the organisation."""
    me = actor.on_behalf_of_id or actor.person_id
    if post.person_id is not None and me == post.person_id:
        return True
    return post.organisation_id is not None and post.organisation_id in actor.organisation_ids


def _staff(actor: Actor) -> bool:
    return actor.has("helpexchange.post_for")


def _party_or_staff(
    actor: Actor, party: bool, message: str, code: str = "permission_denied"
) -> None:
    """A side of the post or deal may; anyone else needs ``helpexchange.post_for`` (staff at
    the counter). The refusal says it plainly, and names the right for API scripts."""
    if party or _staff(actor):
        return
    refused = PermissionDenied(message, code=code)
    refused.permission = "helpexchange.post_for"
    raise refused


def _tell(
    actor: Actor,
    person_id: int | None,
    template: str,
    key: str,
    *,
    fresh: bool = False,
    **context: Any,
) -> None:
    """A notification in the person's language and channel; nobody reachable: nothing sent.
    ``fresh``: the key names a change made once, in this transaction, under the row's lock (a
    deal becoming done), so no earlier message can carry it: ``notify`` skips its look-up and
    savepoints (the unique key still refuses a duplicate)."""
    if person_id is None:
        return
    system = Actor.system(actor.community, label=actor.label)
    with contextlib.suppress(ValidationFailed):
        notify(
            actor=system,
            person_id=person_id,
            template=template,
            context=context,
            idempotency_key=key,
            fresh=fresh,
        )


# --- posts -------------------------------------------------------------------------------------


def _day(value: date | str | None, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        msg = _("Type a date, for example 2026-03-01.")
        raise ValidationFailed(msg, fields={field: msg}) from None


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=BRUSSELS)


@dataclass
class PostInput:
    kind: str
    category: str
    title: str
    text: str
    neighbourhood: str
    when_on: date | None
    when_note: str
    duration_minutes: int | None
    reward: int
    reward_account_id: int | None


def _clean_post(actor: Actor, fields: dict[str, Any]) -> PostInput:
    errors: dict[str, str] = {}
    kind = str(fields.get("kind") or "")
    if kind not in PostKind.values:
        errors["kind"] = _("Choose: do you ask for help or offer help?")
    category = str(fields.get("category") or "")
    if category not in Category.values:
        errors["category"] = _("Choose a category.")
    title = _clean_text(fields.get("title"), limit=120)
    if not title:
        errors["title"] = _("Say in a few words what it is about.")
    text = _clean_text(fields.get("text"), limit=2000)
    when_on = None
    try:
        when_on = _day(fields.get("when_on"), "when_on")
    except ValidationFailed as exc:
        errors.update(exc.fields)
    today = clock.now().astimezone(BRUSSELS).date()
    if when_on is not None and when_on < today:
        errors["when_on"] = _("This day has passed. Choose a day from today on.")
    elif when_on is not None and when_on > today + timedelta(days=366):
        errors["when_on"] = _("Choose a day within the coming year.")
    duration = fields.get("duration_minutes")
    if duration in ("", None):
        duration = None
    else:
        try:
            duration = int(duration)
        except (TypeError, ValueError):
            duration = -1
        if not 5 <= duration <= 24 * 60:
            errors["duration_minutes"] = _("Say how long in minutes: from 5 to 1440.")
    reward = 0
    reward_account_id = fields.get("reward_account_id") or None
    raw_reward = fields.get("reward")
    if raw_reward not in (None, "", 0, "0"):
        try:
            currency = ledger.community_currency(actor)
            reward = (
                ledger.parse_amount(currency, raw_reward, field="reward")
                if isinstance(raw_reward, str)
                else int(raw_reward)
            )
        except (ValidationFailed, NotFound) as exc:
            errors["reward"] = str(exc.fields.get("reward", exc)) if exc.fields else str(exc)
        if reward and reward_account_id is None:
            errors["reward_account_id"] = _("Choose the organisation that gives the reward.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), fields=errors)
    return PostInput(
        kind=kind,
        category=category,
        title=title,
        text=text,
        neighbourhood=_clean_text(fields.get("neighbourhood"), limit=100),
        when_on=when_on,
        when_note=_clean_text(fields.get("when_note"), limit=100),
        duration_minutes=duration,
        reward=reward,
        reward_account_id=int(reward_account_id) if reward_account_id else None,
    )


def post_create(
    *,
    actor: Actor,
    kind: str,
    category: str,
    title: str,
    text: str = "",
    neighbourhood: str = "",
    when_on: date | str | None = None,
    when_note: str = "",
    duration_minutes: int | str | None = None,
    reward: str | int | None = None,
    reward_account_id: int | None = None,
    person_id: int | None = None,
    organisation_id: int | None = None,
    student: bool = False,
    idempotency_key: str = "",
) -> Post:
    """Post a request or an offer: for yourself, for a resident (staff: ``person_id`` or an
    act-on-behalf session) or for an organisation you belong to. A reward is promised from an
    organisation's issuing budget (``ledger.issue`` for that organisation) and held when a deal
    is agreed. ``post.replayed`` marks a retry with the same key."""
    fields = {
        "kind": kind,
        "category": category,
        "title": title,
        "text": text,
        "neighbourhood": neighbourhood,
        "when_on": when_on,
        "when_note": when_note,
        "duration_minutes": duration_minutes,
        "reward": reward,
        "reward_account_id": reward_account_id,
    }
    key = clean_key(idempotency_key, required=False)
    request = fingerprint(
        {**fields, "person": person_id, "organisation": organisation_id, "student": student}
    )
    if key:
        return run_once(
            queryset=Post.objects.in_community(actor.community),
            key=key,
            same=same_fingerprint(request),
            create=lambda: _post_create(
                actor, fields, person_id, organisation_id, student, key, request
            ),
            conflict=IDEMPOTENCY_CONFLICT,
        )
    with transaction.atomic():
        return _post_create(actor, fields, person_id, organisation_id, student, key, request)


def _post_create(
    actor: Actor,
    fields: dict[str, Any],
    person_id: int | None,
    organisation_id: int | None,
    student: bool,
    key: str,
    request: str,
) -> Post:
    clean = _clean_post(actor, fields)
    person: Person | None = None
    if organisation_id is not None:
        if organisation_id not in actor.organisation_ids and not actor.has("helpexchange.post_for"):
            raise PermissionDenied(_("You may post only for an organisation you belong to."))
        from buurtkit.people.models import Organisation

        get_scoped(Organisation, actor.community, pk=organisation_id)
        poster_kind = PosterKind.ORGANISATION
    else:
        who = acting_person(actor, person_id)
        if who is None:
            raise PermissionDenied(
                _("Only residents can post. Staff: act on behalf of the resident first.")
            )
        person = get_scoped(Person, actor.community, pk=who)
        if person.anonymised_at is not None:
            raise NotFound(_("Person not found."))
        _refuse_blocked(actor, person.pk)
        poster_kind = PosterKind.STUDENT if student else PosterKind.RESIDENT
    if clean.reward:
        if clean.kind == PostKind.OFFER and person is None:
            msg = _("An organisation's own offer cannot carry a reward.")
            raise ValidationFailed(msg, fields={"reward": msg})
        ledger.hold_promise_check(
            actor=actor, issuer_account_id=clean.reward_account_id or 0, amount=clean.reward
        )
    who_key = f"p{person.pk}" if person else f"o{organisation_id}"
    # Spam bursts: people posting for themselves (staff at the counter are not limited).
    if not actor.has("helpexchange.post_for") and over_limit(
        "hx-post", f"{actor.community.pk}:{who_key}", limit=POSTS_PER_HOUR, seconds=3600
    ):
        raise TooManyPosts(_("Too many posts in one hour. Try again later."))
    settings = community_settings(actor.community.pk)
    now = clock.now()
    expires = now + timedelta(days=settings.open_days)
    if clean.when_on is not None:
        expires = min(expires, _end_of(clean.when_on))
    post = Post.objects.create(
        community=actor.community,
        kind=clean.kind,
        poster_kind=poster_kind,
        person=person,
        organisation_id=organisation_id,
        category=clean.category,
        neighbourhood=clean.neighbourhood or (person.neighbourhood if person else ""),
        title=clean.title,
        text=clean.text,
        when_on=clean.when_on,
        when_note=clean.when_note,
        duration_minutes=clean.duration_minutes,
        reward=clean.reward,
        reward_account_id=clean.reward_account_id if clean.reward else None,
        expires_at=expires,
        created_at=now,
        channel=actor.channel,
        posted_by_label=actor.label[:150],
        on_behalf=person is not None and person.pk != actor.person_id,
        idempotency_key=key,
        request_hash=request,
    )
    public_changed(actor.community.pk)
    audit_record(
        actor=actor,
        verb="helpexchange.post_created",
        obj=post,
        data={"kind": post.kind, "category": post.category, "reward": post.reward},
    )
    return post


@transaction.atomic
def post_cancel(*, actor: Actor, post_id: int, reason: str = "") -> Post:
    """The poster (or staff) takes a post back. An agreed deal is cancelled with it and its
    held reward released."""
    post = get_scoped(Post, actor.community, for_update=True, pk=post_id)
    _party_or_staff(
        actor,
        _poster_side(actor, post),
        _("Only the person who posted this (or staff) can cancel it."),
    )
    if post.state == PostState.CANCELLED:
        post.replayed = True  # type: ignore[attr-defined]
        return post
    if post.state == PostState.AGREED:
        deal = Deal.objects.in_community(actor.community).get(post=post)
        _close_deal(actor, deal, post, DealState.CANCELLED, reason or _("Cancelled"))
        return post
    if post.state != PostState.OPEN:
        raise Conflict(_("This post is closed already."), code="closed")
    post.state = PostState.CANCELLED
    post.save(update_fields=["state"])
    public_changed(actor.community.pk)
    audit_record(actor=actor, verb="helpexchange.post_cancelled", obj=post)
    return post


# --- responses and deals -----------------------------------------------------------------------


def post_respond(
    *,
    actor: Actor,
    post_id: int,
    message: str = "",
    person_id: int | None = None,
    idempotency_key: str = "",
) -> Response:
    """Say "I can help" (or "I would like this"). Once per person per post: a second time
    returns the first response."""
    key = clean_key(idempotency_key, required=False)
    who = acting_person(actor, person_id)
    request = fingerprint({"post": post_id, "person": who, "message": message})
    if key:
        return run_once(
            queryset=Response.objects.in_community(actor.community),
            key=key,
            same=same_fingerprint(request),
            create=lambda: _respond(actor, post_id, who, message, key, request),
            conflict=IDEMPOTENCY_CONFLICT,
        )
    with transaction.atomic():
        return _respond(actor, post_id, who, message, key, request)


def _respond(
    actor: Actor, post_id: int, who: int | None, message: str, key: str, request: str
) -> Response:
    post = get_scoped(Post, actor.community, for_update=True, pk=post_id)
    if post.hidden:
        raise NotFound(_("Post not found."))
    if who is None:
        raise PermissionDenied(
            _("Only residents can respond. Staff: act on behalf of the resident first.")
        )
    person = get_scoped(Person, actor.community, pk=who)
    if post.person_id == person.pk:
        raise Conflict(_("This is your own post: you cannot respond to it."), code="own_post")
    existing = Response.objects.in_community(actor.community).filter(post=post, person=person)
    first = existing.first()
    if first is not None:
        first.replayed = True  # type: ignore[attr-defined]
        return first
    if post.state != PostState.OPEN:
        raise Conflict(_("This post is no longer open."), code="closed")
    _refuse_blocked(actor, person.pk)
    if not actor.has("helpexchange.post_for") and over_limit(
        "hx-respond", f"{actor.community.pk}:{person.pk}", limit=RESPONSES_PER_HOUR, seconds=3600
    ):
        raise TooManyPosts(_("Too many responses in one hour. Try again later."))
    response = Response.objects.create(
        community=actor.community,
        post=post,
        person=person,
        message=_clean_text(message, limit=500),
        created_at=clock.now(),
        channel=actor.channel,
        idempotency_key=key,
        request_hash=request,
    )
    audit_record(actor=actor, verb="helpexchange.responded", obj=response, data={"post": post.pk})
    _tell(
        actor,
        post.person_id,
        "helpexchange_response",
        f"hx-response-{response.pk}",
        title=post.title,
        name=person.first_name,
    )
    return response


@transaction.atomic
def response_accept(*, actor: Actor, response_id: int) -> Deal:
    """The poster (or staff for them) accepts one response: a deal. A promised reward is held
    from the organisation's budget now; no room left: refused, nothing written. Accepting the
    same response again returns the deal."""
    response = get_scoped(Response, actor.community, pk=response_id)
    post = get_scoped(Post, actor.community, for_update=True, pk=response.post_id)
    _party_or_staff(
        actor,
        _poster_side(actor, post),
        _("Only the person who posted this (or staff) can accept."),
    )
    if response.person_id == post.person_id:
        raise Conflict(_("You cannot accept your own post."), code="own_post")
    existing = Deal.objects.in_community(actor.community).filter(post=post).first()
    if existing is not None:
        if existing.response_id == response.pk:
            existing.replayed = True  # type: ignore[attr-defined]
            return existing
        raise Conflict(_("Someone else was already chosen for this post."), code="closed")
    if post.state != PostState.OPEN:
        raise Conflict(_("This post is no longer open."), code="closed")
    if post.hidden:
        raise Conflict(_("This post is hidden by a moderator."), code="hidden")
    helper_id = response.person_id if post.kind == PostKind.REQUEST else post.person_id
    if helper_id is None:  # an organisation's offer: the responder is helped, nobody rewarded
        helper_id = response.person_id
    now = clock.now()
    hold = None
    if post.reward:
        hold = ledger.reward_hold(
            actor=actor,
            issuer_account_id=post.reward_account_id or 0,
            amount=post.reward,
            ref=f"hx-{post.pk}",
            description=f"Help exchange: {post.title}"[:200],
        )
    deal = Deal.objects.create(
        community=actor.community,
        post=post,
        response=response,
        helper_id=helper_id,
        reward=post.reward,
        hold=hold,
        agreed_at=now,
    )
    Response.objects.in_community(actor.community).filter(post=post).exclude(pk=response.pk).update(
        state=ResponseState.NOT_CHOSEN
    )
    Response.objects.filter(pk=response.pk).update(state=ResponseState.ACCEPTED)
    post.state = PostState.AGREED
    post.save(update_fields=["state"])
    public_changed(actor.community.pk)
    audit_record(
        actor=actor,
        verb="helpexchange.deal_agreed",
        obj=deal,
        data={"post": post.pk, "response": response.pk, "reward": post.reward},
    )
    _tell(
        actor,
        response.person_id,
        "helpexchange_accepted",
        f"hx-accepted-{deal.pk}",
        title=post.title,
    )
    return deal


def _deal_locked(actor: Actor, deal_id: int) -> tuple[Deal, Post]:
    deal = get_scoped(Deal, actor.community, for_update=True, pk=deal_id)
    post = get_scoped(Post, actor.community, for_update=True, pk=deal.post_id)
    return deal, post


def _other_side(deal: Deal, post: Post) -> int | None:
    """The person on the deal who is not the helper (None: an organisation's post)."""
    if post.kind == PostKind.REQUEST:
        return post.person_id
    return deal.response.person_id if deal.helper_id != deal.response.person_id else None


@transaction.atomic
def deal_confirm(*, actor: Actor, deal_id: int) -> Deal:
    """One side confirms the help was given; when both have (or staff confirm), the deal is
    done and the held reward is paid to the helper, exactly once. A second confirmation of a
    done deal is refused with a clear message and pays nothing."""
    deal, post = _deal_locked(actor, deal_id)
    me = actor.on_behalf_of_id or actor.person_id
    helper_side = me is not None and me == deal.helper_id
    responder = deal.response.person_id
    poster_side = _poster_side(actor, post) or (
        post.kind == PostKind.OFFER and me is not None and me == responder
    )
    _party_or_staff(
        actor,
        helper_side or poster_side,
        _("You are not part of this deal, so you cannot confirm it."),
    )
    staff = _staff(actor)
    if deal.state == DealState.DONE:
        raise Conflict(
            _("This help was already confirmed as done; the reward was paid once."),
            code="already_done",
        )
    if deal.state != DealState.AGREED:
        raise Conflict(_("This deal was closed: it cannot be confirmed."), code="closed")
    now = clock.now()
    changed: list[str] = []
    if staff and not (helper_side or poster_side):
        deal.confirmed_by_staff_label = actor.label[:150]
        changed.append("confirmed_by_staff_label")
    else:
        if helper_side and deal.helper_confirmed_at is None:
            deal.helper_confirmed_at = now
            changed.append("helper_confirmed_at")
        if poster_side and not helper_side and deal.poster_confirmed_at is None:
            deal.poster_confirmed_at = now
            changed.append("poster_confirmed_at")
        if not changed:
            raise Conflict(
                _("You confirmed already. We wait for the other person."),
                code="already_confirmed",
            )
    done = bool(deal.confirmed_by_staff_label) or (
        deal.helper_confirmed_at is not None and deal.poster_confirmed_at is not None
    )
    if done:
        if deal.hold_id is not None:
            deal.payout = ledger.reward_hold_pay(
                actor=actor, hold_id=deal.hold_id, person_id=deal.helper_id, ref=f"hx-{post.pk}"
            )
            changed.append("payout")
        deal.state = DealState.DONE
        deal.closed_at = now
        changed += ["state", "closed_at"]
        post.state = PostState.DONE
        post.save(update_fields=["state"])
        public_changed(actor.community.pk)
    deal.save(update_fields=changed)
    audit_record(
        actor=actor,
        verb="helpexchange.deal_done" if done else "helpexchange.deal_confirmed",
        obj=deal,
        data={"reward": deal.reward if done else 0},
    )
    if done:
        for person_id in {deal.helper_id, _other_side(deal, post)}:
            _tell(
                actor,
                person_id,
                "helpexchange_done",
                f"hx-done-{deal.pk}-{person_id}",
                fresh=True,  # done once, now, under the deal's lock
                title=post.title,
                reward=deal.reward if person_id == deal.helper_id else 0,
            )
    return deal


def _close_deal(actor: Actor, deal: Deal, post: Post, state: str, reason: str) -> Deal:
    if deal.hold_id is not None:
        deal.release = ledger.reward_hold_release(
            actor=actor, hold_id=deal.hold_id, ref=f"hx-{post.pk}", reason=reason
        )
    deal.state = state
    deal.closed_at = clock.now()
    deal.save(update_fields=["release", "state", "closed_at"])
    post.state = PostState.CANCELLED if state == DealState.CANCELLED else PostState.EXPIRED
    post.save(update_fields=["state"])
    public_changed(actor.community.pk)
    audit_record(
        actor=actor,
        verb="helpexchange.deal_cancelled"
        if state == DealState.CANCELLED
        else "helpexchange.deal_expired",
        obj=deal,
        data={"released": deal.reward if deal.hold_id else 0},
    )
    return deal


@transaction.atomic
def deal_cancel(*, actor: Actor, deal_id: int, reason: str = "") -> Deal:
    """Either side (or staff) calls an agreed deal off: the held reward goes back to the
    organisation's budget. Cancelling twice is harmless; a done deal cannot be cancelled."""
    deal, post = _deal_locked(actor, deal_id)
    me = actor.on_behalf_of_id or actor.person_id
    party = _poster_side(actor, post) or (
        me is not None and me in (deal.helper_id, deal.response.person_id)
    )
    _party_or_staff(actor, party, _("You are not part of this deal, so you cannot cancel it."))
    if deal.state == DealState.CANCELLED:
        deal.replayed = True  # type: ignore[attr-defined]
        return deal
    if deal.state != DealState.AGREED:
        raise Conflict(_("This deal is closed already."), code="closed")
    return _close_deal(
        actor, deal, post, DealState.CANCELLED, _clean_text(reason, limit=200) or "Cancelled"
    )


# --- moderation --------------------------------------------------------------------------------


@transaction.atomic
def post_report(*, actor: Actor, post_id: int, reason: str) -> Post:
    """Anyone signed in reports a post; after ``REPORTS_TO_HIDE`` it is hidden until a
    moderator looks at it."""
    reason = _clean_text(reason, limit=300)
    if not reason:
        msg = _("Say what is wrong with this post.")
        raise ValidationFailed(msg, fields={"reason": msg})
    post = get_scoped(Post, actor.community, for_update=True, pk=post_id)
    if over_limit(
        "hx-report", f"{actor.community.pk}:{actor.label}", limit=RESPONSES_PER_HOUR, seconds=3600
    ):
        raise TooManyPosts(_("Too many reports in one hour. Try again later."))
    Report.objects.create(
        community=actor.community,
        post=post,
        reason=reason,
        reported_by_label=actor.label[:150],
        created_at=clock.now(),
    )
    post.reports += 1
    fields = ["reports"]
    if post.reports >= REPORTS_TO_HIDE and not post.hidden:
        post.hidden = True
        post.hidden_reason = "reported"
        fields += ["hidden", "hidden_reason"]
    post.save(update_fields=fields)
    public_changed(actor.community.pk)
    audit_record(actor=actor, verb="helpexchange.post_reported", obj=post)
    return post


@transaction.atomic
def post_hide(*, actor: Actor, post_id: int, hidden: bool, reason: str = "") -> Post:
    """A moderator hides a post from every list (or shows it again); its reports are handled."""
    actor.require("helpexchange.moderate")
    post = get_scoped(Post, actor.community, for_update=True, pk=post_id)
    post.hidden = hidden
    post.hidden_reason = _clean_text(reason, limit=200) if hidden else ""
    post.save(update_fields=["hidden", "hidden_reason"])
    public_changed(actor.community.pk)
    Report.objects.in_community(actor.community).filter(post=post).update(handled=True)
    audit_record(
        actor=actor,
        verb="helpexchange.post_hidden" if hidden else "helpexchange.post_shown",
        obj=post,
    )
    return post


@transaction.atomic
def person_block(*, actor: Actor, person_id: int, reason: str) -> Block:
    """A moderator stops a person from posting and responding. Blocking twice: the same block."""
    actor.require("helpexchange.moderate")
    person = get_scoped(Person, actor.community, for_update=True, pk=person_id)
    reason = _clean_text(reason, limit=200)
    if not reason:
        msg = _("Say why (the person can ask the counter).")
        raise ValidationFailed(msg, fields={"reason": msg})
    existing = (
        Block.objects.in_community(actor.community)
        .filter(person=person, lifted_at__isnull=True)
        .first()
    )
    if existing is not None:
        existing.replayed = True  # type: ignore[attr-defined]
        return existing
    block = Block.objects.create(
        community=actor.community,
        person=person,
        reason=reason,
        blocked_by_label=actor.label[:150],
        created_at=clock.now(),
    )
    audit_record(actor=actor, verb="helpexchange.person_blocked", obj=block)
    return block


@transaction.atomic
def person_unblock(*, actor: Actor, person_id: int) -> int:
    """Lift a person's block. Returns how many blocks were lifted (0 or 1)."""
    actor.require("helpexchange.moderate")
    lifted = (
        Block.objects.in_community(actor.community)
        .filter(person_id=person_id, lifted_at__isnull=True)
        .update(lifted_at=clock.now())
    )
    if lifted:
        block = Block.objects.in_community(actor.community).filter(person_id=person_id).last()
        audit_record(actor=actor, verb="helpexchange.person_unblocked", obj=block)
    return lifted


# --- the scheduler: expiry, reminders, retention -----------------------------------------------


@dataclass
class Sweep:
    expired_posts: int = 0
    expired_deals: int = 0
    reminded: int = 0
    anonymised: int = 0


def _community_sweep(community_id: int, now: datetime) -> Sweep:
    from buurtkit.core.models import Community

    community = Community.objects.get(pk=community_id)
    actor = Actor.system(community, label="helpexchange")
    sweep = Sweep()
    for post_id in (
        Post.objects.in_community(community)
        .filter(state=PostState.OPEN, expires_at__lte=now)
        .values_list("pk", flat=True)[:5000]
    ):
        with transaction.atomic():
            post = get_scoped(Post, community, for_update=True, pk=post_id)
            if post.state != PostState.OPEN:
                continue
            post.state = PostState.EXPIRED
            post.save(update_fields=["state"])
            public_changed(community.pk)
            audit_record(actor=actor, verb="helpexchange.post_expired", obj=post)
            sweep.expired_posts += 1
    agreed = Deal.objects.in_community(community).filter(state=DealState.AGREED)
    for deal_id, when_on, agreed_at in agreed.values_list("pk", "post__when_on", "agreed_at")[
        :5000
    ]:
        day = _end_of(when_on) if when_on else agreed_at
        if now - day >= DEAL_EXPIRES_AFTER:
            with transaction.atomic():
                deal, post = _deal_locked(actor, deal_id)
                if deal.state == DealState.AGREED:
                    _close_deal(actor, deal, post, DealState.EXPIRED, "Expired")
                    sweep.expired_deals += 1
        elif now - day >= REMIND_AFTER:
            with transaction.atomic():
                deal, post = _deal_locked(actor, deal_id)
                if deal.state != DealState.AGREED or deal.reminded_at is not None:
                    continue
                deal.reminded_at = now
                deal.save(update_fields=["reminded_at"])
                for person_id in {deal.helper_id, _other_side(deal, post)}:
                    _tell(
                        actor,
                        person_id,
                        "helpexchange_reminder",
                        f"hx-remind-{deal.pk}-{person_id}",
                        title=post.title,
                    )
                sweep.reminded += 1
    settings = community_settings(community.pk)
    cutoff = now - timedelta(days=settings.retention_days)
    sweep.anonymised = posts_anonymise_before(actor=actor, before=cutoff)
    return sweep


def posts_anonymise_before(*, actor: Actor, before: datetime) -> int:
    """Clear what says who posted or answered on closed posts made before ``before``: the
    text, the poster and the responses' messages. Categories, neighbourhoods, states and
    rewards stay, so the figures survive."""
    ids = list(
        Post.objects.in_community(actor.community)
        .filter(
            created_at__lt=before,
            anonymised_at__isnull=True,
            state__in=(PostState.DONE, PostState.CANCELLED, PostState.EXPIRED),
        )
        .values_list("pk", flat=True)[:5000]
    )
    if not ids:
        return 0
    with transaction.atomic():
        Post.objects.in_community(actor.community).filter(pk__in=ids).update(
            title="—", text="", when_note="", person=None, anonymised_at=clock.now()
        )
        Response.objects.in_community(actor.community).filter(post_id__in=ids).update(message="")
        audit_record(
            actor=actor,
            verb="helpexchange.posts_anonymised",
            obj=actor.community,
            data={"posts": len(ids)},
        )
    return len(ids)


def helpexchange_sweep() -> Sweep:
    """The daily job: expire open posts and forgotten deals (releasing their rewards), remind
    both sides of a deal to confirm, anonymise posts past their retention. Safe to run twice."""
    from buurtkit.core.models import Community

    total = Sweep()
    now = clock.now()
    for community in Community.objects.order_by("pk"):
        if not community.has_module("helpexchange"):
            continue
        part = _community_sweep(community.pk, now)
        total.expired_posts += part.expired_posts
        total.expired_deals += part.expired_deals
        total.reminded += part.reminded
        total.anonymised += part.anonymised
    return total
