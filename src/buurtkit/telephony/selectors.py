"""Reads of calls and prices, scoped to the actor's community."""

from __future__ import annotations

import hmac

from django.db.models import Q, QuerySet

from buurtkit.core.actor import Actor
from buurtkit.core.scoping import get_scoped
from buurtkit.telephony import flowdata, links
from buurtkit.telephony.models import Call, CallEvent, FlowVersion, PriceTable, Recording


def calls(*, actor: Actor, purpose: str = "") -> QuerySet[Call]:
    actor.require("telephony.view")
    rows = Call.objects.in_community(actor.community)
    return rows.filter(purpose=purpose) if purpose else rows


def call_get(*, actor: Actor, call_id: int) -> Call:
    actor.require("telephony.view")
    return get_scoped(Call, actor.community, pk=call_id)


def call_events(*, actor: Actor, call_id: int) -> QuerySet[CallEvent]:
    call = call_get(actor=actor, call_id=call_id)
    return CallEvent.objects.in_community(actor.community).filter(call=call)


def calls_for_subject(*, actor: Actor, subject_type: str, subject_id: int) -> QuerySet[Call]:
    """The calls another app placed about one of its rows (``purpose``/``subject``)."""
    actor.require("telephony.view")
    return Call.objects.in_community(actor.community).filter(
        subject_type=subject_type, subject_id=subject_id
    )


def price_tables(*, actor: Actor) -> QuerySet[PriceTable]:
    actor.require("telephony.view")
    return PriceTable.objects.in_community(actor.community).prefetch_related("prices")


def webhook_provider(*, call_id: int) -> str | None:
    """The provider that must have signed a webhook about ``call_id`` (None: unknown call).

    Webhooks carry no community: the call id and the provider's signature identify them.
    """
    return Call.objects.filter(pk=call_id).values_list("provider", flat=True).first()


# --- recordings -----------------------------------------------------------------------------


def recordings(*, actor: Actor, q: str = "", language: str = "") -> QuerySet[Recording]:
    """The community's recorded prompts, by name; ``q`` searches the name."""
    actor.require("telephony.recordings")
    rows = Recording.objects.in_community(actor.community)
    if q.strip():
        rows = rows.filter(Q(name__icontains=q.strip()) | Q(uploaded_by__icontains=q.strip()))
    if language:
        rows = rows.filter(language=language)
    return rows.order_by("name", "language", "id")


def recording_public(*, recording_id: int, token: str) -> Recording | None:
    """The recording behind a public address, or None when the token is not its own."""
    if not hmac.compare_digest(links.recording_token(recording_id), token or ""):
        return None
    return Recording.objects.filter(pk=recording_id).first()


# --- call flows -----------------------------------------------------------------------------


def flow_kinds() -> list[flowdata.FlowKind]:
    """The flows the installed apps offer, in the order they registered."""
    return list(flowdata.FLOW_KINDS.values())


def flow_versions(*, actor: Actor, key: str = "") -> QuerySet[FlowVersion]:
    """Every version of the community's call flows (the defaults are made on first look)."""
    actor.require("telephony.view")
    rows = FlowVersion.objects.in_community(actor.community)
    return rows.filter(key=key) if key else rows


def flow_version_get(*, actor: Actor, version_id: int) -> FlowVersion:
    actor.require("telephony.view")
    return get_scoped(FlowVersion, actor.community, pk=version_id)


def flow_script(*, version: FlowVersion, language: str) -> list[dict[str, object]]:
    """A version as a readable script in ``language``: what is said, the keys, where to."""
    return flowdata.script(version.definition, language)


def recording_url(recording: Recording) -> str:
    """The address (with its token) where a provider fetches a recorded prompt."""
    return links.recording_url(recording)


def recording_path(recording_id: int) -> str:
    """The same address without the site's base, for a page's audio player."""
    return links.recording_path(recording_id)
