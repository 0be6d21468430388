"""What web's shared pages show of the device bank's overview and repairs."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from buurtkit.web.registry import (
        Link,
        register_audit_verbs,
        register_menu_link,
        register_module_pages,
    )

    register_module_pages("lending")
    register_menu_link(
        Link(
            key="lending.overview",
            module="lending",
            url_name="web:lending_overview",
            label=_("Device bank figures"),
            permission="lending.view",
            order=60,
        )
    )
    register_menu_link(
        Link(
            key="lending.repairs",
            module="lending",
            url_name="web:lending_repairs",
            label=_("Repairs"),
            permission="lending.repair",
            order=62,
        )
    )
    register_audit_verbs(
        {
            "lending.repair_opened": _("repair ticket opened"),
            "lending.repair_started": _("repair started"),
            "lending.repair_closed": _("repair ticket closed"),
            "lending.loan_ended_by_repair": _("loan ended: the device was written off"),
        }
    )
