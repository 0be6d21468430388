"""Announcements (content distribution): checks on writing them, which ones a call plays (period,
neighbourhood, outbound, language fallback, at most three), the staff pages and isolation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from buurtkit.audit.models import AuditEvent
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.neighbours import selectors, services
from buurtkit.neighbours.models import Announcement
from buurtkit.neighbours.selectors import Prompt
from buurtkit.telephony import links
from buurtkit.telephony import services as telephony_services
from buurtkit.telephony.models import Recording
from tests.telephony.audio import wav_bytes

MON = dt.date(2026, 3, 2)


def announce(actor: Actor, **values: Any) -> Announcement:
    data: dict[str, Any] = {
        "title": "Straatfeest",
        "text": {"nl": "Zaterdag is er straatfeest."},
        "starts_on": MON,
        "ends_on": MON + dt.timedelta(days=6),
    }
    data.update(values)
    return services.announcement_create(actor=actor, **data)


def record(actor: Actor, language: str = "nl", name: str = "Opname") -> Recording:
    upload = SimpleUploadedFile("a.wav", wav_bytes(), content_type="audio/wav")
    return telephony_services.recording_upload(
        actor=actor, name=name, language=language, upload=upload
    )


def current(community: Community, **values: Any) -> list[Prompt]:
    args: dict[str, Any] = {
        "community_id": community.pk,
        "neighbourhood": "rabot",
        "on": MON,
        "outbound": False,
        "language": "nl",
    }
    args.update(values)
    return selectors.announcements_current(**args)


# --- writing ---------------------------------------------------------------------------------


def test_an_announcement_is_saved_cleaned_and_audited(system: Actor) -> None:
    a = announce(
        system,
        title="  Straatfeest  zaterdag ",
        text={"nl": " Zaterdag\nis er   straatfeest. ", "fr": "", "en": None},
        neighbourhood="  Rabot ",
    )
    assert a.title == "Straatfeest zaterdag"
    assert a.text == {"nl": "Zaterdag is er straatfeest."}
    assert a.neighbourhood == "rabot"
    assert a.active and a.in_outbound_calls
    assert a.created_by == system.label
    event = AuditEvent.objects.get(verb="neighbours.announcement_create")
    assert event.object_id == str(a.pk)
    assert event.data["languages"] == ["nl"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"text": {}}, "text"),
        ({"text": {"nl": "   "}}, "text"),
        ({"text": {"de": "Hallo"}}, "text"),
        ({"text": {"nl": "a" * 601}}, "text.nl"),
        ({"text": "just a string"}, "text"),
        ({"starts_on": MON, "ends_on": MON - dt.timedelta(days=1)}, "ends_on"),
        ({"starts_on": MON, "ends_on": MON + dt.timedelta(days=366)}, "ends_on"),
        ({"starts_on": "2 maart"}, "starts_on"),
        ({"neighbourhood": "x" * 41}, "neighbourhood"),
        ({"recording": {"nl": 999999}}, "recording.nl"),
        ({"recording": {"nl": "abc"}}, "recording.nl"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(
    system: Actor, values: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        announce(system, **values)
    assert field in exc.value.fields
    assert not Announcement.objects.exists()


def test_600_characters_and_a_whole_year_are_allowed(system: Actor) -> None:
    a = announce(system, text={"fr": "a" * 600}, ends_on=MON + dt.timedelta(days=365))
    assert len(a.text["fr"]) == 600


def test_a_recording_alone_is_enough_but_must_have_the_fields_language(system: Actor) -> None:
    nl = record(system, "nl")
    fr = record(system, "fr")
    a = announce(system, text={}, recording={"nl": nl.pk, "fr": None})
    assert a.recording == {"nl": nl.pk}
    with pytest.raises(ValidationFailed) as exc:
        announce(system, recording={"nl": fr.pk})
    assert "recording.nl" in exc.value.fields


def test_a_recording_of_another_community_cannot_be_used(
    system: Actor, other_system: Actor
) -> None:
    theirs = record(other_system, "nl")
    with pytest.raises(ValidationFailed) as exc:
        announce(system, recording={"nl": theirs.pk})
    assert "recording.nl" in exc.value.fields
    mine = announce(system)
    with pytest.raises(ValidationFailed):
        services.announcement_update(
            actor=system, announcement_id=mine.pk, recording={"nl": theirs.pk}
        )
    mine.refresh_from_db()
    assert mine.recording == {}


def test_update_changes_only_the_fields_given_and_checks_the_whole(system: Actor) -> None:
    a = announce(system, neighbourhood="rabot")
    b = services.announcement_update(
        actor=system, announcement_id=a.pk, title="Straatfeest verplaatst"
    )
    assert (b.title, b.neighbourhood, b.text) == (
        "Straatfeest verplaatst",
        "rabot",
        {"nl": "Zaterdag is er straatfeest."},
    )
    with pytest.raises(ValidationFailed) as exc:  # the new start is after the old end
        services.announcement_update(
            actor=system, announcement_id=a.pk, starts_on=MON + dt.timedelta(days=30)
        )
    assert "ends_on" in exc.value.fields
    assert AuditEvent.objects.filter(verb="neighbours.announcement_update").count() == 1


def test_update_refuses_an_unknown_field(system: Actor) -> None:
    a = announce(system)
    with pytest.raises(ValidationFailed) as exc:
        services.announcement_update(actor=system, announcement_id=a.pk, active=False)
    assert "active" in exc.value.fields  # stopping is its own action
    a.refresh_from_db()
    assert a.active


def test_deactivate_stops_it_once(system: Actor) -> None:
    a = announce(system)
    services.announcement_deactivate(actor=system, announcement_id=a.pk)
    services.announcement_deactivate(actor=system, announcement_id=a.pk)
    a.refresh_from_db()
    assert not a.active
    assert AuditEvent.objects.filter(verb="neighbours.announcement_deactivate").count() == 1
    assert current(system.community) == []


@pytest.mark.parametrize(("role", "allowed"), [("staff", True), ("volunteer", False)])
def test_writing_needs_neighbours_manage(community: Community, role: str, allowed: bool) -> None:
    actor = Actor(community=community, label=role, permissions=permissions_for_roles({role}))
    system = Actor.system(community)
    existing = announce(system)
    if allowed:
        assert announce(actor).pk
        services.announcement_deactivate(actor=actor, announcement_id=existing.pk)
        return
    with pytest.raises(PermissionDenied):
        announce(actor)
    with pytest.raises(PermissionDenied):
        services.announcement_update(actor=actor, announcement_id=existing.pk, title="x")
    with pytest.raises(PermissionDenied):
        services.announcement_deactivate(actor=actor, announcement_id=existing.pk)


def test_another_communitys_announcement_is_not_found(system: Actor, other_system: Actor) -> None:
    theirs = announce(other_system)
    with pytest.raises(NotFound):
        services.announcement_update(actor=system, announcement_id=theirs.pk, title="x")
    with pytest.raises(NotFound):
        services.announcement_deactivate(actor=system, announcement_id=theirs.pk)
    theirs.refresh_from_db()
    assert theirs.active and theirs.title == "Straatfeest"


# --- what a call plays -------------------------------------------------------------------------


def test_only_announcements_of_that_day_are_played(system: Actor) -> None:
    announce(system, title="deze week", text={"nl": "deze week"})
    announce(
        system,
        text={"nl": "volgende week"},
        starts_on=MON + dt.timedelta(days=7),
        ends_on=MON + dt.timedelta(days=13),
    )
    c = system.community
    assert [p.text for p in current(c, on=MON)] == ["deze week"]
    assert [p.text for p in current(c, on=MON + dt.timedelta(days=6))] == ["deze week"]  # last day
    assert [p.text for p in current(c, on=MON + dt.timedelta(days=7))] == ["volgende week"]
    assert current(c, on=MON - dt.timedelta(days=1)) == []
    assert current(c, on=MON + dt.timedelta(days=14)) == []


def test_neighbourhood_blank_is_for_everybody_else_only_that_neighbourhood(system: Actor) -> None:
    announce(system, text={"nl": "iedereen"})
    announce(system, text={"nl": "rabot"}, neighbourhood="Rabot")
    announce(system, text={"nl": "brugse poort"}, neighbourhood="brugse poort")
    c = system.community
    assert sorted(p.text for p in current(c, neighbourhood="rabot")) == ["iedereen", "rabot"]
    assert sorted(p.text for p in current(c, neighbourhood=" RABOT ")) == ["iedereen", "rabot"]
    assert [p.text for p in current(c, neighbourhood="")] == ["iedereen"]
    assert [p.text for p in current(c, neighbourhood="sluizeken")] == ["iedereen"]


def test_outbound_calls_play_only_those_meant_for_them(system: Actor) -> None:
    announce(system, text={"nl": "overal"})
    announce(system, text={"nl": "alleen de lijn"}, in_outbound_calls=False)
    c = system.community
    assert [p.text for p in current(c, outbound=True)] == ["overal"]
    assert sorted(p.text for p in current(c, outbound=False)) == ["alleen de lijn", "overal"]


def test_newest_first_and_at_most_three(system: Actor) -> None:
    for days in range(5):
        announce(
            system,
            text={"nl": f"vanaf dag {days}"},
            starts_on=MON - dt.timedelta(days=days),
            ends_on=MON + dt.timedelta(days=1),
        )
    texts = [p.text for p in current(system.community)]
    assert texts == ["vanaf dag 0", "vanaf dag 1", "vanaf dag 2"]


def test_language_then_community_default_then_any(system: Actor) -> None:
    c = system.community  # default language: nl
    announce(system, text={"nl": "Hallo", "fr": "Bonjour"})
    assert current(c, language="fr") == [Prompt("Bonjour", "", "fr")]
    assert current(c, language="en") == [Prompt("Hallo", "", "nl")]  # the default
    Announcement.objects.update(text={"fr": "Bonjour"})
    assert current(c, language="en") == [Prompt("Bonjour", "", "fr")]  # any


def test_a_recording_is_played_with_its_public_address(system: Actor, settings: Any) -> None:
    settings.PUBLIC_URL = "https://buurbel.example.org"
    rec = record(system, "fr", "Fête")
    announce(system, text={"nl": "Hallo", "fr": "Bonjour"}, recording={"fr": rec.pk})
    (prompt,) = current(system.community, language="fr")
    assert prompt.recording_url == links.recording_url(rec)
    assert prompt.recording_url.startswith("https://buurbel.example.org/telephony/recordings/")
    assert prompt.text == "Bonjour"  # kept for a provider that cannot play the file
    assert current(system.community, language="nl")[0].recording_url == ""


def test_another_communitys_announcements_are_never_played(
    system: Actor, other_system: Actor
) -> None:
    announce(other_system, text={"nl": "geheim"})
    assert current(system.community) == []
    assert [p.text for p in current(other_system.community)] == ["geheim"]


# --- staff pages -------------------------------------------------------------------------------


def test_list_filters_on_now_upcoming_past_and_searches(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    announce(system, title="Nu bezig")
    announce(
        system,
        title="Komt nog",
        starts_on=MON + dt.timedelta(days=10),
        ends_on=MON + dt.timedelta(days=12),
    )
    announce(
        system,
        title="Voorbij",
        starts_on=MON - dt.timedelta(days=10),
        ends_on=MON - dt.timedelta(days=8),
    )
    client = login_client(community, "staff")
    url = f"/{community.slug}/buurbel/announcements/"
    with clock.frozen(dt.datetime(2026, 3, 3, 10, tzinfo=dt.UTC)):

        def titles(**params: str) -> list[str]:
            response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")
            assert response.status_code == 200
            return [a.title for a in response.context["page"]]

        assert titles() == ["Komt nog", "Nu bezig", "Voorbij"]
        assert titles(when="current") == ["Nu bezig"]
        assert titles(when="upcoming") == ["Komt nog"]
        assert titles(when="past") == ["Voorbij"]
        assert titles(q="komt") == ["Komt nog"]
        assert titles(q="straatfeest") == ["Komt nog", "Nu bezig", "Voorbij"]  # in the text
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Playing now" in page and "Upcoming" in page and "Ended" in page


def test_staff_write_an_announcement_on_the_page(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    rec = record(system, "fr", "Fête des voisins")
    client = login_client(community, "staff")
    new = client.get(f"/{community.slug}/buurbel/announcements/new/", HTTP_ACCEPT_LANGUAGE="en")
    assert new.status_code == 200
    assert "Fête des voisins" in new.content.decode()  # to choose in the French field
    response = client.post(
        f"/{community.slug}/buurbel/announcements/new/",
        {
            "title": "Buurtfeest",
            "text_nl": "Zondag buurtfeest op het plein.",
            "recording_fr": str(rec.pk),
            "starts_on": "2026-03-02",
            "ends_on": "2026-03-08",
            "neighbourhood": "Rabot",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    a = Announcement.objects.get()
    assert a.text == {"nl": "Zondag buurtfeest op het plein."}
    assert a.recording == {"fr": rec.pk}
    assert a.neighbourhood == "rabot"
    assert a.in_outbound_calls is False  # the box was not ticked
    edit = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This is what a caller hears" in edit
    assert "“Zondag buurtfeest op het plein.”" in edit
    assert f'src="{links.recording_path(rec.pk)}"' in edit
    stop = client.post(f"/{community.slug}/buurbel/announcements/{a.pk}/deactivate/")
    assert stop.status_code == 302
    a.refresh_from_db()
    assert not a.active


def test_the_form_keeps_what_was_typed_and_shows_the_error_at_the_field(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "staff")
    response = client.post(
        f"/{community.slug}/buurbel/announcements/new/",
        {
            "title": "Te vroeg gedaan",
            "text_fr": "Bonjour à tous",
            "starts_on": "2026-03-10",
            "ends_on": "2026-03-02",
            "in_outbound_calls": "on",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "The last day cannot be before the first day." in page
    assert 'value="Te vroeg gedaan"' in page
    assert "Bonjour à tous" in page
    assert not Announcement.objects.exists()


def test_preview_shows_what_a_caller_hears_without_saving(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "staff")
    response = client.post(
        f"/{community.slug}/buurbel/announcements/new/",
        {
            "title": "Proef",
            "text_nl": "Dit is een proef.",
            "starts_on": "2026-03-02",
            "ends_on": "2026-03-02",
            "preview": "1",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "This is what a caller hears" in page
    assert "in Dutch: there is nothing in this language" in page  # the fr/en callers
    assert not Announcement.objects.exists()


def test_pages_need_the_right_permissions(
    system: Actor, community: Community, login_client: Callable[..., Client]
) -> None:
    a = announce(system)
    volunteer = login_client(community, "volunteer")  # may read, not write
    base = f"/{community.slug}/buurbel/announcements/"
    assert volunteer.get(base).status_code == 200
    assert volunteer.get(base + "new/").status_code == 403
    assert volunteer.get(f"{base}{a.pk}/").status_code == 403
    assert volunteer.post(f"{base}{a.pk}/deactivate/").status_code == 403
    a.refresh_from_db()
    assert a.active
    merchant = login_client(community, "merchant")
    assert merchant.get(base).status_code == 403


def test_edit_page_offers_only_this_communitys_recordings(
    system: Actor,
    other_system: Actor,
    community: Community,
    login_client: Callable[..., Client],
) -> None:
    record(system, "nl", "Onze opname")
    theirs = record(other_system, "nl", "Hun opname")
    a = announce(system)
    client = login_client(community, "staff")
    page = client.get(f"/{community.slug}/buurbel/announcements/{a.pk}/").content.decode()
    assert "Onze opname" in page and "Hun opname" not in page
    response = client.post(
        f"/{community.slug}/buurbel/announcements/{a.pk}/",
        {
            "title": "x",
            "text_nl": "x",
            "recording_nl": str(theirs.pk),
            "starts_on": "2026-03-02",
            "ends_on": "2026-03-02",
        },
    )
    assert response.status_code == 422
    a.refresh_from_db()
    assert a.recording == {}


# --- API ---------------------------------------------------------------------------------------


def test_api_writes_and_reads_an_announcement(
    community: Community, api: Callable[..., Client]
) -> None:
    client = api(community, ["staff"])
    body = {
        "title": "Straatfeest",
        "text": {"nl": "Zaterdag straatfeest.", "fr": "Samedi, fête de rue."},
        "neighbourhood": "Rabot",
        "starts_on": "2026-03-02",
        "ends_on": "2026-03-08",
        "in_outbound_calls": False,
    }
    created = client.post("/api/v1/buurbel/announcements", body, content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["neighbourhood"], data["in_outbound_calls"], data["active"]) == (
        "rabot",
        False,
        True,
    )
    url = f"/api/v1/buurbel/announcements/{data['id']}"
    patched = client.patch(url, {"text": {"en": "Party!"}}, content_type="application/json")
    assert patched.json()["text"] == {"en": "Party!"}  # replaced whole
    assert patched.json()["title"] == "Straatfeest"
    stopped = client.post(url + "/deactivate")
    assert stopped.json()["active"] is False
    listed = client.get("/api/v1/buurbel/announcements?when=inactive").json()
    assert [a["id"] for a in listed["items"]] == [data["id"]]


def test_api_errors_name_the_field(community: Community, api: Callable[..., Client]) -> None:
    client = api(community, ["staff"])
    body = {
        "title": "Te lang",
        "text": {"nl": "a" * 601},
        "starts_on": "2026-03-02",
        "ends_on": "2026-03-08",
    }
    response = client.post("/api/v1/buurbel/announcements", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert "text.nl" in response.json()["fields"]
    assert not Announcement.objects.exists()


def test_api_upload_checks_the_file(community: Community, api: Callable[..., Client]) -> None:
    client = api(community, ["staff"])
    bad = SimpleUploadedFile("nep.wav", b"not a sound at all", content_type="audio/wav")
    response = client.post(
        "/api/v1/buurbel/recordings", {"file": bad, "name": "Nep", "language": "nl"}
    )
    assert response.status_code == 422
    assert "file" in response.json()["fields"]
    good = SimpleUploadedFile("echt.wav", wav_bytes(), content_type="application/octet-stream")
    response = client.post(
        "/api/v1/buurbel/recordings", {"file": good, "name": "Echt", "language": "fr"}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["content_type"], data["language"]) == ("audio/wav", "fr")
    assert data["url"] == links.recording_url(Recording.objects.get(pk=data["id"]))
    assert api(community, ["volunteer"]).get("/api/v1/buurbel/recordings").status_code == 403
