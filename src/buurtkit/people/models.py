from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, slug_validator
from buurtkit.core.permissions import ROLE_CHOICES


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("mobile")
    LANDLINE = "landline", _("landline")
    OTHER = "other", _("other")


class Person(CommunityScoped):
    """A resident or contact. Many have no login, no e-mail and no smartphone."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("login"),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=settings.LANGUAGES, default="nl"
    )
    phone = models.CharField(_("phone number"), max_length=20, blank=True, db_index=True)
    phone_kind = models.CharField(
        _("kind of phone"), max_length=10, choices=PhoneKind.choices, blank=True
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    neighbourhood = models.CharField(_("neighbourhood"), max_length=100, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    has_smartphone = models.BooleanField(_("has a smartphone"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "user"],
                condition=Q(user__isnull=False),
                name="person_one_per_login",
            ),
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True)
                | Q(birth_year__gte=1900, birth_year__lte=2100),
                name="person_birth_year_range",
            ),
        ]
        indexes = [models.Index(fields=["community", "last_name", "first_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ConsentKind(models.TextChoices):
    DATA_PROCESSING = "data_processing", _("store my data to help me")
    CONTACT_PHONE = "contact_phone", _("may be phoned")
    CONTACT_SMS = "contact_sms", _("may receive text messages")
    CONTACT_EMAIL = "contact_email", _("may receive e-mails")
    PHOTOS = "photos", _("may appear in photos")
    #: A minimal profile (age band, postcode, target groups) for the reach figures (monitoring).
    PROFILE_STATISTICS = "profile_statistics", _("may be counted per target group (statistics)")


class Consent(CommunityScoped):
    """A consent given or withdrawn, with its time. Append-only: the newest row per kind counts."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("consent"), max_length=30, choices=ConsentKind.choices)
    granted = models.BooleanField(_("given"))
    at = models.DateTimeField(_("time"))
    recorded_by = models.CharField(_("recorded by"), max_length=150)
    channel = models.CharField(_("channel"), max_length=20, default="web")

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-at", "-id"]


class OrganisationKind(models.TextChoices):
    SOCIAL_WELFARE = "social_welfare", _("social welfare office (OCMW)")
    LIBRARY = "library", _("library")
    SCHOOL = "school", _("school")
    MERCHANT = "merchant", _("shop or merchant")
    ASSOCIATION = "association", _("association")
    REPAIR_PARTNER = "repair_partner", _("repair partner")
    TRAINING_PARTNER = "training_partner", _("training partner")
    CITY_DEPARTMENT = "city_department", _("city department")


class Organisation(CommunityScoped):
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("short name"), max_length=50, validators=[slug_validator])
    kind = models.CharField(_("kind"), max_length=30, choices=OrganisationKind.choices)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "slug"], name="organisation_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(CommunityScoped):
    """A login's roles in a community, optionally within one organisation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    roles = models.JSONField(_("roles"), default=list)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    ROLE_CHOICES = ROLE_CHOICES

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "user"],
                condition=Q(organisation__isnull=True),
                name="membership_unique_without_org",
            ),
            models.UniqueConstraint(
                fields=["community", "user", "organisation"],
                condition=Q(organisation__isnull=False),
                name="membership_unique_with_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {', '.join(self.roles)}"


class InvitationKind(models.TextChoices):
    USERNAME = "username", _("user name")
    EMAIL = "email", _("e-mail address")


class Invitation(CommunityScoped):
    """Roles offered to a login; the invited person accepts them (issue 18, item 9).

    An invitation is made, and answered, the same way whether or not a login with the name
    exists, so inviting tells nothing about other communities' logins. A user-name invitation
    is for the login of that name, if there is one (it sees it on its invitations page); an
    e-mail invitation is sent as a link with a token, and whoever signs in and opens the link
    accepts it. Only the token's hash is stored.
    """

    kind = models.CharField(_("invited by"), max_length=10, choices=InvitationKind.choices)
    invited_as = models.CharField(_("user name or e-mail address"), max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    roles = models.JSONField(_("roles"), default=list)
    created_at = models.DateTimeField(_("invited at"))
    expires_at = models.DateTimeField(_("valid until"))
    created_by_label = models.CharField(max_length=150)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["token_hash"]), models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.invited_as}: {', '.join(self.roles)}"


class ApiKey(CommunityScoped):
    """A bearer key for scripts and integrators. Only a hash is stored; the key is shown once."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    roles = models.JSONField(_("roles"), default=list)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="api_keys"
    )
    created_by_label = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
