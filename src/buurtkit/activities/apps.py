from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "buurtkit.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from buurtkit.activities import indicators

        indicators.register()  # what monitoring counts (core.indicators)
        from buurtkit.activities import calls, demo, gdpr, pages, permissions
        from buurtkit.core import scheduler
        from buurtkit.core.demo import register_demo_loader, register_demo_logins
        from buurtkit.core.permissions import register
        from buurtkit.people.hooks import declare_no_personal_data, register_person_data

        register(permissions.PERMISSIONS, permissions.GRANTS, module="activities")
        pages.register()  # the resident home's link and the audit log's words
        calls.register()  # the automated reminder call's flow
        # After the places (15) and the residents (10): the programme at the digipunten.
        register_demo_loader("activities", 35, demo.load)
        register_demo_logins([("volunteer", "digibuddy")])  # a digibuddy's own schedule
        declare_no_personal_data(
            "activities.Category",
            "activities.Series",
            "activities.Session",
            "activities.ActivitySettings",
            "activities.DigipuntSlot",
            reason="the programme: titles, places, times, seat counts and digibuddies needed",
        )
        register_person_data(
            "activities",
            models=(
                "activities.Registration",
                "activities.Volunteer",
                "activities.Duty",
                "activities.Evaluation",
            ),
            export=gdpr.export,
            anonymise=gdpr.anonymise,
        )
        # A waiting-list offer that was not accepted in time passes the seat on.
        scheduler.register(
            "activities_offers",
            scheduler.every(minutes=5),
            "buurtkit.activities.services.offers_expire",
            title=_("Pass on the seats of waiting-list offers that expired"),
            demo_every=30,
        )
        # The day-before reminders, each morning.
        scheduler.register(
            "activities_reminders",
            scheduler.daily_at("10:00"),
            "buurtkit.activities.services.reminders_send",
            title=_("Remind people of tomorrow's sessions"),
        )
        # act-ops (issue 13): participants' data past the community's retention period.
        scheduler.register(
            "activities_retention",
            scheduler.daily_at("03:45"),
            "buurtkit.activities.services.retention_sweep",
            title=_("Anonymise participants of sessions past the retention period"),
        )
        # After a course's last session (or a single session): the evaluation link.
        scheduler.register(
            "activities_evaluations",
            scheduler.every(hours=1),
            "buurtkit.activities.services.evaluations_ask",
            title=_("Ask the people who came what they thought of it"),
        )
