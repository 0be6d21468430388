from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LendingConfig(AppConfig):
    name = "buurtkit.lending"
    label = "lending"
    verbose_name = _("Device bank")

    def ready(self) -> None:
        from buurtkit.core.permissions import register
        from buurtkit.lending import permissions

        register(permissions.PERMISSIONS, permissions.GRANTS, module="lending")
