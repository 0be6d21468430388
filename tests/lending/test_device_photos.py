"""Photos of devices: staff add one from the phone's camera on the device page; it is checked
by decoding it, stored re-encoded (upright, no metadata such as the place it was taken,
at most 1600 px) under a generated name in the community's folder, shown on the device page
and served only to staff; a device that left the stock keeps its photos but takes no new
ones; removing one removes its file."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from PIL import Image

from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.lending import selectors, services
from buurtkit.lending.models import DevicePhoto
from buurtkit.lending.services import photos
from tests.lending.ops_world import devices, step

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _jpeg(width: int = 3000, height: int = 2000, *, gps: bool = True) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90° to be upright", as a phone held upright writes it
    if gps:
        exif[0x8825] = {1: "N", 2: (51.0, 3.0, 0.0), 3: "E", 4: (3.0, 43.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _upload(data: bytes, name: str = "IMG_0001.JPG", kind: str = "image/jpeg") -> Any:
    return SimpleUploadedFile(name, data, content_type=kind)


def test_a_photo_is_stored_upright_small_and_without_metadata(system: Actor, _media: Path) -> None:
    device = devices(system, 1)[0]
    photo = services.device_photo_add(actor=system, device_id=device.pk, upload=_upload(_jpeg()))
    assert photo.image.name.startswith(f"lending/photos/{system.community.pk}/")
    assert "IMG_0001" not in photo.image.name and photo.image.name.endswith(".jpg")
    stored = _media / photo.image.name
    with Image.open(stored) as image:
        assert image.format == "JPEG"
        assert image.size == (1067, 1600)  # turned upright (portrait), at most 1600 px
        assert not image.getexif()  # no GPS, no orientation, nothing
    assert (photo.width, photo.height, photo.size) == (1067, 1600, stored.stat().st_size)
    assert list(selectors.device_photos(actor=system, device_id=device.pk)) == [photo]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"#!/bin/sh\necho hello\n" * 20, "photo.jpg"),  # not an image, whatever its name
        (b"GIF89a" + b"\x00" * 40, "anim.gif"),  # broken, and not a format we keep
        (b"", "empty.jpg"),
    ],
)
def test_what_is_not_a_usable_photo_is_refused(system: Actor, data: bytes, name: str) -> None:
    device = devices(system, 1)[0]
    with pytest.raises(ValidationFailed) as refused:
        services.device_photo_add(actor=system, device_id=device.pk, upload=_upload(data, name))
    assert "photo" in refused.value.fields
    assert not DevicePhoto.objects.exists()


def test_a_too_big_photo_is_refused(system: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(photos, "MAX_PHOTO_BYTES", 1000)
    device = devices(system, 1)[0]
    with translation.override("en"), pytest.raises(ValidationFailed, match="too big"):
        services.device_photo_add(actor=system, device_id=device.pk, upload=_upload(_jpeg()))
    monkeypatch.setattr(photos, "MAX_PIXELS", 100 * 100)
    monkeypatch.setattr(photos, "MAX_PHOTO_BYTES", 10**8)
    with translation.override("en"), pytest.raises(ValidationFailed, match="pixels"):
        services.device_photo_add(
            actor=system, device_id=device.pk, upload=_upload(_jpeg(200, 200))
        )
    assert not DevicePhoto.objects.exists()


def test_a_device_that_left_the_stock_keeps_its_photos_but_takes_no_new_ones(
    system: Actor,
) -> None:
    device = devices(system, 1)[0]
    kept = services.device_photo_add(actor=system, device_id=device.pk, upload=_upload(_jpeg()))
    step(system, device, "written_off")
    with pytest.raises(Conflict):
        services.device_photo_add(actor=system, device_id=device.pk, upload=_upload(_jpeg()))
    assert list(selectors.device_photos(actor=system, device_id=device.pk)) == [kept]


def test_who_may_add_see_and_remove(
    community: Community,
    system: Actor,
    login_client: Callable[..., Client],
    django_capture_on_commit_callbacks: Any,
    _media: Path,
) -> None:
    device = devices(system, 1)[0]
    page = f"/rabot/lending/devices/{device.pk}/"
    volunteer = login_client(community, "volunteer")  # lending.manage
    html = volunteer.get(page).content.decode()
    assert 'accept="image/*" capture="environment"' in html
    added = volunteer.post(f"{page}photos/", {"photo": _upload(_jpeg(800, 600, gps=False))})
    assert added.status_code == 302 and added["Location"].endswith("#photos")
    photo = DevicePhoto.objects.get()
    url = f"{page}photos/{photo.pk}.jpg"

    auditor = login_client(community, "auditor")  # lending.view only
    shown = auditor.get(page).content.decode()
    assert url in shown and "capture=" not in shown and "Remove" not in shown
    served = auditor.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content).startswith(b"\xff\xd8")
    assert auditor.post(f"{page}photos/", {"photo": _upload(_jpeg())}).status_code == 403
    assert auditor.post(f"{page}photos/{photo.pk}/remove/").status_code == 403
    assert login_client(community, "referrer").get(url).status_code == 403

    with pytest.raises(PermissionDenied):
        services.device_photo_add(
            actor=Actor.system(community).__class__(
                community=community, label="x", permissions=frozenset({"lending.view"})
            ),
            device_id=device.pk,
            upload=_upload(_jpeg()),
        )

    refused = volunteer.post(f"{page}photos/", {"photo": _upload(b"not a photo")})
    assert refused.status_code == 302 and DevicePhoto.objects.count() == 1

    stored = _media / photo.image.name
    with django_capture_on_commit_callbacks(execute=True):
        gone = volunteer.post(f"{page}photos/{photo.pk}/remove/")
    assert gone.status_code == 302
    assert not DevicePhoto.objects.exists() and not stored.exists()
    assert volunteer.get(url).status_code == 404


def test_the_api_lists_a_device_s_photos_with_their_address(
    community: Community, system: Actor, api: Callable[..., Client]
) -> None:
    device = devices(system, 1)[0]
    photo = services.device_photo_add(
        actor=system, device_id=device.pk, upload=_upload(_jpeg(400, 300, gps=False))
    )
    client = api(community, ["auditor"])
    body = client.get(f"/api/v1/lending/devices/{device.pk}").json()
    url = f"/api/v1/lending/devices/{device.pk}/photos/{photo.pk}.jpg"
    assert body["photos"] == [
        {
            "id": photo.pk,
            "url": url,
            "width": 300,
            "height": 400,
            "created_at": body["photos"][0]["created_at"],
        }
    ]
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    other = devices(system, 1)[0]  # the photo is not another device's
    assert (
        client.get(f"/api/v1/lending/devices/{other.pk}/photos/{photo.pk}.jpg").status_code == 404
    )
