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
        from buurtkit.helpdesk import demo, gdpr, pages, permissions, phone
        from buurtkit.people.hooks import declare_no_personal_data, register_person_data

        register(permissions.PERMISSIONS, permissions.GRANTS, module="helpdesk")
        pages.register()
        phone.register()  # the helpdesk line: its call flow, inbound handler, callback requests
        # After the activities (35: the digibuddies) and the device bank.
        register_demo_loader("helpdesk", 50, demo.load)
        declare_no_personal_data(
            "helpdesk.Team",
            "helpdesk.Category",
            "helpdesk.HelpdeskSettings",
            "helpdesk.StandardAnswer",
            "helpdesk.Article",
            reason="the helpdesk's set-up: teams, categories, ready answers and help pages",
        )
        register_person_data(
            "helpdesk",
            models=("helpdesk.Ticket", "helpdesk.TicketMessage", "helpdesk.PhoneRecording"),
            export=gdpr.export,
            anonymise=gdpr.anonymise,
        )
        scheduler.register(
            "helpdesk_retention",
            scheduler.daily_at("03:55"),
            "buurtkit.helpdesk.services.retention_sweep",
            title=_("Anonymise closed helpdesk tickets past the retention period"),
        )
