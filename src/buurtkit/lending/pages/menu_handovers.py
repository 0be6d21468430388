"""The counter's pages in web's shared pages: the menu's "At the counter", a dashboard tile
for the loans, and the words of the hand-over and loan audit verbs."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from buurtkit.web import registry
    from buurtkit.web.registry import Link

    registry.register_module_pages("lending")
    registry.register_menu_link(
        Link(
            key="lending.counter",
            module="lending",
            url_name="web:lending_counter",
            label=_("Hand over"),
            permission="lending.hand_over",
            order=31,
        )
    )
    registry.register_dashboard_tile(
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
    registry.register_audit_verbs(
        {
            "lending.handed_over": _("devices handed over with a signed agreement"),
            "lending.agreement_text_published": _("agreement text published"),
            "lending.agreement_emailed": _("copy of the agreement e-mailed"),
            "lending.loan_extended": _("loan extended"),
            "lending.loan_returned": _("lent device taken back"),
            "lending.loan_lost": _("loan closed as lost"),
        }
    )
