"""The helpdesk's pages: the staff queue, a ticket, filing a ticket, the categories, and the
public help pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    """Tell web's shared pages about the helpdesk."""
    from buurtkit.helpdesk.pages.views_chat import box_context
    from buurtkit.web.registry import (
        Link,
        PortalPart,
        register_audit_verbs,
        register_menu_link,
        register_module_pages,
        register_portal_part,
        register_resident_link,
    )

    register_module_pages("helpdesk")
    register_menu_link(
        Link(
            key="helpdesk.queue",
            module="helpdesk",
            url_name="web:helpdesk_queue",
            label=_("Helpdesk"),
            permission="helpdesk.view",
            summary=_("Questions from every channel, late ones first in view"),
            order=65,
        )
    )
    register_menu_link(
        Link(
            key="helpdesk.mine",
            module="helpdesk",
            url_name="web:helpdesk_queue",
            label=_("My helpdesk questions"),
            permission="helpdesk.buddy",
            summary=_("The questions handed to you as a digibuddy"),
            order=66,
        )
    )
    register_menu_link(
        Link(
            key="helpdesk.categories",
            module="helpdesk",
            url_name="web:helpdesk_categories",
            label=_("Helpdesk categories"),
            permission="helpdesk.manage",
            summary=_("Topics, teams and deadlines"),
            order=67,
        )
    )
    register_menu_link(
        Link(
            key="helpdesk.overview",
            module="helpdesk",
            url_name="web:helpdesk_overview",
            label=_("Helpdesk overview"),
            permission="helpdesk.view",
            summary=_("Queues, answer times, home visits against the target and the budget"),
            order=68,
        )
    )
    register_menu_link(
        Link(
            key="helpdesk.visits",
            module="helpdesk",
            url_name="web:helpdesk_visits",
            label=_("My home visits"),
            permission="helpdesk.buddy",
            summary=_("The visits at home planned for you, with the address"),
            order=69,
        )
    )
    register_resident_link(
        Link(
            key="helpdesk.help",
            module="helpdesk",
            url_name="web:helpdesk_help",
            label=_("Help with online services"),
            order=75,
        )
    )
    register_portal_part(
        PortalPart(
            key="helpdesk.chat",
            module="helpdesk",
            template="helpdesk/chat/_box.html",
            context=box_context,
        )
    )
    register_audit_verbs(
        {
            "helpdesk.ticket_created": _("filed a helpdesk ticket"),
            "helpdesk.reply_added": _("answered a helpdesk ticket"),
            "helpdesk.note_added": _("wrote a note on a helpdesk ticket"),
            "helpdesk.incoming_added": _("added a resident's message to a ticket"),
            "helpdesk.status_changed": _("changed a helpdesk ticket's status"),
            "helpdesk.assigned": _("assigned a helpdesk ticket"),
            "helpdesk.ticket_changed": _("changed a helpdesk ticket"),
            "helpdesk.category_saved": _("saved a helpdesk category"),
            "helpdesk.team_saved": _("saved a helpdesk team"),
            "helpdesk.answer_saved": _("saved a standard answer"),
            "helpdesk.article_saved": _("saved a help page"),
            "helpdesk.chat_duty": _("went on or off chat duty"),
            "helpdesk.settings_changed": _("changed the helpdesk settings"),
            "helpdesk.categories_seeded": _("set up the helpdesk categories"),
            "helpdesk.tickets_anonymised": _("anonymised old helpdesk tickets"),
            "helpdesk.home_need_set": _("recorded what a person needs at home"),
            "helpdesk.visit_planned": _("planned a home visit"),
            "helpdesk.visit_checked_in": _("checked in at a home visit"),
            "helpdesk.visit_checked_out": _("checked out of a home visit"),
            "helpdesk.visit_reported": _("wrote a home-visit report"),
            "helpdesk.visit_cancelled": _("cancelled a home visit"),
            "helpdesk.visit_no_show": _("recorded that nobody was home"),
            "helpdesk.services_seeded": _("set up the list of public services"),
            "helpdesk.service_saved": _("saved a public service"),
            "helpdesk.barriers_set": _("tagged a ticket with where the resident got stuck"),
            "helpdesk.quarantine_decided": _("decided on a quarantined helpdesk e-mail"),
            "helpdesk.survey_answered": _("answered the helpdesk satisfaction question"),
        }
    )
