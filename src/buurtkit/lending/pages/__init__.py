"""The device bank's pages. ``urls*.py`` list the routes (the root URLconf puts them under
``/<slug>/`` in the ``web`` namespace); ``register()`` tells web's shared pages about them:
the whole lending menu, the dashboard tiles and the audit log's words, in one place."""

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

    register_module_pages("lending")
    for link in (
        Link(
            key="lending.devices",
            module="lending",
            url_name="web:lending_devices",
            label=_("Device bank"),
            permission="lending.view",
            order=30,
        ),
        Link(
            key="lending.counter",
            module="lending",
            url_name="web:lending_counter",
            label=_("Hand over"),
            permission="lending.hand_over",
            order=31,
        ),
        Link(
            key="lending.overview",
            module="lending",
            url_name="web:lending_overview",
            label=_("Device bank figures"),
            permission="lending.view",
            order=60,
        ),
        Link(
            key="lending.referrals",
            module="lending",
            url_name="web:lending_referrals",
            label=_("Device requests"),
            permission="lending.refer",
            order=62,
        ),
        # Staff follow every repair; a referrer the repairs of their own households.
        Link(
            key="lending.repairs",
            module="lending",
            url_name="web:lending_repairs",
            label=_("Repairs"),
            permission="lending.repair|lending.refer",
            order=62,
        ),
        Link(
            key="lending.referral_queue",
            module="lending",
            url_name="web:lending_referral_queue",
            label=_("Request queue"),
            permission="lending.triage",
            order=63,
        ),
        Link(
            key="lending.agreement_texts",
            module="lending",
            url_name="web:lending_agreement_texts",
            label=_("Agreement texts"),
            permission="lending.agreements",
            order=64,
        ),
    ):
        register_menu_link(link)

    register_dashboard_tile(
        Link(
            key="lending.stock",
            module="lending",
            url_name="web:lending_devices",
            label=_("Device bank stock"),
            summary=_("Devices per kind and state; take in a donation, print QR labels."),
            permission="lending.view",
            order=30,
        )
    )
    register_dashboard_tile(
        Link(
            key="lending.loans",
            module="lending",
            url_name="web:lending_loans",
            label=_("Loans"),
            summary=_("Devices on loan: due, overdue, not reached by the reminders."),
            permission="lending.hand_over",
            order=31,
        )
    )
    register_audit_verbs(
        {
            # stock
            "lending.donation_received": _("donated devices taken in"),
            "lending.device_event": _("device step recorded"),
            "lending.labels_made": _("QR labels made for devices"),
            "lending.device_photo_added": _("photo of a device added"),
            "lending.device_photo_removed": _("photo of a device removed"),
            # referrals
            "lending.referral_filed": _("device requested for a household"),
            "lending.referral_approved": _("device request approved"),
            "lending.referral_refused": _("device request refused"),
            "lending.referral_cancelled": _("device request withdrawn"),
            "lending.referral_matched": _("device set aside for a request"),
            "lending.referral_invited": _("resident invited to pick up a device"),
            "lending.cap_set": _("partner's limit of requests set"),
            "lending.cap_removed": _("partner's limit of requests removed"),
            # hand-overs, agreements and loans
            "lending.handed_over": _("devices handed over with a signed agreement"),
            "lending.agreement_text_published": _("agreement text published"),
            "lending.agreement_emailed": _("copy of the agreement e-mailed"),
            "lending.loan_extended": _("loan extended"),
            "lending.loan_returned": _("lent device taken back"),
            "lending.loan_lost": _("loan closed as lost"),
            # repairs
            "lending.repair_opened": _("repair ticket opened"),
            "lending.repair_started": _("repair started"),
            "lending.repair_closed": _("repair ticket closed"),
            "lending.loan_ended_by_repair": _("loan ended: the device was written off"),
        }
    )
