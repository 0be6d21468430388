from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "buurtkit.ledger"
    label = "ledger"
    verbose_name = _("Neighbourhood currency")

    def ready(self) -> None:
        from buurtkit.core.permissions import register
        from buurtkit.ledger import permissions

        register(permissions.PERMISSIONS, permissions.GRANTS)
