"""Buurbel: participants, expert-editable matching rules, matching runs and their proposals.

Rules are JsonLogic (ADR 0010): each eligibility condition and each scoring term of a
:class:`RuleVersion` is one JsonLogic expression over the *facts* of a pair (``distance_m``,
``shared_interests``, ...), which Python computes once per pair (``neighbours.facts``).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped


class Activity(models.TextChoices):
    COFFEE = "coffee", _("a coffee together")
    WALK = "walk", _("a walk")
    SMALL_HELP = "small_help", _("small help")


class Wish(models.TextChoices):
    SOCIAL = "social", _("social contact")
    PRACTICAL = "practical", _("practical help")
    BOTH = "both", _("both")


class Participant(CommunityScoped):
    """A resident taking part in Buurbel, with what the matching needs to know.

    The location is kept rounded to about 100 m (privacy); ``neighbourhood`` is a sector code.
    Only participants with a verified phone, a consent and no opt-out are matched.
    """

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    language = models.CharField(_("language"), max_length=5, default="nl")
    call_windows = models.JSONField(
        _("call windows"),
        default=list,
        help_text=_(
            'When we may call: a list of {"days": [1..7], "from": "HH:MM", "to": "HH:MM"}.'
        ),
    )
    interests = models.JSONField(_("interests"), default=list)
    activities = models.JSONField(_("activities"), default=list)
    max_distance_m = models.PositiveIntegerField(_("how far they can go (metres)"), default=1000)
    wish = models.CharField(_("looking for"), max_length=10, choices=Wish.choices, default="social")
    can_offer = models.JSONField(_("can offer"), default=list)
    needs = models.JSONField(_("would like help with"), default=list)
    neighbourhood = models.CharField(_("neighbourhood"), max_length=40, blank=True)
    lat = models.FloatField(_("latitude (rounded)"), null=True, blank=True)
    lon = models.FloatField(_("longitude (rounded)"), null=True, blank=True)
    consent_at = models.DateTimeField(_("consent given at"))
    phone_verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)
    #: Asked (on the inbound line) to be introduced to someone soon.
    wants_intro_at = models.DateTimeField(_("asked to be introduced at"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    #: The partner (OCMW, a social worker's organisation …) who registered this person and
    #: follows them up; its figures count this participant.
    organisation = models.ForeignKey(
        "people.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by partner"),
    )
    #: A vulnerable participant whom staff should check on (the staff's follow-up list).
    needs_follow_up = models.BooleanField(_("needs follow-up"), default=False)
    follow_up_note = models.CharField(_("why follow-up is needed"), max_length=200, blank=True)
    #: A partner's registration (a new resident and this row) is made once per key: a retry
    #: or a double click answers the first one instead of registering the resident twice.
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "person"], name="participant_one_per_person"
            ),
            models.CheckConstraint(
                condition=(Q(lat__isnull=True) & Q(lon__isnull=True))
                | (Q(lat__gte=-90, lat__lte=90) & Q(lon__gte=-180, lon__lte=180)),
                name="participant_location_both_or_none",
            ),
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="participant_idempotency_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["community", "neighbourhood"])]

    def __str__(self) -> str:
        return f"participant {self.pk}"


class Outcome(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    AGREED = "agreed", _("agreed")
    DECLINED = "declined", _("declined")
    NO_ANSWER = "no_answer", _("no answer")
    VOICEMAIL = "voicemail", _("voicemail")
    NO_INPUT = "no_input", _("no key pressed")
    OPTED_OUT = "opted_out", _("opted out")
    CONNECTED = "connected", _("connected")
    APPOINTMENT = "appointment", _("appointment agreed")
    MET = "met", _("met")
    NOT_MET = "not_met", _("did not meet")
    GAVE_UP = "gave_up", _("could not be reached")
    COMPLETED = "completed", _("completed")


class Introduction(CommunityScoped):
    """A pair's history: one row per outcome, never changed. ``a`` has the lower id.

    The rules read it as the facts ``introduced_before`` and ``declined_before``; a declined
    pair is never proposed again.
    """

    participant_a = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    participant_b = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    declined_by = models.ForeignKey(
        Participant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    proposed_pair = models.ForeignKey(
        "ProposedPair", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    match = models.ForeignKey(
        "Match", on_delete=models.PROTECT, null=True, blank=True, related_name="history"
    )
    #: The call this outcome came from, if any.
    call_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150)

    class Meta:
        verbose_name = _("introduction")
        verbose_name_plural = _("introductions")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(participant_a__lt=F("participant_b")), name="introduction_a_lt_b"
            )
        ]
        indexes = [models.Index(fields=["community", "participant_a", "participant_b"])]


class RuleStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("active")
    RETIRED = "retired", _("retired")


class RuleVersion(CommunityScoped):
    """One version of a community's matching rules; immutable once activated.

    ``eligibility``: ``[{"name", "description", "rule"}]``, every rule must hold.
    ``weights``: ``[{"name", "description", "rule", "weight"}]``, score = Σ weight × value.
    ``test_cases``: ``[{"name", "a": profile, "b": profile, "history": {...},
    "eligible": bool, "score_min": n, "score_max": n}]``; all must pass before activation.
    """

    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=RuleStatus.choices, default=RuleStatus.DRAFT
    )
    notes = models.TextField(_("notes"), blank=True)
    eligibility = models.JSONField(_("eligibility conditions"), default=list)
    weights = models.JSONField(_("scoring terms"), default=list)
    test_cases = models.JSONField(_("test cases"), default=list)
    created_by = models.CharField(_("created by"), max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["community", "number"], name="ruleversion_number"),
            models.UniqueConstraint(
                fields=["community"], condition=Q(status="active"), name="ruleversion_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"rules v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Refuse to change an activated version's rules, whatever code tries (a copy is new)."""
        if not self._state.adding and self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            fields = kwargs.get("update_fields")
            lifecycle = {"status", "activated_at", "retired_at"}
            if stored not in (None, RuleStatus.DRAFT) and (
                fields is None or set(fields) - lifecycle
            ):
                raise RuleVersionImmutable(f"rule version {self.number} is {stored}")
        super().save(*args, **kwargs)


