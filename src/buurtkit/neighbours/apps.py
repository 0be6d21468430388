from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeighboursConfig(AppConfig):
    name = "buurtkit.neighbours"
    label = "neighbours"
    verbose_name = _("Buurbel")

    def ready(self) -> None:
        from buurtkit.core.permissions import register
        from buurtkit.neighbours import gdpr, introductions, permissions
        from buurtkit.people.hooks import register_person_data

        register(permissions.PERMISSIONS, permissions.GRANTS)
        introductions.register()
        register_person_data("buurbel", export=gdpr.export, anonymise=gdpr.anonymise)
