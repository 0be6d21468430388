"""Every write to the device bank: keyword-only, validated, one transaction, in the log.

One module per part (the stock, referrals, hand-overs and loans, repairs); this package is
the public face other apps and the pages import.
"""

from buurtkit.lending.services.handovers import (
    MAX_DEVICES_PER_HANDOVER,
    REMINDER_STAGES,
    agreement_pdf,
    agreement_text_current,
    agreement_text_publish,
    handover_create,
    handover_email_copy,
    loan_extend,
    loan_limits,
    loan_mark_lost,
    loan_return,
    loans_needing_reminder,
    loans_remind,
    loans_remind_community,
    signature_from_data_url,
)
from buurtkit.lending.services.photos import device_photo_add, device_photo_remove
from buurtkit.lending.services.referrals import (
    cap_set,
    referral_approve,
    referral_cancel,
    referral_file,
    referral_invite,
    referral_match,
    referral_refuse,
)
from buurtkit.lending.services.repairs import (
    repair_close,
    repair_open,
    repair_start,
)
from buurtkit.lending.services.stock import (
    LABEL_PREFIX,
    MAX_DEVICES_PER_DONATION,
    WIPE_EVIDENCE,
    device_label_codes,
    device_record_event,
    donation_receive,
)

__all__ = [
    "LABEL_PREFIX",
    "MAX_DEVICES_PER_DONATION",
    "MAX_DEVICES_PER_HANDOVER",
    "REMINDER_STAGES",
    "WIPE_EVIDENCE",
    "agreement_pdf",
    "agreement_text_current",
    "agreement_text_publish",
    "cap_set",
    "device_label_codes",
    "device_photo_add",
    "device_photo_remove",
    "device_record_event",
    "donation_receive",
    "handover_create",
    "handover_email_copy",
    "loan_extend",
    "loan_limits",
    "loan_mark_lost",
    "loan_return",
    "loans_needing_reminder",
    "loans_remind",
    "loans_remind_community",
    "referral_approve",
    "referral_cancel",
    "referral_file",
    "referral_invite",
    "referral_match",
    "referral_refuse",
    "repair_close",
    "repair_open",
    "repair_start",
    "signature_from_data_url",
]