class RuleVersionImmutable(Exception):
    """An activated rule version never changes; make a new version (a copy) instead."""


class MatchRun(CommunityScoped):
    """One matching run: who ran it, with which rules, what it found and how long it took."""

    rule_version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="runs")
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    actor_label = models.CharField(max_length=150)
    participants = models.PositiveIntegerField(_("participants considered"), default=0)
    candidate_pairs = models.PositiveIntegerField(_("candidate pairs"), default=0)
    eligible_pairs = models.PositiveIntegerField(_("eligible pairs"), default=0)
    proposed_pairs = models.PositiveIntegerField(_("pairs proposed"), default=0)
    total_score = models.FloatField(_("total score"), default=0)
    stats = models.JSONField(_("figures"), default=dict)

    class Meta:
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")
        ordering = ["-started_at", "-id"]


class ProposedPair(CommunityScoped):
    """A pair the run proposes, with the explanation: which conditions held, which scores."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="pairs")
    participant_a = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    participant_b = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField(_("score"))
    explanation = models.JSONField(_("explanation"), default=dict)

    class Meta:
        verbose_name = _("proposed pair")
        verbose_name_plural = _("proposed pairs")
        ordering = ["-score", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(participant_a__lt=F("participant_b")), name="proposedpair_a_lt_b"
            )
        ]


class IntroState(models.TextChoices):
    """Where a pair's introduction by phone stands (see ``neighbours.introductions``)."""

    PROPOSED = "proposed", _("proposed")
    CALLING_A = "calling_a", _("calling the first neighbour")
    A_AGREED = "a_agreed", _("first neighbour agreed")
    CALLING_B = "calling_b", _("calling the second neighbour")
    CONNECTING = "connecting", _("connecting both")
    CONNECTED = "connected", _("connected by phone")
    APPOINTMENT = "appointment", _("appointment agreed")
    FOLLOW_UP = "follow_up", _("follow-up call")
    COMPLETED = "completed", _("completed")
    DECLINED = "declined", _("declined")
    GAVE_UP = "gave_up", _("could not be reached")
    CANCELLED = "cancelled", _("cancelled")


