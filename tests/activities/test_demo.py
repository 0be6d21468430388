"""The demo programme has what the issue asks to show: IT cafés over two months, a course in
every category, a full session with a waiting list, past sessions with attendance — and the
public programme shows them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from buurtkit.activities import demo
from buurtkit.activities.models import Evaluation, Registration, Series, Session
from buurtkit.core import clock
from buurtkit.core.models import Community
from buurtkit.people import demo as people_demo
from buurtkit.places import demo as places_demo

pytestmark = pytest.mark.django_db


def test_the_demo_programme(community: Community) -> None:
    people_demo.load(community)
    places_demo.load(community)
    demo.load(community)
    now = clock.now()
    cafes = Session.objects.filter(series__kind="it_cafe")
    span = (
        cafes.order_by("-starts_at").first().starts_at
        - cafes.order_by("starts_at").first().starts_at
    )  # type: ignore[union-attr]
    assert span.days >= 56  # two months and more of IT cafés
    categories = set(Series.objects.filter(kind="course").values_list("category__key", flat=True))
    assert len(categories) == 6
    assert {"repair_cafe", "open_lab", "essential"} <= set(
        Series.objects.values_list("kind", flat=True)
    )
    full = Session.objects.filter(waiting__gt=0).get()
    assert full.seats_taken == full.capacity
    past = Registration.objects.filter(session__ends_at__lt=now)
    assert past.filter(state="attended").exists() and past.filter(state="no_show").exists()
    assert not past.filter(state__in=["registered", "confirmed"]).exists()
    # Every session's counters agree with its registrations.
    for session in Session.objects.all():
        held = session.registrations.filter(
            state__in=["registered", "confirmed", "offered", "attended", "no_show"]
        ).count()
        assert session.seats_taken == held <= session.capacity
    page = Client().get(f"/{community.slug}/activities/").content.decode()
    assert "IT-café: breng je vraag mee" in page
    # Past sessions have evaluations, by each of the three ways; courses their before/after.
    after = Evaluation.objects.filter(moment="after")
    assert {"paper", "sms", "session"} <= set(after.values_list("channel", flat=True))
    assert not after.filter(series__sessions__starts_at__gt=now, series__whole_series=True)
    before = Evaluation.objects.filter(moment="before")
    assert before.exists() and after.exclude(self_assessment={}).exists()
    assert not after.filter(satisfaction__isnull=True).exists()


def test_without_open_places_the_demo_plans_nothing(community: Any) -> None:
    """Sessions happen at places: a community without open places gets no programme."""
    assert demo.load(community) == []
    assert not Session.objects.exists()
