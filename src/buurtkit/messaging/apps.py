from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "buurtkit.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from buurtkit.core import scheduler
        from buurtkit.messaging import gdpr, invitations
        from buurtkit.people.hooks import register_invitation_mailer, register_person_data

        register_person_data(
            "messages",
            models=("messaging.Message",),
            export=gdpr.export_messages,
            anonymise=gdpr.anonymise_messages,
        )
        register_invitation_mailer("email", invitations.send_invitation)
        # Run by ``buurtkit worker``; once by hand: ``buurtkit requeue_messages``.
        scheduler.register(
            "requeue_messages",
            scheduler.every(minutes=5),
            "buurtkit.messaging.services.messages_requeue_stale",
            title=_("Send again the messages a stopped worker left behind"),
        )
