from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "buurtkit.messaging"
    label = "messaging"
