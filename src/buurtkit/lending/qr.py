"""A device's printed QR label: a code of the ``qrcodes`` module linked to the device.

Two additions to the QR code registries:

- the link type ``lending.device`` (the link id is the device's label, ``DB-000123``): a code on
  a device. A blank sticker claimed for a device, or a code made by
  ``services.device_label_codes``, gets two routes by itself;
- the route action ``lending.device`` (``{"device": "<label>", "page": "staff" | "return"}``):
  staff of the device bank who scan the label land on the device's page (the first route,
  for the roles that may see the stock); anyone else lands on the public "property of the
  digibank, please bring it back to …" page, which shows no personal data.

Both pages are under ``/<community>/lending/``; the scan itself does not query (the route's
parameters carry the label).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.lending.models import Device
from buurtkit.lending.permissions import GRANTS
from buurtkit.qrcodes.links import LinkType, register_link_type
from buurtkit.qrcodes.models import Code, CodeStatus
from buurtkit.qrcodes.routing import Action, Outcome, Redirect, Target, register_action

LINK_TYPE = "lending.device"
ACTION = "lending.device"
PAGES = ("staff", "return")
#: The roles whose scan opens the device's page: those who may see the stock.
STAFF_ROLES = sorted(role for role, perms in GRANTS.items() if "lending.view" in perms)


def device_by_label(community: Community, label: str) -> Device | None:
    label = str(label or "").strip().upper()
    if not label or len(label) > 20:
        return None
    return Device.objects.in_community(community).filter(label=label).first()


def label_codes(community: Community, devices: list[Device]) -> dict[int, Code]:
    """Each device's QR label code (the oldest one not retired), by device id."""
    by_label = {device.label: device.pk for device in devices}
    found: dict[int, Code] = {}
    codes = (
        Code.objects.in_community(community)
        .filter(link_type=LINK_TYPE, link_id__in=list(by_label))
        .exclude(status=CodeStatus.RETIRED)
        .order_by("-created_at", "-id")
    )
    for code in codes:
        found[by_label[code.link_id]] = code  # the oldest one is written last
    return found


def label_routes(label: str) -> list[dict[str, Any]]:
    """The routes of a device's code: staff open the device page, anyone else the return page."""
    return [
        {
            "name": _("Device bank staff: the device's page"),
            "conditions": [{"type": "audience", "value": "staff", "roles": STAFF_ROLES}],
            "action": ACTION,
            "params": {"device": label, "page": "staff"},
        },
        {
            "name": _("Anyone else: please bring it back"),
            "action": ACTION,
            "params": {"device": label, "page": "return"},
        },
    ]


# --- link type ------------------------------------------------------------------------------


def _describe_link(community: Community, ref: str) -> str | None:
    device = device_by_label(community, ref)
    return str(device) if device else None


def _default_routes(community: Community, ref: str) -> list[dict[str, Any]]:
    device = device_by_label(community, ref)
    return label_routes(device.label) if device else []


# --- route action ---------------------------------------------------------------------------


def _clean(community: Community, params: dict[str, Any]) -> dict[str, Any]:
    device = device_by_label(community, str(params.get("device") or ""))
    if device is None:
        msg = _("Give the label of a device of this community, for example DB-000123.")
        raise ValidationFailed(msg, fields={"device": msg})
    page = params.get("page") or "return"
    if page not in PAGES:
        msg = _("Choose the staff page or the return page.")
        raise ValidationFailed(msg, fields={"page": msg})
    return {"device": device.label, "page": page}


def _resolve(target: Target) -> Outcome:
    params = target.route.params
    slug = target.code.community_slug
    if params.get("page") == "staff":
        return Redirect(reverse("web:lending_device_by_label", args=[slug, params["device"]]))
    return Redirect(reverse("web:lending_return", args=[slug, params["device"]]))


def _describe(params: dict[str, Any], language: str) -> str:
    label = str(params.get("device") or "")
    if params.get("page") == "staff":
        return _("open the page of device %(label)s") % {"label": label}
    return _("show who device %(label)s belongs to and where to bring it back") % {"label": label}


def register() -> None:
    register_link_type(
        LinkType(
            LINK_TYPE, gettext_lazy("Device of the device bank"), _describe_link, _default_routes
        )
    )
    register_action(
        Action(
            ACTION,
            gettext_lazy("A device of the device bank: its page, or where to bring it back"),
            _clean,
            _resolve,
            _describe,
        )
    )
