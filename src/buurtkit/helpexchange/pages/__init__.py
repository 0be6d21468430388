"""The help exchange's pages, and what it tells web's shared pages (menu, tiles, links)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from buurtkit.web.registry import (
        Link,
        register_audit_verbs,
        register_dashboard_tile,
        register_menu_link,
        register_module_pages,
        register_resident_link,
    )

    register_module_pages("helpexchange")
    register_menu_link(
        Link(
            key="helpexchange.staff",
            module="helpexchange",
            url_name="web:helpexchange_staff",
            label=_("Help exchange"),
            permission="helpexchange.view",
            order=45,
        )
    )
    register_dashboard_tile(
        Link(
            key="helpexchange.overview",
            module="helpexchange",
            url_name="web:helpexchange_overview",
            label=_("Help exchange"),
            permission="helpexchange.view",
            summary=_("Requests, offers and deals; torekes rewarded"),
            order=45,
        )
    )
    register_resident_link(
        Link(
            key="helpexchange.public",
            module="helpexchange",
            url_name="web:helpexchange_public",
            label=_("Ask for help or offer help"),
            order=45,
        )
    )
    register_resident_link(
        Link(
            key="helpexchange.mine",
            module="helpexchange",
            url_name="web:helpexchange_mine",
            label=_("My requests, offers and appointments"),
            needs_person=True,
            order=46,
        )
    )
    register_audit_verbs(
        {
            "helpexchange.post_created": _("help post added"),
            "helpexchange.post_cancelled": _("help post taken back"),
            "helpexchange.post_expired": _("help post expired"),
            "helpexchange.post_reported": _("help post reported"),
            "helpexchange.post_hidden": _("help post hidden"),
            "helpexchange.post_shown": _("help post shown again"),
            "helpexchange.responded": _("answered a help post"),
            "helpexchange.deal_agreed": _("help agreed"),
            "helpexchange.deal_confirmed": _("help confirmed by one side"),
            "helpexchange.deal_done": _("help done"),
            "helpexchange.deal_cancelled": _("help cancelled"),
            "helpexchange.deal_expired": _("help expired"),
            "helpexchange.person_blocked": _("person blocked in the help exchange"),
            "helpexchange.person_unblocked": _("person unblocked in the help exchange"),
            "helpexchange.posts_anonymised": _("old help posts anonymised"),
            "helpexchange.settings_set": _("help exchange settings changed"),
        }
    )
