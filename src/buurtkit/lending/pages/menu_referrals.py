"""What web's shared pages show of the referral pages: menu links and the log's words."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from buurtkit.web.registry import Link, register_audit_verbs, register_menu_link

    register_menu_link(
        Link(
            key="lending.referrals",
            module="lending",
            url_name="web:lending_referrals",
            label=_("Device requests"),
            permission="lending.refer",
            order=62,
        )
    )
    register_menu_link(
        Link(
            key="lending.referral_queue",
            module="lending",
            url_name="web:lending_referral_queue",
            label=_("Request queue"),
            permission="lending.triage",
            order=63,
        )
    )
    register_audit_verbs(
        {
            "lending.referral_filed": _("device requested for a household"),
            "lending.referral_approved": _("device request approved"),
            "lending.referral_refused": _("device request refused"),
            "lending.referral_cancelled": _("device request withdrawn"),
            "lending.referral_matched": _("device set aside for a request"),
            "lending.referral_invited": _("resident invited to pick up a device"),
            "lending.cap_set": _("partner's limit of requests set"),
            "lending.cap_removed": _("partner's limit of requests removed"),
        }
    )