#: States in which nothing more happens.
INTRO_CLOSED = (IntroState.COMPLETED, IntroState.DECLINED, IntroState.GAVE_UP, IntroState.CANCELLED)


class Match(CommunityScoped):
    """A proposed pair being introduced by phone: the state machine's one mutable row.

    Every step is also appended to :class:`Introduction` (the pair's history) and the audit
    log. ``participant_a`` (the lower id) is called first. ``next_call_at`` says when the
    scheduler places the next call (always inside the callee's call window).
    """

    proposed_pair = models.OneToOneField(
        ProposedPair, on_delete=models.PROTECT, related_name="match"
    )
    participant_a = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    participant_b = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        _("state"), max_length=12, choices=IntroState.choices, default=IntroState.PROPOSED
    )
    #: Calls tried in the current step (reset when the step changes), and over the whole match.
    attempts = models.PositiveSmallIntegerField(_("tries in this step"), default=0)
    attempts_total = models.PositiveSmallIntegerField(_("calls in all"), default=0)
    next_call_at = models.DateTimeField(_("next call"), null=True, blank=True)
    current_call = models.ForeignKey(
        "telephony.Call", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    conference = models.CharField(max_length=100, blank=True)
    meeting_note = models.CharField(_("meeting"), max_length=200, blank=True)
    met = models.BooleanField(_("met"), null=True, blank=True)
    again = models.BooleanField(_("would meet again"), null=True, blank=True)
    last_outcome = models.CharField(_("last outcome"), max_length=20, blank=True)
    created_at = models.DateTimeField()
    state_changed_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    actor_label = models.CharField(max_length=150)

    class Meta:
        verbose_name = _("introduction by phone")
        verbose_name_plural = _("introductions by phone")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(participant_a__lt=F("participant_b")), name="match_a_lt_b"
            )
        ]
        indexes = [models.Index(fields=["state", "next_call_at"])]

    def __str__(self) -> str:
        return f"match {self.pk}: {self.state}"


class VerificationChannel(models.TextChoices):
    SMS = "sms", _("text message")
    CALL = "call", _("phone call")
    IN_PERSON = "in_person", _("in person, by staff")


class PhoneVerification(CommunityScoped):
    """A code sent to a participant's phone (SMS for mobiles, a call for landlines).

    Only a hash of the code is kept; a few wrong tries lock it; it expires.
    """

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="verifications"
    )
    phone = models.CharField(_("phone"), max_length=20)
    channel = models.CharField(_("channel"), max_length=10, choices=VerificationChannel.choices)
    code_hash = models.CharField(max_length=128)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    call = models.ForeignKey(
        "telephony.Call", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("phone verification")
        verbose_name_plural = _("phone verifications")
        ordering = ["-created_at", "-id"]


class Announcement(CommunityScoped):
    """A message the city records or types for a period (and optionally a neighbourhood),
    played in Buurbel calls and on the inbound line.

    ``text`` and ``recording`` are keyed by language; a recording wins over text.
    """

    title = models.CharField(_("title"), max_length=120)
    text = models.JSONField(_("text per language"), default=dict)
    recording = models.JSONField(_("recording per language"), default=dict, blank=True)
    neighbourhood = models.CharField(_("neighbourhood"), max_length=40, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    in_outbound_calls = models.BooleanField(_("play in introduction calls"), default=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="announcement_period"
            )
        ]


class CallSettings(CommunityScoped):
    """How Buurbel calls in one community (one row, made the first time it is changed).

    Answering machine detection is off by default: with it the provider listens up to four
    seconds before the call begins, a silence older people hang up on (the pilot turned it
    off). Without it a voicemail hears the menu, says nothing and the call is tried again.
    """

    machine_detection = models.BooleanField(_("answering machine detection"), default=False)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Buurbel call settings")
        verbose_name_plural = _("Buurbel call settings")
        constraints = [
            models.UniqueConstraint(fields=["community"], name="neighbours_callsettings_one")
        ]
