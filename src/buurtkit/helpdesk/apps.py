from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    name = "buurtkit.helpdesk"
    label = "helpdesk"
    verbose_name = _("Helpdesk")

    def ready(self) -> None:
        from buurtkit.core import scheduler
        from buurtkit.core.demo import register_demo_loader
        from buurtkit.core.permissions import register
        from buurtkit.helpdesk import (
            demo,
            gdpr,
            indicators,
            pages,
            permissions,
            phone,
            phone_survey,
            tracks,
        )
        from buurtkit.helpdesk.services import mail
        from buurtkit.people.hooks import declare_no_personal_data, register_person_data

        indicators.register()
        register(permissions.PERMISSIONS, permissions.GRANTS, module="helpdesk")
        pages.register()
        mail.register()  # each mail of a "helpdesk" mailbox: a ticket, a reply or quarantine
        phone_survey.register()  # the satisfaction question by phone (a keypress)
        tracks.register()  # a person's digital track (monitoring)
        phone.register()  # the helpdesk line: its call flow, inbound handler, callback requests
        # After the activities (35: the digibuddies) and the device bank.
        register_demo_loader("helpdesk", 50, demo.load)
        declare_no_personal_data(
            "helpdesk.Team",
            "helpdesk.Category",
            "helpdesk.HelpdeskSettings",
            "helpdesk.StandardAnswer",
            "helpdesk.Article",
            "helpdesk.PublicService",
            "helpdesk.MailThread",
            "helpdesk.Survey",
            reason="the helpdesk's set-up: teams, categories, ready answers and help pages",
        )
        register_person_data(
            "helpdesk",
            models=(
                "helpdesk.Ticket",
                "helpdesk.TicketMessage",
                "helpdesk.HomeHelpNeed",
                "helpdesk.HomeVisit",
                "helpdesk.Barrier",
                "helpdesk.TicketMail",
                "helpdesk.QuarantinedMail",
                "helpdesk.PhoneRecording",
            ),
            export=gdpr.export,
            anonymise=gdpr.anonymise,
        )
        scheduler.register(
            "helpdesk_retention",
            scheduler.daily_at("03:55"),
            "buurtkit.helpdesk.services.retention_sweep",
            title=_("Anonymise closed helpdesk tickets past the retention period"),
        )
        # The day-before reminders of home visits, each morning (after the sessions' ones).
        scheduler.register(
            "helpdesk_visit_reminders",
            scheduler.daily_at("10:05"),
            "buurtkit.helpdesk.services.visit_reminders_send",
            title=_("Remind people of tomorrow's home visits"),
        )
