from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeighboursConfig(AppConfig):
    name = "buurtkit.neighbours"
    label = "neighbours"
    verbose_name = _("Buurbel")
