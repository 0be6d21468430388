"""Paying a shop (or a neighbour) by scanning the QR code of their account.

Two additions to the QR code registries:

- the link type ``ledger.account``: a code sits on an account that can be paid (a shop, an
  organisation or a resident, by number); a blank sticker claimed for one gets a "pay" route
  by itself. ``services.account_qr_code`` gives every such account its one linked code;
- the route action ``ledger.pay`` (``{"account": "<account number>"}``): the scan opens the
  resident's pay pages with the payee already chosen. The pay pages keep every check (signed in,
  the payee's name shown before paying, the amount, the PIN); a shop or organisation goes
  straight to "how much?", a resident's code first shows "is this the right person?" (a code
  passed around between neighbours is easier to swap than one on a shop's counter). Someone not
  signed in signs in first and comes back to the same step.
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


PAYABLE_KINDS = (AccountKind.MERCHANT, AccountKind.ORGANISATION, AccountKind.RESIDENT)


def payable_account(community: Community, number: str) -> Account | None:
    """The community's account with this number that people can pay (a shop, an organisation
    or a resident; never a till or a system account), or None."""
    digits = normalise_account_number(str(number or ""))
    if digits is None:
        return None
    return (
        Account.objects.in_community(community)
        .filter(number=digits, kind__in=PAYABLE_KINDS)
        .first()
    )


def pay_routes(number: str, kind: str = AccountKind.MERCHANT) -> list[dict[str, Any]]:
    """The routes of an account's code: everyone who scans it pays that account."""
    name = _("Pay this shop") if kind == AccountKind.MERCHANT else _("Pay this account")
    return [{"name": name, "action": ACTION, "params": {"account": number}}]


def pay_url(community_slug: str, number: str) -> str:
    """The resident's pay page with the shop chosen (the "who do you pay?" step is skipped)."""
    url = reverse("web:pay_to", kwargs={"slug": community_slug})
    return f"{url}?{urlencode({'to': number})}"


# --- link type ------------------------------------------------------------------------------


def _describe_link(community: Community, ref: str) -> str | None:
    account = payable_account(community, ref)
    return account.name if account else None


def _default_routes(community: Community, ref: str) -> list[dict[str, Any]]:
    account = payable_account(community, ref)
    return pay_routes(account.number, account.kind) if account else []


# --- route action ---------------------------------------------------------------------------


def _clean(community: Community, params: dict[str, Any]) -> dict[str, Any]:
    account = payable_account(community, str(params.get("account") or ""))
    if account is None:
        msg = _("Give the account number of a shop or a resident of this community.")
        raise ValidationFailed(msg, fields={"account": msg})
    return {"account": account.number}


def _resolve(target: Target) -> Outcome:
    return Redirect(pay_url(target.code.community_slug, target.route.params["account"]))


def _describe(params: dict[str, Any], language: str) -> str:
    number = str(params.get("account") or "")
    shown = format_account_number(number) if len(number) == 9 else number
    return _("pay the account with number %(number)s") % {"number": shown}


def register() -> None:
    register_link_type(
        LinkType(
            LINK_TYPE, gettext_lazy("Account (pay by scanning)"), _describe_link, _default_routes
        )
    )
    register_action(
        Action(
            ACTION,
            gettext_lazy("Pay a shop or a neighbour in the neighbourhood currency"),
            _clean,
            _resolve,
            _describe,
        )
    )
