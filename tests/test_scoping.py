"""Every domain row belongs to one community, and the scoping helpers never leak across."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps

from buurtkit.core.errors import NotFound
from buurtkit.core.models import Community, CommunityScoped, ScheduledJob
from buurtkit.core.scoping import get_scoped, scoped
from buurtkit.people.models import Person
from buurtkit.qrcodes.models import DailySalt, OrphanScan

# Rows that are not domain data of one community: the communities themselves, scans of codes
# that do not exist (no community to count them in), the shared daily salt of visitor hashes,
# and the state of the install-wide recurring jobs (core.scheduler).
NOT_SCOPED = {Community, OrphanScan, DailySalt, ScheduledJob}


def test_every_buurtkit_model_is_community_scoped() -> None:
    offenders = [
        model._meta.label
        for model in apps.get_models()
        if model.__module__.startswith("buurtkit.")
        and model not in NOT_SCOPED
        and not issubclass(model, CommunityScoped)
    ]
    assert offenders == []


def test_community_column_is_required_everywhere() -> None:
    for model in apps.get_models():
        if issubclass(model, CommunityScoped):
            field = model._meta.get_field("community")
            assert not field.null, model._meta.label


def test_get_scoped_does_not_find_another_communitys_row(
    system: Any, other_system: Any, make_person: Any
) -> None:
    mine = make_person(system)
    theirs = make_person(other_system)
    assert get_scoped(Person, system.community, pk=mine.pk) == mine
    with pytest.raises(NotFound):
        get_scoped(Person, system.community, pk=theirs.pk)
    assert list(scoped(Person, system.community)) == [mine]


def test_scoped_query_refuses_a_missing_community() -> None:
    with pytest.raises(ValueError):
        Person.objects.in_community(Community())
