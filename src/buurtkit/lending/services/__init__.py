"""Every write to the device bank: keyword-only, validated, one transaction, in the log.

One module per part (the stock, referrals, hand-overs and loans, repairs); this package is
the public face other apps and the pages import.
"""

# --- repairs (H6) ---
from buurtkit.lending.services.repairs import (
    repair_close,
    repair_open,
    repair_start,
)
from buurtkit.lending.services.stock import (
    LABEL_PREFIX,
    MAX_DEVICES_PER_DONATION,
    WIPE_EVIDENCE,
    device_record_event,
    donation_receive,
)

__all__ = [
    "LABEL_PREFIX",
    "MAX_DEVICES_PER_DONATION",
    "WIPE_EVIDENCE",
    "device_record_event",
    "donation_receive",
    "repair_close",
    "repair_open",
    "repair_start",
]
