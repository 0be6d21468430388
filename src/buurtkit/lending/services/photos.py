"""Photos of devices: staff add them from a phone's camera on the device page (or the API).

A photo is checked by decoding it (Pillow), not by its name or the type the browser sent:
JPEG, PNG, WebP, at most ``MAX_PHOTO_BYTES`` and ``MAX_PIXELS``. It is stored re-encoded as
a JPEG of at most ``MAX_SIDE`` pixels, turned upright, without its metadata (a phone writes
the place it was taken), under a generated name in the community's folder of MEDIA_ROOT.

Photos show devices, not people: no personal data (declared so in the privacy registry).
A written-off or recycled device keeps its photos with its history (they show why it left
the stock); no new photos are added to it. Staff may remove a photo.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, ValidationFailed
from buurtkit.core.scoping import get_scoped
from buurtkit.lending.models import Device, DevicePhoto, DeviceState

MAX_PHOTO_BYTES = 12 * 1024 * 1024  # a phone camera's photo is 2 to 6 MB
MAX_PIXELS = 50_000_000  # more is not a phone photo (and would be a "decompression bomb")
MAX_SIDE = 1600
MAX_PHOTOS_PER_DEVICE = 12
FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: the JPEG some phone cameras write
GONE = {DeviceState.WRITTEN_OFF, DeviceState.RECYCLED}


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"photo": message})


def _reencode(upload: Any) -> tuple[bytes, int, int]:
    """The upload as a clean JPEG (upright, no metadata, at most MAX_SIDE), or refused."""
    size = int(getattr(upload, "size", 0) or 0)
    if size == 0:
        raise _refuse(_("Choose a photo (JPEG, PNG or WebP)."))
    if size > MAX_PHOTO_BYTES:
        raise _refuse(
            _("The photo is too big: at most %(mb)d MB.") % {"mb": MAX_PHOTO_BYTES // 2**20}
        )
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            kind = probe.format
            width, height = probe.size
            if kind not in FORMATS:
                raise _refuse(_("This is not a photo we can use: send a JPEG, PNG or WebP."))
            if width * height > MAX_PIXELS:
                raise _refuse(_("The photo has too many pixels."))
            probe.load()
            image = ImageOps.exif_transpose(probe)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGBA")
                flat = Image.new("RGB", image.size, "white")
                flat.paste(image, mask=image.getchannel("A"))
                image = flat
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)  # no EXIF: not copied
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise _refuse(_("This is not a photo we can use: send a JPEG, PNG or WebP.")) from None
    return out.getvalue(), image.width, image.height


@transaction.atomic
def device_photo_add(*, actor: Actor, device_id: int, upload: Any) -> DevicePhoto:
    """Add a photo to a device (``upload``: a Django ``UploadedFile`` or any file object)."""
    actor.require("lending.manage")
    device = get_scoped(Device, actor.community, pk=device_id, for_update=True)
    if device.state in GONE:
        raise Conflict(_("This device has left the stock: no new photos."), code="device_gone")
    if device.photos.count() >= MAX_PHOTOS_PER_DEVICE:
        raise _refuse(
            _("A device has at most %(n)d photos: remove one first.") % {"n": MAX_PHOTOS_PER_DEVICE}
        )
    data, width, height = _reencode(upload)
    photo = DevicePhoto(
        community=actor.community,
        device=device,
        width=width,
        height=height,
        size=len(data),
        created_at=clock.now(),
        created_by_label=actor.label[:150],
    )
    photo.image.save(f"{uuid.uuid4().hex}.jpg", ContentFile(data), save=False)
    stored = photo.image
    try:
        photo.save()
        audit_record(
            actor=actor,
            verb="lending.device_photo_added",
            obj=device,
            data={"photo": photo.pk, "width": width, "height": height, "size": len(data)},
        )
    except Exception:
        stored.delete(save=False)  # nothing half-written is left behind
        raise
    return photo


@transaction.atomic
def device_photo_remove(*, actor: Actor, device_id: int, photo_id: int) -> None:
    """Remove a photo of a device; its file goes once the removal is committed."""
    actor.require("lending.manage")
    device = get_scoped(Device, actor.community, pk=device_id)
    photo = get_scoped(DevicePhoto, actor.community, pk=photo_id, device=device)
    stored = photo.image
    photo.delete()
    audit_record(
        actor=actor, verb="lending.device_photo_removed", obj=device, data={"photo": photo_id}
    )
    transaction.on_commit(lambda: stored.delete(save=False))
