"""Monitoring's pages: plans, their dashboard and the indicators."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from buurtkit.web.registry import (
        Link,
        register_audit_verbs,
        register_dashboard_tile,
        register_menu_link,
        register_module_pages,
    )

    register_module_pages("monitoring")
    register_menu_link(
        Link(
            key="monitoring.plans",
            module="monitoring",
            url_name="web:monitoring_plans",
            label=_("Monitoring"),
            permission="monitoring.view",
            order=90,
        )
    )
    register_dashboard_tile(
        Link(
            key="monitoring.plans",
            module="monitoring",
            url_name="web:monitoring_plans",
            label=_("Monitoring"),
            permission="monitoring.view",
            summary=_("Targets, progress and budget of your plans"),
            order=90,
        )
    )
    register_audit_verbs(
        {
            "monitoring.plan_created": _("plan made"),
            "monitoring.plan_changed": _("plan changed"),
            "monitoring.objective_created": _("objective added"),
            "monitoring.target_created": _("target added"),
            "monitoring.target_changed": _("target changed"),
            "monitoring.target_removed": _("target removed"),
            "monitoring.budget_line_created": _("budget line added"),
            "monitoring.spending_added": _("spending entered"),
            "monitoring.milestone_created": _("milestone added"),
            "monitoring.milestone_changed": _("milestone changed"),
            "monitoring.report_requested": _("report asked for"),
        }
    )
