"""Every write to the helpdesk: keyword-only, validated, one transaction, in the log."""

from buurtkit.helpdesk.services.mail import (
    QUARANTINE_ACTIONS,
    mail_take_in,
    participants,
    quarantine_decide,
)
from buurtkit.helpdesk.services.mail_threads import mail_reply_send
from buurtkit.helpdesk.services.retention import (
    anonymise_tickets,
    retention_sweep,
    retention_sweep_community,
)
from buurtkit.helpdesk.services.setup import (
    DEFAULT_CATEGORIES,
    article_save,
    categories_ensure_defaults,
    category_change,
    category_save,
    helpdesk_settings_update,
    names_of,
    settings_of,
    standard_answer_save,
    team_save,
)
from buurtkit.helpdesk.services.survey import (
    survey_answer,
    survey_by_token,
    survey_keypress,
    survey_start,
)
from buurtkit.helpdesk.services.tickets import (
    REPLY_VIA,
    Contact,
    NewPerson,
    home_help_request,
    message_add,
    ticket_assign,
    ticket_create,
    ticket_file,
    ticket_transition,
    ticket_update,
)

__all__ = [
    "DEFAULT_CATEGORIES",
    "QUARANTINE_ACTIONS",
    "REPLY_VIA",
    "Contact",
    "NewPerson",
    "anonymise_tickets",
    "article_save",
    "categories_ensure_defaults",
    "category_change",
    "category_save",
    "helpdesk_settings_update",
    "home_help_request",
    "mail_reply_send",
    "mail_take_in",
    "message_add",
    "names_of",
    "participants",
    "quarantine_decide",
    "retention_sweep",
    "retention_sweep_community",
    "settings_of",
    "standard_answer_save",
    "survey_answer",
    "survey_by_token",
    "survey_keypress",
    "survey_start",
    "team_save",
    "ticket_assign",
    "ticket_create",
    "ticket_file",
    "ticket_transition",
    "ticket_update",
]
