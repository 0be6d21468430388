from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.people.services import person_create, person_give_login
from tests.conftest import PASSWORD


def test_resident_sees_site_in_preferred_language_after_login(community: Any) -> None:
    system = Actor.system(community, label="test")
    person = person_create(actor=system, first_name="Aïcha", preferred_language="fr")
    person_give_login(actor=system, person_id=person.pk, username="aicha", password=PASSWORD)
    client = Client()
    response = client.post("/accounts/login/", {"username": "aicha", "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    page = client.get("/rabot/")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.content.decode()
