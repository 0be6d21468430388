from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "buurtkit.web"
    label = "web"
