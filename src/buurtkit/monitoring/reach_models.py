"""Monitoring's reach and survey data (issue 15): consented profiles, the community's
population figures per target group, and before/after surveys.

Kept apart from ``models.py`` (plans and the roll-up) and imported from there, so Django finds
them. A profile holds no name: age band, postcode and target groups of a person who agreed
to be counted per target group (``ConsentKind.PROFILE_STATISTICS``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, community_key
from buurtkit.people.models import Person


class AgeBand(models.TextChoices):
    UNDER_18 = "u18", _("under 18")
    A18_29 = "18_29", _("18 to 29")
    A30_49 = "30_49", _("30 to 49")
    A50_64 = "50_64", _("50 to 64")
    A65_74 = "65_74", _("65 to 74")
    A75_PLUS = "75p", _("75 and older")


#: The age bands that make someone "65+".
SENIOR_BANDS = (AgeBand.A65_74, AgeBand.A75_PLUS)


class JobSeeking(models.TextChoices):
    SHORT = "lt1", _("job seeker for less than a year")
    MEDIUM = "1_2", _("job seeker for one to two years")
    LONG = "gt2", _("job seeker for more than two years")


class TargetGroup(models.TextChoices):
    """The seed's target groups (Digibank Kortrijk, "Bereik van de doelgroep")."""

    SENIORS = "seniors", _("65 and older")
    LOW_LITERACY = "low_literacy", _("low literacy")
    LOW_SCHOOLING = "low_schooling", _("low schooling")
    JOB_SEEKER_SHORT = "job_seeker_lt1", _("job seekers, less than a year")
    JOB_SEEKER_MEDIUM = "job_seeker_1_2", _("job seekers, one to two years")
    JOB_SEEKER_LONG = "job_seeker_gt2", _("job seekers, more than two years")
    INACTIVE = "inactive", _("inactive (not working, not seeking work)")
    MIGRATION = "migration", _("migration background")
    SECOND_LANGUAGE = "second_language", _("Dutch as a second language")
    LOW_INCOME = "low_income", _("low income")
    LIVING_ALONE = "living_alone", _("living alone")


class Profile(CommunityScoped):
    """A person's minimal profile for the reach figures. Only stored while the person has
    given the consent "may be counted per target group"; withdrawing it through monitoring
    removes the profile, and a profile whose person withdrew it elsewhere is not counted.
    Anonymising the person keeps the profile (no name in it): they stay in the counts."""

    community = community_key(db_index=False)
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="+")
    age_band = models.CharField(_("age"), max_length=5, choices=AgeBand.choices, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    low_literacy = models.BooleanField(_("low literacy"), default=False)
    low_schooling = models.BooleanField(_("low schooling"), default=False)
    job_seeking = models.CharField(
        _("job seeker"), max_length=3, choices=JobSeeking.choices, blank=True
    )
    inactive = models.BooleanField(_("inactive"), default=False)
    migration = models.BooleanField(_("migration background"), default=False)
    second_language = models.BooleanField(_("Dutch as a second language"), default=False)
    low_income = models.BooleanField(_("low income"), default=False)
    living_alone = models.BooleanField(_("living alone"), default=False)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("profile for statistics")
        verbose_name_plural = _("profiles for statistics")
        indexes = [models.Index(fields=["community", "person"], name="monitoring_profile_idx")]


class GroupFigure(CommunityScoped):
    """How many residents of the community belong to a target group, and the share of them
    the community wants to reach (the seed: at least 10 % per group)."""

    community = community_key(db_index=False)
    group = models.CharField(_("target group"), max_length=20, choices=TargetGroup.choices)
    population = models.PositiveIntegerField(_("residents in this group"), null=True, blank=True)
    ambition_percent = models.PositiveSmallIntegerField(_("ambition (%)"), default=10)

    class Meta:
        verbose_name = _("target group figure")
        verbose_name_plural = _("target group figures")
        constraints = [
            models.UniqueConstraint(fields=["community", "group"], name="monitoring_group_once"),
            models.CheckConstraint(
                condition=Q(ambition_percent__lte=100), name="monitoring_group_ambition"
            ),
        ]


# --- surveys ----------------------------------------------------------------------------------


class Survey(CommunityScoped):
    """A before/after self-assessment defined once: questions in each language on one scale."""

    community = community_key(db_index=False)
    key = models.SlugField(_("short name"), max_length=40)
    title = models.JSONField(_("title"), default=dict)  # {"nl": …, "en": …, "fr": …}
    intro = models.JSONField(_("introduction"), default=dict, blank=True)
    scale_min = models.PositiveSmallIntegerField(default=1)
    scale_max = models.PositiveSmallIntegerField(default=4)
    #: {"1": {"nl": "Helemaal niet", …}, …}: the words for each point of the scale.
    scale_labels = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="monitoring_survey_key"),
            models.CheckConstraint(
                condition=Q(scale_max__gt=models.F("scale_min")), name="monitoring_survey_scale"
            ),
        ]


class SurveyQuestion(CommunityScoped):
    community = community_key(db_index=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=1)
    key = models.SlugField(max_length=40)
    text = models.JSONField(default=dict)  # {"nl": …, "en": …, "fr": …}

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="monitoring_question_key")
        ]


class SurveyPhase(models.TextChoices):
    BEFORE = "before", _("before")
    AFTER = "after", _("after")


class SurveyChannel(models.TextChoices):
    PAPER = "paper", _("on paper (typed in by staff)")
    SMS = "sms", _("by text message link")
    KIOSK = "kiosk", _("on the tablet")


class SurveyResponse(CommunityScoped):
    """One filled-in survey, before or after. Linked to a person, or anonymous with a pairing
    code written on the paper form (the same code before and after pairs the two)."""

    community = community_key(db_index=False)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    phase = models.CharField(_("when"), max_length=6, choices=SurveyPhase.choices)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pairing_code = models.CharField(_("pairing code"), max_length=20, blank=True)
    channel = models.CharField(_("how"), max_length=6, choices=SurveyChannel.choices)
    answered_at = models.DateTimeField()
    entered_by_label = models.CharField(max_length=150, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["answered_at", "pk"]
        indexes = [
            models.Index(fields=["community", "survey", "phase"], name="monitoring_response_idx")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="monitoring_response_idempotency",
            ),
        ]


class SurveyAnswer(CommunityScoped):
    community = community_key(db_index=False)
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="monitoring_answer_once")
        ]


class SurveyLink(CommunityScoped):
    """A survey sent to a person by text message: a secret link (stored as its hash) that
    works once and until it expires, without a login."""

    community = community_key(db_index=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    phase = models.CharField(max_length=6, choices=SurveyPhase.choices)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    response = models.ForeignKey(
        SurveyResponse, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("survey link")
        verbose_name_plural = _("survey links")
