"""Staff action on the currency overview: copy this circle's setup for a new neighbourhood.

Offered to a coordinator of this circle (``ledger.manage``) for each other community they also
coordinate that has no currency yet. The work is ``ledger.services.currency_copy``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core.actor import Actor
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import ServiceError
from buurtkit.ledger import selectors, services
from buurtkit.people.selectors import actor_for_user, communities_for_user
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash


def copy_targets(request: HttpRequest) -> list[tuple[Any, Actor]]:
    """Communities this login coordinates too, without a currency yet (with its actor there)."""
    actor = actor_of(request)
    if not actor.has("ledger.manage") or actor.user_id is None:
        return []
    targets = []
    for community in communities_for_user(user=request.user).order_by("name"):
        if community.pk == actor.community.pk:
            continue
        target = actor_for_user(user=request.user, community=community)
        if target is None or not target.has("ledger.manage"):
            continue
        if not selectors.currency_exists(actor=target):
            targets.append((community, target))
    return targets


@require_POST
@community_page("ledger.manage")
def ledger_copy_circle(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    chosen = request.POST.get("target", "")
    target = next((t for c, t in copy_targets(request) if c.slug == chosen), None)
    if target is None:
        flash(
            request,
            _("Choose a neighbourhood you coordinate that has no currency yet."),
            level="error",
        )
        return redirect("web:ledger_overview", slug=actor.community.slug)
    try:
        copied = services.currency_copy(actor=actor, target=target)
    except ServiceError as exc:
        flash(request, str(exc.detail), level="error")
        return redirect("web:ledger_overview", slug=actor.community.slug)
    flash(
        request,
        _(
            "%(community)s now has the currency %(code)s, with %(offices)d exchange offices and "
            "%(budgets)d issuing budgets. Accounts and people were not copied."
        )
        % {
            "community": target.community.name,
            "code": copied.currency.code,
            "offices": len(copied.offices),
            "budgets": len(copied.budgets),
        },
    )
    return redirect("web:ledger_overview", slug=target.community.slug)
