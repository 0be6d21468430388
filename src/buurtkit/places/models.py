"""Places: digipunten and the other venues where residents get help (a foundation).

A community (a digibank, a city) spans one or more municipalities; every place lies in one,
so every figure other modules count at a place can be split per municipality. A place has
weekly opening hours (some of them drop-in hours with a digibuddy on duty), exceptions for
holidays, what it offers (equipment, internet, accessibility) and a life cycle
planned → equipping → open → closed, where "open" needs its checklist done.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from buurtkit.core.models import CommunityScoped, community_key
from buurtkit.people.models import Organisation, Person


class Municipality(CommunityScoped):
    """A municipality the community works in (a digibank can span 3 to 14 of them)."""

    name = models.CharField(_("name"), max_length=100)
    postcodes = models.JSONField(_("postcodes"), default=list, blank=True)
    population = models.PositiveIntegerField(_("inhabitants"), null=True, blank=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="municipality_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class PlaceKind(models.TextChoices):
    DIGIPUNT = "digipunt", _("digipunt")
    LIBRARY_STORE = "library_store", _("library store")
    LEARNING_CENTRE = "learning_centre", _("open learning centre")
    COMPUTER_ROOM = "computer_room", _("public computer room")
    PARTNER_VENUE = "partner_venue", _("partner venue")
    LENDING_POINT = "lending_point", _("lending point")


class PlaceStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    EQUIPPING = "equipping", _("being equipped")
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class Internet(models.TextChoices):
    NONE = "none", _("no internet")
    WIFI = "wifi", _("wifi for visitors")
    WIRED = "wired", _("wired computers only")
    MOBILE = "mobile", _("mobile hotspot")


class Place(CommunityScoped):
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=PlaceKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=PlaceStatus.choices, default=PlaceStatus.PLANNED
    )
    host = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("host organisation"),
    )
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="places",
        verbose_name=_("municipality"),
    )
    neighbourhood = models.CharField(_("neighbourhood"), max_length=100, blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    #: ``{"nl": "…", "fr": "…"}``: what people can come for, in plain words.
    description = models.JSONField(_("description"), default=dict, blank=True)
    wheelchair = models.BooleanField(_("wheelchair accessible"), default=False)
    hearing_loop = models.BooleanField(_("hearing loop"), default=False)
    accessibility_note = models.CharField(_("accessibility note"), max_length=200, blank=True)
    pcs = models.PositiveSmallIntegerField(_("PCs"), default=0)
    laptops = models.PositiveSmallIntegerField(_("laptops"), default=0)
    tablets = models.PositiveSmallIntegerField(_("tablets"), default=0)
    printer = models.BooleanField(_("printer"), default=False)
    scanner = models.BooleanField(_("scanner"), default=False)
    internet = models.CharField(
        _("internet"), max_length=10, choices=Internet.choices, default=Internet.NONE
    )
    #: The checklist items ticked by hand (``{"equipment_tested": true, …}``); the items that
    #: follow from the data (an address, opening hours…) are worked out, not stored.
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["name"]
        indexes = [models.Index(fields=["community", "status", "name"], name="place_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="place_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class HoursKind(models.TextChoices):
    OPEN = "open", _("open")
    DROP_IN = "drop_in", _("drop-in help")


class OpeningHours(CommunityScoped):
    """One weekly period a place is open (or holds drop-in help, with a digibuddy on duty)."""

    community = community_key(db_index=False)
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("day of the week"))  # 0 = Monday
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))
    kind = models.CharField(_("kind"), max_length=10, choices=HoursKind.choices)
    digibuddy = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("digibuddy on duty"),
    )

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="hours_weekday_range"
            ),
            models.CheckConstraint(condition=Q(opens__lt=F("closes")), name="hours_opens_first"),
        ]


class OpeningException(CommunityScoped):
    """Days a place keeps other hours: closed for a holiday, or open at special times."""

    community = community_key(db_index=False)
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="exceptions")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    opens = models.TimeField(_("opens"), null=True, blank=True)  # empty: closed all day
    closes = models.TimeField(_("closes"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("exception to the opening hours")
        verbose_name_plural = _("exceptions to the opening hours")
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="exception_dates_in_order"
            ),
            models.CheckConstraint(
                condition=(Q(opens__isnull=True) & Q(closes__isnull=True))
                | Q(opens__lt=F("closes")),
                name="exception_hours_in_order",
            ),
        ]
