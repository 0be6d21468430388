"""Roles are given by invitation, and inviting reveals nothing about login names (issue 18,
item 9).

``POST /api/v1/memberships`` used to answer 201 for any existing login name and 422 for
an unknown one, so a coordinator of one community could probe another's logins. Now it
makes an invitation either way, answers the same (status, body, queries), and the invited
login accepts: through ``POST /api/v1/invitations/accept``, the page
``/accounts/invitations/``, or the link of an e-mail invitation.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound
from buurtkit.messaging.models import Message
from buurtkit.people import services
from buurtkit.people.models import Invitation, Membership
from tests.conftest import PASSWORD

JSON = "application/json"
User = get_user_model()


def _invite(client: Client, **body: Any) -> Any:
    return client.post(
        "/api/v1/memberships", json.dumps({"roles": ["volunteer"], **body}), content_type=JSON
    )


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    """The answer without what differs by construction (the id, the name typed, times)."""
    return {
        k: v for k, v in body.items() if k not in {"id", "invited_as", "created_at", "expires_at"}
    }


def test_an_existing_and_an_unknown_name_get_the_same_answer(
    community: Any, other_community: Any, api: Any, make_login: Any
) -> None:
    # A login that exists only in the other community: the one a prober would look for.
    elsewhere = make_login(other_community, "staff", username="known-elsewhere")
    client = api(community, ["coordinator"])
    # A first call warms the key's cache and marks it used (once a minute): not name-dependent.
    assert _invite(client, username="warm-up").status_code == 202
    answers, queries = [], []
    for name in (elsewhere.username, "nobody-has-this-name", "KNOWN-ELSEWHERE"):
        with CaptureQueriesContext(connection) as captured:
            response = _invite(client, username=name)
        answers.append(response)
        queries.append(len(captured.captured_queries))
    assert {r.status_code for r in answers} == {202}
    bodies = [r.json() for r in answers]
    assert {json.dumps(_shape(b), sort_keys=True) for b in bodies} == {
        json.dumps(
            {
                "kind": "username",
                "organisation_id": None,
                "roles": ["volunteer"],
                "accepted": False,
            },
            sort_keys=True,
        )
    }
    assert [set(b) for b in bodies] == [set(bodies[0])] * 3
    assert bodies[0]["invited_as"] == elsewhere.username
    # The same work whatever the name: no timing oracle in the number of queries.
    assert len(set(queries)) == 1, queries
    # Nothing was given: the invited login decides.
    assert not Membership.objects.filter(community=community).exists()
    # The coordinator's list shows what was typed, never whether a login exists.
    listed = client.get("/api/v1/invitations").json()["items"]
    assert len(listed) == 4
    assert {json.dumps(_shape(i), sort_keys=True) for i in listed} == {
        json.dumps(_shape(bodies[0]), sort_keys=True)
    }


def test_the_staff_page_says_the_same_for_every_name(
    community: Any, other_community: Any, login_client: Any, make_login: Any
) -> None:
    elsewhere = make_login(other_community, "staff", username="page-known")
    browser = login_client(community, "coordinator")
    pages = []
    for name in (elsewhere.username, "page-unknown"):
        response = browser.post(
            f"/{community.slug}/memberships/new/",
            {"username": name, "roles": ["volunteer"]},
            follow=True,
        )
        assert response.status_code == 200
        text = response.content.decode()
        pages.append(re.sub(r"csrfmiddlewaretoken\" value=\"[^\"]+\"", "", text))
    assert pages[0] == pages[1]
    assert Invitation.objects.filter(community=community).count() == 2


def test_the_invited_login_accepts_through_the_api(
    community: Any, other_community: Any, api: Any, make_login: Any
) -> None:
    invited = make_login(other_community, "staff", username="helper-b")
    other = make_login(other_community, "staff", username="someone-else")
    body = _invite(api(community, ["coordinator"]), username="HELPER-B").json()

    anonymous = Client()
    assert anonymous.get("/api/v1/invitations/mine").status_code == 401
    assert anonymous.post("/api/v1/invitations/accept", "{}", content_type=JSON).status_code == 401

    stranger = Client()
    stranger.force_login(other)
    assert stranger.get("/api/v1/invitations/mine").json() == []
    refused = stranger.post(
        "/api/v1/invitations/accept",
        json.dumps({"invitation_id": body["id"]}),
        content_type=JSON,
    )
    assert refused.status_code == 404

    browser = Client()
    browser.force_login(invited)
    [mine] = browser.get("/api/v1/invitations/mine").json()
    assert (mine["id"], mine["community"], mine["roles"]) == (body["id"], "rabot", ["volunteer"])
    accepted = browser.post(
        "/api/v1/invitations/accept", json.dumps({"invitation_id": body["id"]}), content_type=JSON
    )
    assert accepted.status_code == 201, accepted.content
    assert accepted.json() == {
        "community": "rabot",
        "organisation_id": None,
        "roles": ["volunteer"],
    }
    assert Membership.objects.get(community=community, user=invited).roles == ["volunteer"]
    again = browser.post(
        "/api/v1/invitations/accept", json.dumps({"invitation_id": body["id"]}), content_type=JSON
    )
    assert again.status_code == 404
    assert browser.get("/api/v1/invitations/mine").json() == []
    # The coordinator sees it accepted.
    [row] = api(community, ["coordinator"]).get("/api/v1/invitations").json()["items"]
    assert row["accepted"] is True


def test_an_email_invitation_is_accepted_through_its_link(
    community: Any, other_community: Any, make_login: Any, system: Actor
) -> None:
    invitation = services.membership_invite(
        actor=system, email="new.volunteer@example.org", roles=["volunteer"]
    )
    message = Message.objects.get(community=community, to="new.volunteer@example.org")
    assert message.channel == "email" and message.person_id is None
    found = re.search(r"/accounts/invitations/([\w-]+)/", message.body)
    assert found, message.body
    link = found.group(0)
    assert found.group(1) not in invitation.token_hash  # only the hash is stored

    anonymous = Client().get(link)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    login = make_login(other_community, "staff", username="mail-reader")
    browser = Client()
    browser.force_login(login)
    shown = browser.get(link, HTTP_ACCEPT_LANGUAGE="en")
    assert shown.status_code == 200 and "Rabot" in shown.content.decode()
    assert not Membership.objects.filter(community=community, user=login).exists()  # GET: nothing
    done = browser.post(link)
    assert done.status_code == 302 and done["Location"] == f"/{community.slug}/"
    assert Membership.objects.get(community=community, user=login).roles == ["volunteer"]
    assert browser.get(link).status_code == 404  # used
    assert Client().get("/accounts/invitations/not-a-token/").status_code == 302


def test_the_invitations_page_lists_and_accepts(
    community: Any, other_community: Any, make_login: Any, system: Actor
) -> None:
    login = User.objects.create_user(username="page-helper", password=PASSWORD)  # no place yet
    invitation = services.membership_invite(actor=system, username="page-helper", roles=["staff"])
    browser = Client()
    browser.force_login(login)
    # The start page of a login with no neighbourhood here points at its invitation.
    home = browser.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You have an invitation to a role." in home and "/accounts/invitations/" in home
    page = browser.get("/accounts/invitations/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Rabot" in page and f'value="{invitation.pk}"' in page
    response = browser.post("/accounts/invitations/", {"invitation": invitation.pk})
    assert response.status_code == 302
    assert Membership.objects.get(community=community, user=login).roles == ["staff"]
    page = browser.get("/accounts/invitations/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You have no open invitations." in page


def test_expired_used_and_duplicate_invitations_give_nothing(
    community: Any, make_login: Any, system: Actor
) -> None:
    member = make_login(community, "staff", username="already-here")
    invitation = services.membership_invite(
        actor=system, username="already-here", roles=["volunteer"]
    )
    with pytest.raises(Conflict):
        services.invitation_accept(user=member, invitation_id=invitation.pk)
    assert Membership.objects.get(community=community, user=member).roles == ["staff"]

    User.objects.create_user(username="late", password=PASSWORD)
    late = User.objects.get(username="late")
    with clock.frozen(clock.now() - dt.timedelta(days=15)):
        old = services.membership_invite(actor=system, username="late", roles=["volunteer"])
    with pytest.raises(NotFound):
        services.invitation_accept(user=late, invitation_id=old.pk)
    assert not Membership.objects.filter(user=late).exists()
