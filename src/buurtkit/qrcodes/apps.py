from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QrcodesConfig(AppConfig):
    name = "buurtkit.qrcodes"
    label = "qrcodes"
    verbose_name = _("QR codes")

    def ready(self) -> None:
        from buurtkit.core.permissions import register
        from buurtkit.qrcodes import actions, permissions  # noqa: F401 - registers the actions

        register(permissions.PERMISSIONS, permissions.GRANTS)
