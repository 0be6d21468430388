"""Monitoring's pages: plans, their dashboard and the indicators."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from buurtkit.monitoring.pages.reach_views import person_section
    from buurtkit.web.registry import (
        Link,
        PersonSection,
        register_audit_verbs,
        register_dashboard_tile,
        register_menu_link,
        register_module_pages,
        register_person_section,
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
            "monitoring.profile_saved": _("profile for statistics saved"),
            "monitoring.profile_removed": _("profile for statistics removed"),
            "monitoring.group_figures_saved": _("residents per target group changed"),
            "monitoring.survey_defined": _("survey made"),
            "monitoring.survey_answered": _("survey answered"),
            "monitoring.survey_sent": _("survey link sent"),
            "monitoring.report_requested": _("report asked for"),
        }
    )
    register_person_section(
        PersonSection(
            key="monitoring.profile",
            module="monitoring",
            template="monitoring/_person_card.html",
            context=person_section,
            order=80,
        )
    )
    for key, url_name, label, permission, order in (
        ("monitoring.reach", "web:monitoring_reach", _("Reach per target group"),
         "monitoring.view", 91),
        ("monitoring.surveys", "web:monitoring_surveys", _("Surveys"),
         "monitoring.view|monitoring.surveys", 92),
    ):  # fmt: skip
        register_menu_link(
            Link(key=key, module="monitoring", url_name=url_name, label=label,
                 permission=permission, order=order)
        )  # fmt: skip
