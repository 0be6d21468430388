"""Reads of messaging: the community's mailboxes and the mails they brought in."""

from __future__ import annotations

from django.db.models import QuerySet

from buurtkit.core.actor import Actor
from buurtkit.core.scoping import get_scoped
from buurtkit.messaging.models import InboundMail, Mailbox


def mailboxes(*, actor: Actor) -> QuerySet[Mailbox]:
    """The community's mailboxes (their settings; never a password: it is not stored)."""
    actor.require("community.manage")
    return Mailbox.objects.in_community(actor.community).order_by("name", "pk")


def inbound_mails(*, actor: Actor, mailbox_id: int | None = None) -> QuerySet[InboundMail]:
    """Mails read from the community's mailboxes, newest first."""
    actor.require("community.manage")
    mails = InboundMail.objects.in_community(actor.community)
    if mailbox_id is not None:
        mails = mails.filter(mailbox=get_scoped(Mailbox, actor.community, pk=mailbox_id))
    return mails.order_by("-received_at", "-pk")
