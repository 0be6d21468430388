"""Every write to the device bank: keyword-only, validated, one transaction, in the log.

One module per part (the stock, referrals, hand-overs and loans, repairs); this package is
the public face other apps and the pages import.
"""

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
    "WIPE_EVIDENCE",
    "cap_set",
    "device_label_codes",
    "device_record_event",
    "donation_receive",
    "referral_approve",
    "referral_cancel",
    "referral_file",
    "referral_invite",
    "referral_match",
    "referral_refuse",
    "repair_close",
    "repair_open",
    "repair_start",
]
