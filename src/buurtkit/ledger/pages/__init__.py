"""The ledger's pages: paying with one phone, accounts, payment requests, exchange offices,
issuing and the currency overview. ``urls.py`` lists the routes (the root URLconf puts them
under ``/<slug>/`` in the ``web`` namespace); ``register()`` tells web's shared pages about them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from buurtkit.web import registry
    from buurtkit.web.registry import HomeSection, Link, PersonSection

    registry.register_module_pages("ledger")
    registry.register_dashboard_tile(
        Link(
            key="ledger.exchange",
            module="ledger",
            url_name="web:exchange_offices",
            label=_("Exchange office"),
            summary=_("Paper notes in and out, the till and the daily count."),
            permission="ledger.exchange",
            order=10,
        )
    )
    registry.register_dashboard_tile(
        Link(
            key="ledger.overview",
            module="ledger",
            url_name="web:ledger_overview",
            label=_("Currency overview"),
            summary=_(
                "Money issued, on paper, digital and converted to euro; activity per week and per shop."
            ),
            permission="ledger.view",
            order=20,
        )
    )
    registry.register_dashboard_tile(
        Link(
            key="ledger.issuing",
            module="ledger",
            url_name="web:issuing",
            label=_("Reward volunteers"),
            summary=_("Give torekes for volunteering; approve large rewards of a colleague."),
            permission="ledger.issue",
            order=15,
        )
    )
    registry.register_dashboard_tile(
        Link(
            key="ledger.setup",
            module="ledger",
            url_name="web:ledger_setup",
            label=_("Set up the currency"),
            summary=_("The currency, exchange offices, budgets and the shops that accept it."),
            permission="ledger.manage",
            order=25,
        )
    )
    registry.register_resident_link(
        Link(
            key="ledger.pay",
            module="ledger",
            url_name="web:pay_home",
            label=_("Pay and see your account"),
            primary=True,
            needs_person=True,
            order=10,
        )
    )
    registry.register_home_section(
        HomeSection(
            key="ledger.shop",
            module="ledger",
            template="ledger/_shop_home.html",
            context=_shop_home,
            order=10,
        )
    )
    registry.register_person_section(
        PersonSection(
            key="ledger.currency",
            module="ledger",
            template="ledger/_person_card.html",
            context=_currency_card,
            order=10,
        )
    )
    registry.register_audit_verbs(
        {
            "ledger.pin_set": _("payment PIN set"),
            "ledger.pin_reset": _("payment PIN reset at the counter"),
            "ledger.pin_wrong": _("wrong payment PIN"),
            "ledger.pin_locked": _("payment PIN locked"),
            "ledger.sessions_ended": _("signed out everywhere (lost phone)"),
        }
    )


def _currency_card(actor: Any, person_id: int) -> dict[str, Any] | None:
    """The person page's "Currency" card (staff with ledger rights only)."""
    from buurtkit.ledger.pages.views import currency_card

    card = currency_card(actor, person_id)
    return {"currency": card} if card else None


def _shop_home(actor: Any) -> dict[str, Any] | None:
    """The shop's home: its balance, today's payments and its payment screen."""
    from buurtkit.ledger.pages.views import shop_home_context

    return shop_home_context(actor)
