from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LendingConfig(AppConfig):
    name = "buurtkit.lending"
    label = "lending"
    verbose_name = _("Device bank")

    def ready(self) -> None:
        from buurtkit.core.permissions import register
        from buurtkit.lending import permissions
        from buurtkit.people.hooks import declare_no_personal_data

        register(permissions.PERMISSIONS, permissions.GRANTS, module="lending")
        declare_no_personal_data(
            "lending.Donation",
            "lending.Device",
            "lending.DeviceEvent",
            reason="the stock: donors are organisations, events name the staff who did them",
        )
