"""Webhooks: registering external systems and delivering signed POSTs to them (by a worker)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import (
    ValidationFailed,
)
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.core.tasks_util import can_retry_later, enqueue_after_commit, retry_after_commit
from buurtkit.qrcodes.models import (
    Delivery,
    Route,
    Webhook,
)
from buurtkit.qrcodes.services._outbound import (
    Resolver,
    check_webhook_url,
    post_pinned,
    resolve_webhook_url,
    retry_delay,
    sign,
)
from buurtkit.qrcodes.services._rules import _invalid, _owner

WEBHOOK_ATTEMPTS = 5
#: The task that delivers (named by path: :mod:`buurtkit.qrcodes.tasks` imports these services).
DELIVER_WEBHOOK = "buurtkit.qrcodes.tasks.deliver_webhook"


@transaction.atomic
def webhook_create(
    *,
    actor: Actor,
    name: str,
    url: str,
    owner_id: int | None = None,
    resolve: Resolver | None = None,
) -> tuple[Webhook, str]:
    """Register an external system. Returns the webhook and its secret, shown this once."""
    actor.require("qrcodes.admin")
    if not name.strip():
        raise _invalid("name", _("Give the webhook a name."))
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook = Webhook.objects.create(
        community=actor.community,
        name=name.strip()[:100],
        url=check_webhook_url(url, resolve=resolve),
        secret=secret,
        owner=_owner(actor, owner_id),
        created_at=clock.now(),
    )
    audit_record(actor=actor, verb="qrcodes.webhook_created", obj=hook, data={"url": hook.url})
    return hook, secret


@transaction.atomic
def webhook_rotate_secret(*, actor: Actor, webhook_id: int) -> tuple[Webhook, str]:
    actor.require("qrcodes.admin")
    hook = get_scoped(Webhook, actor.community, for_update=True, pk=webhook_id)
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook.secret = secret
    hook.save(update_fields=["secret"])
    audit_record(actor=actor, verb="qrcodes.webhook_secret_rotated", obj=hook)
    return hook, secret


@transaction.atomic
def webhook_set_active(*, actor: Actor, webhook_id: int, active: bool) -> Webhook:
    actor.require("qrcodes.admin")
    hook = get_scoped(Webhook, actor.community, for_update=True, pk=webhook_id)
    hook.active = active
    hook.save(update_fields=["active"])
    audit_record(
        actor=actor,
        verb="qrcodes.webhook_active" if active else "qrcodes.webhook_inactive",
        obj=hook,
    )
    return hook


def _delivery(
    community: Community | int, hook: Webhook, event: str, payload: dict[str, Any]
) -> Delivery:
    community_id = community if isinstance(community, int) else community.pk
    delivery = Delivery.objects.create(
        community_id=community_id,
        webhook=hook,
        event=event,
        payload=payload,
        created_at=clock.now(),
    )
    enqueue_after_commit(DELIVER_WEBHOOK, delivery.pk)
    return delivery


@transaction.atomic
def scan_to_webhook(*, community_id: int, route_id: int, scan: dict[str, Any]) -> None:
    """A scan whose route sends it on: queue the POST (done by a worker, never by the scan)."""
    route = (
        Route.objects.in_community(community_id).select_related("code").filter(pk=route_id).first()
    )
    if route is None or route.action != "webhook":
        return
    hook = (
        Webhook.objects.in_community(community_id)
        .filter(pk=route.params.get("webhook"), active=True)
        .first()
    )
    if hook is None:
        return
    _delivery(
        community_id, hook, "scan", {"code": route.code.code, "route": route.position + 1, **scan}
    )


def delivery_attempt(*, delivery_id: int, resolve: Resolver | None = None) -> Delivery:
    """POST one delivery. On failure, try again later (up to 5 times, waiting longer each time).

    The host name is looked up once and checked; the POST goes to that checked address
    (``resolve``: tests pass their own look-up)."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update().select_related("webhook").get(pk=delivery_id)
        )
        if delivery.status != Delivery.Status.PENDING:
            return delivery
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
    hook = delivery.webhook
    body = json.dumps(
        {"id": delivery.pk, "event": delivery.event, "data": delivery.payload},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(clock.now().timestamp()))
    status, error = None, ""
    try:
        target = resolve_webhook_url(hook.url, resolve=resolve)
        status = post_pinned(
            target,
            body,
            {
                "Content-Type": "application/json",
                "User-Agent": "buurtkit-webhook/1",
                "X-Buurtkit-Event": delivery.event,
                "X-Buurtkit-Delivery": str(delivery.pk),
                "X-Buurtkit-Timestamp": timestamp,
                "X-Buurtkit-Signature": sign(hook.secret, timestamp, body),
            },
        )
        if not 200 <= status < 300:
            error = f"HTTP {status}"  # redirects are not followed: they count as failures
    except ValidationFailed as exc:
        error = str(exc.detail)
    except Exception as exc:
        error = (str(exc) or exc.__class__.__name__)[:300]
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        delivery.response_status = status
        delivery.last_error = error[:300]
        if status is not None and 200 <= status < 300:
            delivery.status = Delivery.Status.DELIVERED
            delivery.delivered_at = clock.now()
            delivery.next_attempt_at = None
        elif delivery.attempts >= WEBHOOK_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            delay = retry_delay(delivery.attempts)
            delivery.next_attempt_at = clock.now() + delay
            if can_retry_later(DELIVER_WEBHOOK):
                retry_after_commit(DELIVER_WEBHOOK, delay, delivery.pk)
        delivery.save()
    return delivery
