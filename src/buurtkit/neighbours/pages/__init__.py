"""Buurbel's pages: the dashboard, costs and prices, participants, rules and matching runs,
introductions and call-backs, announcements, and the residents' own page to join.
``urls.py`` lists the routes; ``register()`` tells web's shared pages about them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from buurtkit.web import registry
    from buurtkit.web.registry import Link

    registry.register_module_pages("neighbours")
    registry.register_menu_link(
        Link(
            key="neighbours",
            module="neighbours",
            url_name="web:buurbel",
            label=_("Buurbel"),
            permission="neighbours.view",
            order=20,
        )
    )
    registry.register_menu_link(
        Link(
            key="neighbours.partner",
            module="neighbours",
            url_name="web:buurbel_partner",
            label=_("Buurbel: our participants"),
            permission="neighbours.refer",
            order=21,
        )
    )
    registry.register_audit_verbs(
        {
            "neighbours.follow_up_set": _("marked: needs follow-up"),
            "neighbours.follow_up_done": _("follow-up done"),
        }
    )
    registry.register_resident_link(
        Link(
            key="neighbours.join",
            module="neighbours",
            url_name="web:buurbel_join",
            label=_("Buurbel: meet a neighbour"),
            needs_person=True,
            order=20,
        )
    )
