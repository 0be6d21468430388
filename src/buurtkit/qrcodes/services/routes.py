"""A code's routes: checked, written in order, replaced as a whole."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.core.actor import Actor
from buurtkit.core.errors import (
    ValidationFailed,
)
from buurtkit.core.models import Community
from buurtkit.people.models import Organisation
from buurtkit.qrcodes.models import (
    Code,
    CodeStatus,
    Route,
)
from buurtkit.qrcodes.routing import MAX_CONDITIONS, MAX_ROUTES, clean_condition, get_action
from buurtkit.qrcodes.services._history import _changed
from buurtkit.qrcodes.services._rules import _check_version, _invalid, _locked_code, _require_edit


def clean_routes(community: Community, routes: Any) -> list[dict[str, Any]]:
    """Check a list of routes; errors name the route by its number (1, 2, …)."""
    if not isinstance(routes, list):
        raise _invalid("routes", _("Routes must be a list."))
    if len(routes) > MAX_ROUTES:
        raise _invalid("routes", _("A code has at most %(n)d routes.") % {"n": MAX_ROUTES})
    org_ids = set(Organisation.objects.in_community(community).values_list("pk", flat=True))
    cleaned = []
    for number, route in enumerate(routes, start=1):
        try:
            if not isinstance(route, dict):
                raise _invalid("routes", _("A route must be an object."))
            conditions = route.get("conditions") or []
            if not isinstance(conditions, list) or len(conditions) > MAX_CONDITIONS:
                raise _invalid(
                    "conditions",
                    _("A route has at most %(n)d conditions.") % {"n": MAX_CONDITIONS},
                )
            action = get_action(str(route.get("action") or ""))
            params = route.get("params") or {}
            if not isinstance(params, dict):
                raise _invalid("params", _("The action's settings must be an object."))
            cleaned.append(
                {
                    "name": str(route.get("name") or "")[:100],
                    "conditions": [clean_condition(community, c, org_ids) for c in conditions],
                    "action": action.key,
                    "params": action.clean(community, params),
                }
            )
        except ValidationFailed as exc:
            fields = {f"routes.{number}.{k}": v for k, v in exc.fields.items()}
            raise ValidationFailed(
                _("Route %(n)d: %(problem)s") % {"n": number, "problem": exc.detail},
                fields=fields,
            ) from exc
    return cleaned


def _write_routes(actor: Actor, code: Code, routes: list[dict[str, Any]]) -> None:
    Route.objects.in_community(actor.community).filter(code=code).delete()
    Route.objects.bulk_create(
        [
            Route(community=actor.community, code=code, position=i, **route)
            for i, route in enumerate(routes)
        ]
    )


@transaction.atomic
def routes_set(
    *,
    actor: Actor,
    code_id: int,
    routes: list[dict[str, Any]],
    expected_version: int | None = None,
) -> Code:
    """Replace a code's routes (in order). A blank code with routes becomes active."""
    code = _locked_code(actor, code_id)
    _require_edit(actor, code)
    _check_version(code, expected_version)
    cleaned = clean_routes(actor.community, routes)
    _write_routes(actor, code, cleaned)
    if code.status == CodeStatus.UNASSIGNED and cleaned:
        code.status = CodeStatus.ACTIVE
    _changed(actor, code, "routes_changed")
    return code
