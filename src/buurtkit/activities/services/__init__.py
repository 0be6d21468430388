"""Every write to the activities module: keyword-only, validated, one transaction, in the log."""

from buurtkit.activities.services.catalogue import (
    DEFAULT_CATEGORIES,
    categories_ensure_defaults,
    clean_texts,
    series_create,
    session_add,
)
from buurtkit.activities.services.checkin import checkin_by_code, checkin_url
from buurtkit.activities.services.evaluations import (
    evaluation_by_link,
    evaluation_create,
    evaluations_ask,
)
from buurtkit.activities.services.public import (
    TooManySignUps,
    cancel_path,
    my_path,
    public_sign_up,
    sign_up_and_confirm,
)
from buurtkit.activities.services.registrations import (
    attendance_enter,
    attendance_mark,
    offer_accept,
    offer_answer_by_link,
    offer_path,
    offers_expire,
    registration_cancel,
    registration_create,
)
from buurtkit.activities.services.reminders import reminders_send, reminders_send_community
from buurtkit.activities.services.retention import (
    activity_settings_update,
    retention_sweep,
    retention_sweep_community,
)
from buurtkit.activities.services.volunteers import (
    duty_assign,
    duty_cancel,
    duty_keep,
    duty_offer_swap,
    duty_take,
    gap_ask,
    gap_fill,
    slot_set_needed,
    volunteer_certify,
    volunteer_create,
    volunteer_update,
)

__all__ = [
    "DEFAULT_CATEGORIES",
    "TooManySignUps",
    "activity_settings_update",
    "attendance_enter",
    "attendance_mark",
    "cancel_path",
    "categories_ensure_defaults",
    "checkin_by_code",
    "checkin_url",
    "clean_texts",
    "duty_assign",
    "duty_cancel",
    "duty_keep",
    "duty_offer_swap",
    "duty_take",
    "evaluation_by_link",
    "evaluation_create",
    "evaluations_ask",
    "gap_ask",
    "gap_fill",
    "my_path",
    "offer_accept",
    "offer_answer_by_link",
    "offer_path",
    "offers_expire",
    "public_sign_up",
    "registration_cancel",
    "registration_create",
    "reminders_send",
    "reminders_send_community",
    "retention_sweep",
    "retention_sweep_community",
    "series_create",
    "session_add",
    "sign_up_and_confirm",
    "slot_set_needed",
    "volunteer_certify",
    "volunteer_create",
    "volunteer_update",
]
