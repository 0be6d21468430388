from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "buurtkit.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from buurtkit.core.demo import register_demo_loader, register_demo_logins
        from buurtkit.people import demo, gdpr

        gdpr.register()

        register_demo_loader("people", 10, demo.load)
        register_demo_logins(
            [(role, username) for username, role, _org in demo.STAFF] + [("resident", "bewoner")]
        )
