"""Paying a shop by scanning the QR code on its counter.

Two additions to the QR code registries:

- the link type ``ledger.account``: a code sits on a shop (its merchant account, by number);
  a blank sticker claimed for a shop gets a "pay this shop" route by itself;
- the route action ``ledger.pay`` (``{"account": "<account number>"}``): the scan opens the
  resident's pay pages with the shop already chosen. The pay pages keep every check (signed in,
  the shop's name shown before paying, the amount, the PIN); someone not signed in signs in
  first and comes back to the same step.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtkit.core.errors import ValidationFailed
from buurtkit.core.models import Community
from buurtkit.ledger.models import Account, AccountKind
from buurtkit.ledger.numbers import format_account_number, normalise_account_number
from buurtkit.qrcodes.links import LinkType, register_link_type
from buurtkit.qrcodes.routing import Action, Outcome, Redirect, Target, register_action

LINK_TYPE = "ledger.account"
ACTION = "ledger.pay"


def merchant_account(community: Community, number: str) -> Account | None:
    """The community's merchant account with this number (check digit included), or None."""
    digits = normalise_account_number(str(number or ""))
    if digits is None:
        return None
    return (
        Account.objects.in_community(community)
        .filter(number=digits, kind=AccountKind.MERCHANT)
        .first()
    )


def pay_routes(number: str) -> list[dict[str, Any]]:
    """The routes of a code on a shop's counter: everyone who scans it pays the shop."""
    return [{"name": _("Pay this shop"), "action": ACTION, "params": {"account": number}}]


def pay_url(community_slug: str, number: str) -> str:
    """The resident's pay page with the shop chosen (the "who do you pay?" step is skipped)."""
    url = reverse("web:pay_to", kwargs={"slug": community_slug})
    return f"{url}?{urlencode({'to': number})}"


# --- link type ------------------------------------------------------------------------------


def _describe_link(community: Community, ref: str) -> str | None:
    account = merchant_account(community, ref)
    return account.name if account else None


def _default_routes(community: Community, ref: str) -> list[dict[str, Any]]:
    account = merchant_account(community, ref)
    return pay_routes(account.number) if account else []


# --- route action ---------------------------------------------------------------------------


def _clean(community: Community, params: dict[str, Any]) -> dict[str, Any]:
    account = merchant_account(community, str(params.get("account") or ""))
    if account is None:
        msg = _("Give the account number of a shop of this community.")
        raise ValidationFailed(msg, fields={"account": msg})
    return {"account": account.number}


def _resolve(target: Target) -> Outcome:
    return Redirect(pay_url(target.code.community_slug, target.route.params["account"]))


def _describe(params: dict[str, Any], language: str) -> str:
    number = str(params.get("account") or "")
    shown = format_account_number(number) if len(number) == 9 else number
    return _("pay the shop with account number %(number)s") % {"number": shown}


def register() -> None:
    register_link_type(
        LinkType(LINK_TYPE, gettext_lazy("Shop (pay by scanning)"), _describe_link, _default_routes)
    )
    register_action(
        Action(
            ACTION,
            gettext_lazy("Pay a shop in the neighbourhood currency"),
            _clean,
            _resolve,
            _describe,
        )
    )
