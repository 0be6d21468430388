from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    name = "buurtkit.places"
    label = "places"
    verbose_name = _("Places")

    def ready(self) -> None:
        from buurtkit.places import indicators

        indicators.register()  # what monitoring counts (core.indicators)
        from buurtkit.core.demo import register_demo_loader
        from buurtkit.core.permissions import register
        from buurtkit.people.hooks import declare_no_personal_data, register_person_data
        from buurtkit.places import demo, gdpr, pages, permissions

        register(permissions.PERMISSIONS, permissions.GRANTS)
        register_person_data(
            "places",
            models=("places.OpeningHours",),
            export=gdpr.export,
            anonymise=gdpr.anonymise,
        )
        declare_no_personal_data(
            "places.Place",
            "places.Municipality",
            "places.OpeningException",
            reason="a venue's public contact details and hours, no one's personal data",
        )
        register_demo_loader("places", 15, demo.load)
        pages.register()  # the staff menu's "Places"; the directory is public
