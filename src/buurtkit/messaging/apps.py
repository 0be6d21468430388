from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "buurtkit.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from buurtkit.core import scheduler
        from buurtkit.messaging import gdpr, invitations
        from buurtkit.people.hooks import (
            declare_no_personal_data,
            register_invitation_mailer,
            register_person_data,
        )

        register_person_data(
            "messages",
            models=("messaging.Message",),
            export=gdpr.export_messages,
            anonymise=gdpr.anonymise_messages,
        )
        register_person_data(
            "inbound_mail",
            models=("messaging.InboundMail", "messaging.InboundAttachment"),
            export=gdpr.export_inbound_mail,
            anonymise=gdpr.anonymise_inbound_mail,
        )
        declare_no_personal_data(
            "messaging.Mailbox",
            reason="a mailbox's server settings (an organisation's address, no person's data)",
        )
        register_invitation_mailer("email", invitations.send_invitation)
        # Read the mailboxes (docs/mail.md); once by hand: ``buurtkit mail_fetch``.
        scheduler.register(
            "mail_fetch",
            scheduler.every(minutes=1),
            "buurtkit.messaging.services.mail_fetch_job",
            title=_("Read the new e-mail of the mailboxes"),
        )
        # Run by ``buurtkit worker``; once by hand: ``buurtkit requeue_messages``.
        scheduler.register(
            "requeue_messages",
            scheduler.every(minutes=5),
            "buurtkit.messaging.services.messages_requeue_stale",
            title=_("Send again the messages a stopped worker left behind"),
        )
