"""One community never sees another's calls."""

from __future__ import annotations

import pytest

from buurtkit.core.errors import NotFound
from buurtkit.telephony import selectors
from buurtkit.telephony.models import Call


def test_calls_are_scoped_to_their_community(
    community, other_community, system, other_system, make_call
):
    mine = make_call(community, subject_type="neighbours.pair", subject_id=7)
    theirs = make_call(
        other_community,
        provider_sid="CA" + "e" * 32,
        subject_type="neighbours.pair",
        subject_id=7,
    )
    assert list(selectors.calls(actor=system)) == [mine]
    assert list(selectors.calls(actor=other_system)) == [theirs]
    assert selectors.call_get(actor=system, call_id=mine.pk) == mine
    with pytest.raises(NotFound):
        selectors.call_get(actor=system, call_id=theirs.pk)
    with pytest.raises(NotFound):
        list(selectors.call_events(actor=other_system, call_id=mine.pk))
    assert list(
        selectors.calls_for_subject(actor=system, subject_type="neighbours.pair", subject_id=7)
    ) == [mine]
    assert Call.objects.in_community(other_community).count() == 1


def test_residents_and_volunteers_see_no_calls(community, make_login, make_call):
    from buurtkit.core.errors import PermissionDenied
    from buurtkit.people.selectors import actor_for_user

    make_call(community)
    for role in ("resident", "volunteer"):
        actor = actor_for_user(user=make_login(community, role), community=community)
        with pytest.raises(PermissionDenied):
            selectors.calls(actor=actor)
