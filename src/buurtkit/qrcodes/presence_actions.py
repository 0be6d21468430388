"""Route actions "reserve" and "check in": a code that books a resource or checks people in.

The scan sends the person on to the public page of the resource or the entrance (no login,
phone first); the route's settings name it: ``{"resource": 12}`` or ``{"point": 3}``.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.qrcodes.routing import Action, Outcome, Redirect, Target, register_action


def _choose(community: Community, params: dict[str, Any], key: str, model_name: str) -> int:
    from django.apps import apps

    model = apps.get_model("qrcodes", model_name)
    value = params.get(key)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if (
        not isinstance(value, int)
        or not model.objects.in_community(community).filter(pk=value).exists()
    ):
        message = (
            _("Choose a bookable resource of this community.")
            if key == "resource"
            else _("Choose a check-in point of this community.")
        )
        raise ValidationFailed(message, fields={key: message})
    return value


def _reserve_clean(community: Community, params: dict[str, Any]) -> dict[str, Any]:
    return {"resource": _choose(community, params, "resource", "Resource")}


def _reserve_resolve(target: Target) -> Outcome:
    return Redirect(
        reverse("web:qr_book", args=[target.code.community_slug, target.route.params["resource"]])
    )


def _checkin_clean(community: Community, params: dict[str, Any]) -> dict[str, Any]:
    return {"point": _choose(community, params, "point", "CheckInPoint")}


def _checkin_resolve(target: Target) -> Outcome:
    return Redirect(
        reverse("web:qr_checkin", args=[target.code.community_slug, target.route.params["point"]])
    )


def register() -> None:
    register_action(
        Action(
            "reserve",
            gettext_lazy("Book a time (reservation)"),
            _reserve_clean,
            _reserve_resolve,
            lambda params, lang: (
                _("book a time for resource %(id)s") % {"id": params.get("resource")}
            ),
        )
    )
    register_action(
        Action(
            "checkin",
            gettext_lazy("Check in and out (at an entrance)"),
            _checkin_clean,
            _checkin_resolve,
            lambda params, lang: _("check in at entrance %(id)s") % {"id": params.get("point")},
        )
    )
