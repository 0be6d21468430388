from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped


class Channel(models.TextChoices):
    SMS = "sms", _("text message")
    EMAIL = "email", _("e-mail")


class Status(models.TextChoices):
    QUEUED = "queued", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Message(CommunityScoped):
    """One notification to one person, rendered in their language when it was created."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=254)
    language = models.CharField(max_length=5)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    # E-mail threading: our Message-ID (set when the message is made or sent, so a reply's
    # In-Reply-To can be matched), the mail it answers and the thread it belongs to.
    email_message_id = models.CharField(max_length=255, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    reply_to = models.CharField(max_length=254, blank=True)
    idempotency_key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"], name="message_idempotent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}: {self.status}"


# --- inbound e-mail --------------------------------------------------------------------------


class Security(models.TextChoices):
    SSL = "ssl", _("TLS from the start (IMAPS, usually port 993)")
    STARTTLS = "starttls", _("STARTTLS (usually port 143)")
    NONE = "none", _("no encryption (only on this machine)")


class Mailbox(CommunityScoped):
    """An IMAP mailbox a community reads mail from (the helpdesk address).

    The password is never stored: ``password_env`` names an environment variable of the
    worker (``BUURTKIT_MAIL_…``) that holds it. ``uidvalidity`` and ``last_uid`` are the
    reader's position: every mail up to ``last_uid`` is stored (docs/mail.md).
    """

    name = models.CharField(_("name"), max_length=100)
    purpose = models.CharField(_("purpose"), max_length=40)
    address = models.EmailField(_("e-mail address"), blank=True)
    host = models.CharField(_("server"), max_length=253)
    port = models.PositiveIntegerField(_("port"))
    security = models.CharField(
        _("encryption"), max_length=10, choices=Security.choices, default=Security.SSL
    )
    username = models.CharField(_("user name"), max_length=254)
    password_env = models.CharField(_("environment variable with the password"), max_length=100)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    active = models.BooleanField(_("active"), default=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="mailbox_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.username}@{self.host})"


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("received, not handled yet")
    HANDLED = "handled", _("handled")
    FAILED = "failed", _("could not be handled")
    DUPLICATE = "duplicate", _("already received")


class InboundMail(CommunityScoped):
    """One mail read from a mailbox, stored once (unique on mailbox + UIDVALIDITY + UID).

    Stored first, handed to the mailbox's handler after that commit (``status``
    received → handled, in the handler's own transaction), so a worker killed half-way
    loses nothing and handles nothing twice.
    """

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="mails")
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message_id = models.CharField(max_length=255, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    from_address = models.CharField(max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    to = models.TextField(blank=True)
    subject = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    raw_size = models.PositiveIntegerField(default=0)
    raw_headers = models.TextField(blank=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)  # sanitised (nh3): safe to show
    notes = models.TextField(blank=True)  # what was refused, cut or repaired
    status = models.CharField(
        max_length=10, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    handle_attempts = models.PositiveSmallIntegerField(default=0)
    handled_at = models.DateTimeField(null=True, blank=True)
    handler_error = models.TextField(blank=True)
    outcome = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("incoming e-mail")
        verbose_name_plural = _("incoming e-mails")
        ordering = ["uid", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"], name="inbound_mail_once"
            )
        ]
        indexes = [
            models.Index(fields=["mailbox", "message_id"], name="inbound_mail_msgid"),
            models.Index(fields=["mailbox", "status"], name="inbound_mail_status"),
        ]

    def __str__(self) -> str:
        return f"mail {self.uid} of mailbox {self.mailbox_id}: {self.status}"


class InboundAttachment(CommunityScoped):
    """A file that came with a mail, kept under ``BUURTKIT_DATA_DIR/mail/`` (never served as
    is). ``refused`` says why it was not kept (too large, too many); then ``path`` is empty."""

    mail = models.ForeignKey(InboundMail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=300, blank=True)  # relative to MAIL_DIR
    refused = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename or self.sha256
