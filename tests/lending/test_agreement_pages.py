"""The agreement texts page: every kind and language with its current version, the versions
of one text with a preview, publishing a new version (never an edit; a second click or a
newer version meanwhile publishes nothing); only for `lending.agreements`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict
from buurtkit.core.models import Community
from buurtkit.lending import selectors, services
from buurtkit.lending.models import AgreementText

pytestmark = pytest.mark.django_db
URL = "/rabot/lending/agreements/"


def _texts(community: Community, kind: str = "loan", language: str = "fr") -> list[int]:
    return list(
        AgreementText.objects.filter(community=community, kind=kind, language=language)
        .order_by("version")
        .values_list("version", flat=True)
    )


def test_the_list_shows_every_kind_and_language_with_its_current_version(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    services.agreement_text_publish(
        actor=system, kind="sale", language="nl", title="Koop 2026", body="Nieuwe tekst."
    )
    response = login_client(community, "staff").get(URL)
    assert response.status_code == 200
    rows = {(r["kind"], r["language"]): r for r in response.context["rows"]}
    assert len(rows) == 3 * 3  # gift, loan, sale × nl, fr, en
    assert rows[("sale", "nl")]["current"].version == 2  # the standard text is version 1
    assert rows[("sale", "nl")]["title"] == "Koop 2026"
    assert rows[("gift", "fr")]["current"] is None  # still the standard text
    assert rows[("gift", "fr")]["title"] == "Don d'un appareil"
    assert "Koop 2026" in response.content.decode()


def test_preview_publishes_nothing_then_publish_makes_a_new_version(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "coordinator")
    page = client.get(URL, {"kind": "loan", "language": "fr"})
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["title"] == "Prêt d'un appareil"  # starts from the current text
    assert form.initial["expected_version"] == 0  # nothing published yet
    post = {"title": "Prêt 2027", "body": "Premier paragraphe.\n\nDeuxième.", "expected_version": 0}

    preview = client.post(f"{URL}?kind=loan&language=fr", {**post, "action": "preview"})
    assert preview.status_code == 200
    assert preview.context["preview"]["paragraphs"] == ["Premier paragraphe.", "Deuxième."]
    assert "Deuxième." in preview.content.decode()
    assert _texts(community) == []

    done = client.post(f"{URL}?kind=loan&language=fr", {**post, "action": "publish"})
    assert done.status_code == 302
    assert _texts(community) == [1, 2]  # the standard text became version 1
    current = AgreementText.objects.get(community=community, kind="loan", language="fr", version=2)
    assert (current.title, current.body) == ("Prêt 2027", "Premier paragraphe.\n\nDeuxième.")
    assert selectors.agreement_text_shown(community=community, kind="loan", language="fr")[0] == (
        current.pk
    )
    # The other texts are untouched; the version 1 text is still there, unchanged.
    assert _texts(community, "loan", "nl") == []
    assert AgreementText.objects.get(
        community=community, kind="loan", language="fr", version=1
    ).title == ("Prêt d'un appareil")

    # The versions page marks the current one.
    page = client.get(URL, {"kind": "loan", "language": "fr"})
    assert [v["text"].version for v in page.context["versions"]] == [2, 1]
    assert page.context["form"].initial["expected_version"] == 2


def test_a_second_click_publishes_once_and_keeps_what_was_typed(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "staff")
    post = {"title": "Gift", "body": "Yours now.", "expected_version": 0, "action": "publish"}
    assert client.post(f"{URL}?kind=gift&language=en", post).status_code == 302
    again = client.post(f"{URL}?kind=gift&language=en", post)
    assert again.status_code == 409
    assert _texts(community, "gift", "en") == [1, 2]
    body = again.content.decode()
    with translation.override(again["Content-Language"]):  # the page's language
        expected = gettext(
            "Version %(version)d of this text was published in the meantime. Read it, then "
            "publish your changes again if they are still needed."
        ) % {"version": 2}
    assert escape(expected) in body
    assert again.context["form"]["body"].value() == "Yours now."


def test_a_blank_text_is_refused_with_the_input_kept(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "staff")
    response = client.post(
        f"{URL}?kind=sale&language=nl",
        {"title": "Koop", "body": "   ", "expected_version": 0, "action": "publish"},
    )
    assert response.status_code == 400
    assert response.context["form"]["title"].value() == "Koop"
    assert _texts(community, "sale", "nl") == []


def test_publish_refuses_a_stale_version_in_the_service(system: Actor) -> None:
    services.agreement_text_publish(
        actor=system, kind="gift", language="nl", title="A", body="a", expected_version=0
    )
    with pytest.raises(Conflict):
        services.agreement_text_publish(
            actor=system, kind="gift", language="nl", title="B", body="b", expected_version=1
        )
    assert _texts(system.community, "gift", "nl") == [1, 2]


@pytest.mark.parametrize(
    ("role", "status"),
    [("coordinator", 200), ("staff", 200), ("counter_clerk", 403), ("referrer", 403)],
)
def test_only_who_may_publish_sees_the_page(
    role: str, status: int, community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, role)
    assert client.get(URL, {"kind": "gift", "language": "nl"}).status_code == status
    post = {"title": "X", "body": "Y", "expected_version": 0, "action": "publish"}
    posted = client.post(f"{URL}?kind=gift&language=nl", post).status_code
    assert posted == (302 if status == 200 else 403)
    assert _texts(community, "gift", "nl") == ([1, 2] if status == 200 else [])
