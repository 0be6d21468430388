from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "buurtkit.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        from buurtkit.core import scheduler
        from buurtkit.core.demo import register_demo_loader
        from buurtkit.core.permissions import register
        from buurtkit.monitoring import demo, demo_reach, gdpr, pages, permissions
        from buurtkit.people.hooks import declare_no_personal_data, register_person_data

        register(permissions.PERMISSIONS, permissions.GRANTS, module="monitoring")
        declare_no_personal_data(
            "monitoring.Plan",
            "monitoring.Objective",
            "monitoring.Target",
            "monitoring.BudgetLine",
            "monitoring.Spending",
            "monitoring.Milestone",
            "monitoring.IndicatorCount",
            "monitoring.IndicatorRun",
            reason="a plan, its budget and counts: no one's personal data",
        )
        declare_no_personal_data(
            "monitoring.IndicatorSubject",
            reason="ids of people counted once per month (never names); anonymising a person "
            "keeps the id, so they stay in the counts without being identifiable here",
        )
        declare_no_personal_data(
            "monitoring.GroupFigure",
            "monitoring.Survey",
            "monitoring.SurveyQuestion",
            "monitoring.SurveyAnswer",
            reason="population figures per target group, survey questions and answers on a scale "
            "(the answers' person is on their response, exported there)",
        )
        register_person_data(
            "monitoring",
            models=("monitoring.Profile", "monitoring.SurveyResponse", "monitoring.SurveyLink"),
            export=gdpr.export,
            anonymise=gdpr.anonymise,
        )
        register_demo_loader("monitoring", 90, demo.load)
        register_demo_loader("monitoring_reach", 91, demo_reach.load)  # after the recount
        scheduler.register(
            "monitoring_recount",
            scheduler.every(minutes=15),
            "buurtkit.monitoring.rollup.recount_all",
            title=_("Count the indicators of the last months again (monitoring)"),
            demo_every=60,
        )
        pages.register()
