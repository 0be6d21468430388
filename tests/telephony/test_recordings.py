"""Recorded call prompts: upload checks (magic bytes, size, language, permission), the public
address the provider fetches them from, and the staff page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from buurtkit.audit.models import AuditEvent
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.telephony import links, services
from buurtkit.telephony.models import Recording
from tests.telephony.audio import MP3_BYTES, MP3_FRAME_BYTES, wav_bytes


def upload(content: bytes, name: str = "prompt.wav", content_type: str = "audio/wav") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def make(actor: Actor, content: bytes | None = None, **values: Any) -> Recording:
    values = {"name": "Welkom", "language": "nl", **values}
    return services.recording_upload(
        actor=actor, upload=upload(wav_bytes() if content is None else content), **values
    )


# --- the upload ------------------------------------------------------------------------------


def test_a_wav_is_kept_with_its_type_size_and_an_audit_event(system: Actor) -> None:
    content = wav_bytes()
    recording = make(system, content, name="  Welkom bij Buurbel ")
    assert recording.name == "Welkom bij Buurbel"
    assert recording.content_type == "audio/wav"
    assert recording.size == len(content)
    assert recording.audio.name.endswith(".wav")
    with recording.audio.open("rb") as f:
        assert f.read() == content
    event = AuditEvent.objects.get(verb="telephony.recording_upload")
    assert event.object_id == str(recording.pk)
    assert event.data["language"] == "nl"


@pytest.mark.parametrize("content", [MP3_BYTES, MP3_FRAME_BYTES], ids=["id3", "frame"])
def test_an_mp3_is_recognised_by_its_first_bytes(system: Actor, content: bytes) -> None:
    recording = make(system, content, name="Aankondiging")
    assert recording.content_type == "audio/mpeg"
    assert recording.audio.name.endswith(".mp3")


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (b"<html>not a sound</html>" * 4, "prompt.wav", "audio/wav"),
        (b"%PDF-1.7 pretending" * 4, "prompt.mp3", "audio/mpeg"),
        (b"RIFF\x10\x00\x00\x00AVI LIST" + b"\x00" * 40, "clip.wav", "audio/wav"),
        (b"", "empty.wav", "audio/wav"),
    ],
    ids=["html", "pdf", "riff-avi", "empty"],
)
def test_a_file_that_is_not_wav_or_mp3_is_refused_whatever_its_name(
    system: Actor, content: bytes, name: str, content_type: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.recording_upload(
            actor=system, name="x", language="nl", upload=upload(content, name, content_type)
        )
    assert "file" in exc.value.fields
    assert not Recording.objects.exists()


def test_a_file_over_5_mb_is_refused_but_5_mb_is_fine(system: Actor) -> None:
    header = wav_bytes()[:44]
    limit = services.MAX_RECORDING_BYTES
    with pytest.raises(ValidationFailed) as exc:
        make(system, header + b"\x00" * (limit - len(header) + 1))
    assert "5 MB" in str(exc.value.fields["file"])
    assert make(system, header + b"\x00" * (limit - len(header))).size == limit


@pytest.mark.parametrize(
    ("values", "field"),
    [({"language": "de"}, "language"), ({"name": "  "}, "name"), ({"name": "x" * 121}, "name")],
)
def test_name_and_language_are_checked(system: Actor, values: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        make(system, **values)
    assert field in exc.value.fields


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("coordinator", True), ("staff", True), ("volunteer", False), ("auditor", False)],
)
def test_uploading_needs_the_recordings_permission(
    community: Community, role: str, allowed: bool
) -> None:
    from buurtkit.core.permissions import permissions_for_roles

    actor = Actor(community=community, label=role, permissions=permissions_for_roles({role}))
    if allowed:
        assert make(actor).pk
    else:
        with pytest.raises(PermissionDenied):
            make(actor)


# --- the public address ------------------------------------------------------------------------


def test_the_provider_fetches_a_recording_with_the_right_token_without_login(
    system: Actor, client: Client, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://buurbel.example.org"
    content = wav_bytes()
    recording = make(system, content)
    url = links.recording_url(recording)
    assert url.startswith("https://buurbel.example.org/telephony/recordings/")
    response = client.get(url.removeprefix("https://buurbel.example.org"))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert "max-age=31536000" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == content


def test_a_wrong_token_is_not_found(system: Actor, client: Client) -> None:
    recording = make(system)
    other = make(system, name="Tot ziens")
    good = links.recording_token(recording.pk)
    assert len(good) == links.RECORDING_TOKEN_CHARS
    for token in ("0" * len(good), good[:-1], links.recording_token(other.pk), good.upper()):
        response = client.get(f"/telephony/recordings/{recording.pk}/{token}")
        assert response.status_code == 404, token
    # A token made for an id that does not exist is not found either.
    assert client.get(links.recording_path(recording.pk + 100)).status_code == 404


def test_the_token_depends_on_the_secret_key(system: Actor, settings: Any) -> None:
    recording = make(system)
    before = links.recording_token(recording.pk)
    settings.SECRET_KEY = "another-secret-key-for-this-test"
    assert links.recording_token(recording.pk) != before


# --- the staff page ----------------------------------------------------------------------------


def test_staff_upload_a_recording_and_hear_it_on_the_page(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "staff")
    url = f"/{community.slug}/buurbel/recordings/"
    response = client.post(
        url,
        {"name": "Straatfeest", "language": "fr", "file": upload(wav_bytes(), "feest.wav")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    recording = Recording.objects.get()
    assert (recording.name, recording.language, recording.community) == (
        "Straatfeest",
        "fr",
        community,
    )
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Straatfeest" in page
    assert f'<audio controls preload="none" src="{links.recording_path(recording.pk)}"' in page


def test_a_refused_upload_keeps_what_was_typed(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "coordinator")
    response = client.post(
        f"/{community.slug}/buurbel/recordings/",
        {"name": "Mijn boodschap", "language": "en", "file": upload(b"hello" * 20, "a.wav")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "This is not a WAV or MP3 sound file." in page
    assert 'value="Mijn boodschap"' in page
    assert '<option value="en" selected>' in page
    assert not Recording.objects.exists()


def test_the_page_needs_the_recordings_permission(
    community: Community, login_client: Callable[..., Client]
) -> None:
    client = login_client(community, "volunteer")
    url = f"/{community.slug}/buurbel/recordings/"
    assert client.get(url).status_code == 403
    post = client.post(url, {"name": "x", "language": "nl", "file": upload(wav_bytes())})
    assert post.status_code == 403
    assert not Recording.objects.exists()


def test_the_page_lists_only_this_communitys_recordings(
    community: Community,
    other_system: Actor,
    system: Actor,
    login_client: Callable[..., Client],
) -> None:
    make(system, name="Rabot welkom")
    make(other_system, name="Heuvelwijk geheim")
    client = login_client(community, "coordinator")
    page = client.get(f"/{community.slug}/buurbel/recordings/").content.decode()
    assert "Rabot welkom" in page
    assert "Heuvelwijk geheim" not in page
    found = client.get(f"/{community.slug}/buurbel/recordings/", {"q": "geheim"})
    assert list(found.context["page"]) == []


# --- deleting ----------------------------------------------------------------------------------


def test_an_unused_recording_is_deleted_with_its_file(
    system: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    recording = make(system)
    storage, name = recording.audio.storage, recording.audio.name
    with django_capture_on_commit_callbacks(execute=True):
        services.recording_delete(actor=system, recording_id=recording.pk)
    assert not Recording.objects.exists()
    assert not storage.exists(name)
    assert AuditEvent.objects.filter(verb="telephony.recording_delete").count() == 1


def test_a_recording_a_call_flow_plays_cannot_be_deleted(system: Actor) -> None:
    from buurtkit.core import clock
    from buurtkit.telephony.models import FlowVersion

    recording = make(system)
    flow = FlowVersion.objects.create(
        community=system.community,
        key="buurbel.test",
        number=1,
        status="draft",
        definition={"nodes": {"welcome": {"say": {"nl": "Dag"}, "play": {"nl": recording.pk}}}},
        created_by="test",
        created_at=clock.now(),
    )
    with pytest.raises(Conflict) as exc:
        services.recording_delete(actor=system, recording_id=recording.pk)
    assert "buurbel.test" in str(exc.value.detail)
    flow.status = "retired"
    flow.save()
    services.recording_delete(actor=system, recording_id=recording.pk)
    assert not Recording.objects.exists()


def test_a_recording_an_announcement_plays_cannot_be_deleted(system: Actor) -> None:
    import datetime as dt

    from buurtkit.neighbours import announcements
    from buurtkit.neighbours import services as neighbours_services

    recording = make(system, language="fr")
    today = announcements.local_today()
    a = neighbours_services.announcement_create(
        actor=system,
        title="Fête",
        recording={"fr": recording.pk},
        starts_on=today,
        ends_on=today + dt.timedelta(days=2),
    )
    with pytest.raises(Conflict) as exc:
        services.recording_delete(actor=system, recording_id=recording.pk)
    assert "Fête" in str(exc.value.detail)
    neighbours_services.announcement_deactivate(actor=system, announcement_id=a.pk)
    services.recording_delete(actor=system, recording_id=recording.pk)
    assert not Recording.objects.exists()


def test_another_communitys_recording_cannot_be_deleted(
    community: Community,
    system: Actor,
    other_system: Actor,
    login_client: Callable[..., Client],
) -> None:
    theirs = make(other_system)
    with pytest.raises(NotFound):
        services.recording_delete(actor=system, recording_id=theirs.pk)
    client = login_client(community, "coordinator")
    response = client.post(f"/{community.slug}/buurbel/recordings/", {"delete": str(theirs.pk)})
    assert response.status_code == 302
    assert Recording.objects.filter(pk=theirs.pk).exists()


def test_staff_delete_a_recording_on_the_page(
    community: Community, system: Actor, login_client: Callable[..., Client]
) -> None:
    recording = make(system)
    client = login_client(community, "staff")
    url = f"/{community.slug}/buurbel/recordings/"
    assert f'name="delete" value="{recording.pk}"' in client.get(url).content.decode()
    response = client.post(
        url, {"delete": str(recording.pk)}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "The recording is deleted." in response.content.decode()
    assert not Recording.objects.exists()
