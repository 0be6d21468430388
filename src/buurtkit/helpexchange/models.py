"""The help exchange (vraag en aanbod): requests and offers of help between neighbours,
responses ("I can help"), the deal between the poster and one responder, and moderation.

A post is ``open`` until the poster accepts one response (a :class:`Deal`: ``agreed``), then
``done`` when both sides (or staff) confirm, or ``cancelled``; an open post whose date has
passed becomes ``expired`` (a scheduler job). A reward promised from an organisation's issuing
budget is held in the ledger while the deal is agreed, paid to the helper when it is done and
released when it is cancelled or expires (``ledger.services.holds``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, community_key
from buurtkit.ledger.models import Account, Transfer
from buurtkit.people.models import Organisation, Person


class PostKind(models.TextChoices):
    REQUEST = "request", _("request for help")
    OFFER = "offer", _("offer of help")


class PosterKind(models.TextChoices):
    RESIDENT = "resident", _("resident")
    ORGANISATION = "organisation", _("organisation")
    STUDENT = "student", _("student or intern")


class Category(models.TextChoices):
    ERRANDS = "errands", _("shopping and errands")
    MOVING = "moving", _("carrying and moving")
    PAPERWORK = "paperwork", _("letters and forms")
    DIGITAL = "digital", _("computer and smartphone")
    LANGUAGE = "language", _("language and translation")
    COMPANY = "company", _("company and visits")
    GARDEN = "garden", _("garden and plants")
    REPAIRS = "repairs", _("small repairs")
    CHILDREN = "children", _("children and homework")
    TRANSPORT = "transport", _("a lift or going along")
    OTHER = "other", _("something else")


class PostState(models.TextChoices):
    OPEN = "open", _("open")
    AGREED = "agreed", _("agreed")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")


OPEN_VISIBLE = Q(state=PostState.OPEN, hidden=False)


class Post(CommunityScoped):
    """A request or an offer of help. Title and text are plain text (HTML is removed on the way
    in and escaped on the way out)."""

    # Every index below begins with the community.
    community = community_key(db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=PostKind.choices)
    poster_kind = models.CharField(
        _("posted by"), max_length=15, choices=PosterKind.choices, default=PosterKind.RESIDENT
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    category = models.CharField(_("category"), max_length=15, choices=Category.choices)
    neighbourhood = models.CharField(_("neighbourhood"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("description"), max_length=2000, blank=True)
    when_on = models.DateField(_("on which day"), null=True, blank=True)
    when_note = models.CharField(_("when"), max_length=100, blank=True)
    duration_minutes = models.PositiveIntegerField(_("how long (minutes)"), null=True, blank=True)
    reward = models.BigIntegerField(_("reward"), default=0)
    reward_account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rewarded by"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=PostState.choices, default=PostState.OPEN
    )
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.CharField(_("why hidden"), max_length=200, blank=True)
    reports = models.PositiveIntegerField(_("reports"), default=0)
    expires_at = models.DateTimeField(_("open until"))
    created_at = models.DateTimeField(_("posted at"))
    channel = models.CharField(max_length=20, default="web")
    posted_by_label = models.CharField(max_length=150)
    on_behalf = models.BooleanField(_("posted by staff for the person"), default=False)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="hx_post_idempotent",
            ),
            models.CheckConstraint(condition=Q(reward__gte=0), name="hx_post_reward_not_negative"),
            models.CheckConstraint(
                condition=Q(reward=0) | Q(reward_account__isnull=False),
                name="hx_post_reward_has_issuer",
            ),
        ]
        indexes = [
            # The public list: open, visible posts of a community, newest first, optionally of
            # one category and/or neighbourhood. Partial, so they hold only what is listed.
            models.Index(
                fields=["community", "-created_at", "-id"],
                condition=OPEN_VISIBLE,
                name="hx_post_open_new",
            ),
            models.Index(
                fields=["community", "category", "-created_at", "-id"],
                condition=OPEN_VISIBLE,
                name="hx_post_open_cat",
            ),
            models.Index(
                fields=["community", "neighbourhood", "-created_at", "-id"],
                condition=OPEN_VISIBLE,
                name="hx_post_open_nbh",
            ),
            # Expiry (the scheduler) and the staff lists and overview.
            models.Index(
                fields=["community", "expires_at"],
                condition=Q(state=PostState.OPEN),
                name="hx_post_expiry",
            ),
            models.Index(fields=["community", "state", "created_at"], name="hx_post_state"),
            models.Index(fields=["community", "person"], name="hx_post_person"),
        ]

    def __str__(self) -> str:
        return self.title


class ResponseState(models.TextChoices):
    OPEN = "open", _("waiting")
    ACCEPTED = "accepted", _("accepted")
    NOT_CHOSEN = "not_chosen", _("not chosen")


class Response(CommunityScoped):
    """Someone says "I can help" (to a request) or "I would like this" (to an offer)."""

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="responses")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    message = models.CharField(_("message"), max_length=500, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=ResponseState.choices, default=ResponseState.OPEN
    )
    created_at = models.DateTimeField(_("answered at"))
    channel = models.CharField(max_length=20, default="web")
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "person"], name="hx_response_once"),
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="hx_response_idempotent",
            ),
        ]


class DealState(models.TextChoices):
    AGREED = "agreed", _("agreed")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")


class Deal(CommunityScoped):
    """The poster accepted one response. ``helper`` receives the reward; the other side is the
    poster (a request) or the responder (an offer)."""

    post = models.OneToOneField(Post, on_delete=models.PROTECT, related_name="deal")
    response = models.OneToOneField(Response, on_delete=models.PROTECT, related_name="deal")
    helper = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        _("state"), max_length=10, choices=DealState.choices, default=DealState.AGREED
    )
    reward = models.BigIntegerField(_("reward"), default=0)
    hold = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payout = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    release = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agreed_at = models.DateTimeField(_("agreed at"))
    poster_confirmed_at = models.DateTimeField(null=True, blank=True)
    helper_confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by_staff_label = models.CharField(max_length=150, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(condition=Q(reward__gte=0), name="hx_deal_reward_not_negative"),
            # A reward is paid or released, never both.
            models.CheckConstraint(
                condition=Q(payout__isnull=True) | Q(release__isnull=True),
                name="hx_deal_paid_or_released",
            ),
        ]
        indexes = [models.Index(fields=["community", "state", "agreed_at"], name="hx_deal_state")]


class Report(CommunityScoped):
    """Someone reports a post (spam, not kind, not help). Staff look at the reports."""

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="report_rows")
    reason = models.CharField(_("reason"), max_length=300)
    reported_by_label = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    handled = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")


class Block(CommunityScoped):
    """A person who may not post or respond (moderation). Lifted by staff."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    blocked_by_label = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(lifted_at__isnull=True),
                name="hx_block_one_active",
            )
        ]


class Settings(CommunityScoped):
    """Per community: how long posts stay open and how long they are kept before they are
    anonymised, and the counter's phone number for people who respond by phone."""

    community = models.OneToOneField("core.Community", on_delete=models.PROTECT, related_name="+")
    open_days = models.PositiveSmallIntegerField(_("posts stay open (days)"), default=30)
    retention_days = models.PositiveIntegerField(_("keep posts (days)"), default=365)
    counter_phone = models.CharField(_("the counter's phone number"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("help exchange settings")
        verbose_name_plural = _("help exchange settings")
