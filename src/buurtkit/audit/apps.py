from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "buurtkit.audit"
    label = "audit"
