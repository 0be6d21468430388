from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from buurtkit.people.services import person_anonymise, person_create
from tests.conftest import PASSWORD


def test_anonymising_in_one_community_keeps_a_login_used_in_another(
    system: Any, other_system: Any
) -> None:
    user = get_user_model().objects.create_user(username="shared", password=PASSWORD)
    here = person_create(actor=system, first_name="Jos")
    there = person_create(actor=other_system, first_name="Jos")
    for person in (here, there):
        person.user = user
        person.save(update_fields=["user"])
    person_anonymise(actor=system, person_id=here.pk)
    user.refresh_from_db()
    here.refresh_from_db()
    assert user.is_active and user.check_password(PASSWORD)
    assert here.user_id is None and here.first_name != "Jos"


def test_anonymising_the_only_use_of_a_login_disables_it(system: Any, make_login: Any) -> None:
    user = make_login(system.community, "resident")
    person = user.people.get()
    person_anonymise(actor=system, person_id=person.pk)
    user.refresh_from_db()
    assert not user.is_active
    assert not user.has_usable_password()
