"""Activities' pages: the public programme with its sign-up, and the cancel link."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    """Tell web's shared pages about activities."""
    from buurtkit.web.registry import (
        Link,
        register_audit_verbs,
        register_menu_link,
        register_module_pages,
        register_resident_link,
    )

    register_module_pages("activities")
    register_menu_link(
        Link(
            key="activities.manage",
            module="activities",
            url_name="web:activities_manage",
            label=_("Activities"),
            permission="activities.view",
            summary=_("This week's sessions, who comes, check-in"),
            order=60,
        )
    )
    # act-figures: the overview with its charts and exports.
    register_menu_link(
        Link(
            key="activities.figures",
            module="activities",
            url_name="web:activities_figures",
            label=_("Activity figures"),
            permission="activities.view",
            summary=_("Who came, per month, kind, topic and neighbourhood; downloads"),
            order=61,
        )
    )
    # act-ops (issue 13): partners refer people; staff see every partner's referrals.
    register_menu_link(
        Link(
            key="activities.referrals",
            module="activities",
            url_name="web:activities_referrals",
            label=_("Refer to an activity"),
            permission="activities.register",
            summary=_("Sign up someone you help, and see whether they came"),
            order=62,
        )
    )
    register_resident_link(
        Link(
            key="activities.programme",
            module="activities",
            url_name="web:activities_programme",
            label=_("Courses and IT cafés"),
            order=70,
        )
    )
    # act-buddy (issue 13): the digibuddy register.
    register_menu_link(
        Link(
            key="activities.volunteers",
            module="activities",
            url_name="web:activities_volunteers",
            label=_("Digibuddies"),
            permission="activities.volunteers",
            summary=_("The volunteer register, duties and gaps"),
            order=61,
        )
    )
    register_menu_link(
        Link(
            key="activities.my_duties",
            module="activities",
            url_name="web:activities_my_duties",
            label=_("My duties"),
            permission="activities.duties",
            needs_person=True,
            summary=_("When you help as a digibuddy; cancel or swap"),
            order=62,
        )
    )
    register_audit_verbs(
        {
            "activities.volunteer_added": _("digibuddy added to the register"),
            "activities.volunteer_changed": _("digibuddy register changed"),
            "activities.volunteer_certified": _("digibuddy certified"),
            "activities.duty_planned": _("duty planned"),
            "activities.duty_cancelled": _("duty cancelled"),
            "activities.duty_swap_offered": _("duty offered for a swap"),
            "activities.duty_taken_over": _("duty taken over"),
            "activities.gap_asked": _("volunteers asked to fill a gap"),
        }
    )
    register_audit_verbs(
        {
            "activities.series_created": _("activity planned"),
            "activities.session_added": _("session added"),
            "activities.registered": _("signed up for a session"),
            "activities.cancelled": _("sign-up cancelled"),
            "activities.offer_accepted": _("waiting-list seat accepted"),
            "activities.attendance": _("attendance noted"),
            "activities.names_exported": _("attendance with names downloaded"),
            "activities.retention": _("old participants' data anonymised"),
            "activities.settings": _("activity settings changed"),
            "activities.evaluated": _("evaluation given"),
        }
    )
