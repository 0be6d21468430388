from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "buurtkit.telephony"
    label = "telephony"
    verbose_name = _("Telephony")

    def ready(self) -> None:
        from buurtkit.core.demo import register_demo_loader
        from buurtkit.core.permissions import register
        from buurtkit.messaging.providers import register_sms_provider
        from buurtkit.telephony import demo, flows, gdpr, permissions
        from buurtkit.telephony.interface import register_provider
        from buurtkit.telephony.providers.simulator import SimulatorProvider
        from buurtkit.telephony.providers.twilio import TwilioProvider

        register(permissions.PERMISSIONS, permissions.GRANTS)
        register_provider("twilio", TwilioProvider)
        register_provider("simulator", SimulatorProvider)
        register_sms_provider("twilio", TwilioProvider)
        flows.register()
        gdpr.register()  # calls and SMS in a person's export and anonymisation
        register_demo_loader("telephony", 40, demo.load)
