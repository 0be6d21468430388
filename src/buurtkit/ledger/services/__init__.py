"""Every write on the currency: keyword-only, permission-checked, atomic, audited.

The services are split along their seams; this package re-exports every public name, so
callers keep writing ``from buurtkit.ledger import services`` or
``from buurtkit.ledger.services import transfer_create``:

- ``transfers``: create, submit, reverse; paying with a PIN or at the counter. The ORM path
  and (``_fast_path``) the PostgreSQL fast path for payments.
- ``pin``: the payment PIN, a lost phone.
- ``exchange``: exchange offices, tills, paper notes, daily counts.
- ``issuing``: rewards, budgets, second-person approval, conversion to euro.
- ``payment_requests``: a shop asks for an amount, the payer accepts it once.
- ``receipts``: SMS receipts of payments.
- ``circle``: the currency, accounts and their QR codes, copying a circle.
- ``setup``: setting a circle up from pages, CLI and API (currency, offices, budgets, shops).
- ``rights``: who may issue from which organisation's account.
- ``holds``: rewards held for agreed help (the help exchange): reserve, pay once, release.

The rules that need no database are in ``buurtkit.ledger.rules`` (shared with the selectors);
what several parts share is in ``_common``. The parts import downwards only (circle ->
issuing/exchange/payment_requests -> transfers -> pin -> _common -> selectors, rules, models),
and a task is named by its dotted path, never imported, so the app has no import circle.
"""

from buurtkit.ledger.rules import MAX_AMOUNT, InsufficientBalance, parse_amount
from buurtkit.ledger.services._common import (
    DEFAULT_APPROVAL_THRESHOLD_UNITS,
    community_currency,
    reward_approval_threshold,
)
from buurtkit.ledger.services.circle import (
    ACCOUNT_OPENERS,
    CircleCopy,
    account_open,
    account_qr_code,
    account_set_frozen,
    currency_copy,
    currency_create,
    resident_account_open,
)
from buurtkit.ledger.services.exchange import (
    MAX_NOTES,
    exchange_deposit,
    exchange_office_create,
    exchange_withdraw,
    notes_parse,
    notes_total,
    office_correct_count,
    office_daily_count,
    office_opening_float,
)
from buurtkit.ledger.services.holds import (
    budget_left_today,
    held_account,
    hold_promise_check,
    reward_hold,
    reward_hold_pay,
    reward_hold_release,
)
from buurtkit.ledger.services.issuing import (
    RewardResult,
    budget_create,
    pending_reward_approve,
    pending_reward_reject,
    redemption_key,
    redemption_run,
    reward_create,
    reward_policy_set,
)
from buurtkit.ledger.services.payment_requests import (
    REQUEST_HOURS_DEFAULT,
    REQUEST_HOURS_MAX,
    may_manage_payment_request,
    payment_request_cancel,
    payment_request_create,
    payment_request_pay,
)
from buurtkit.ledger.services.pin import (
    PIN_MAX_TRIES,
    lost_phone,
    pin_reset_by_staff,
    pin_set,
    pin_status,
    sessions_end_everywhere,
)
from buurtkit.ledger.services.receipts import (
    account_set_sms_receipts,
    payment_receipt_send,
    receipt_contact,
)
from buurtkit.ledger.services.rights import issuing_organisation_ids, may_issue_from
from buurtkit.ledger.services.setup import (
    currency_set,
    exchange_office_open,
    organisation_budget_create,
    shop_accept,
)
from buurtkit.ledger.services.transfers import (
    payment_on_behalf,
    payment_with_pin,
    transfer_create,
    transfer_reverse,
    transfer_submit,
)

__all__ = [
    "ACCOUNT_OPENERS",
    "DEFAULT_APPROVAL_THRESHOLD_UNITS",
    "MAX_AMOUNT",
    "MAX_NOTES",
    "PIN_MAX_TRIES",
    "REQUEST_HOURS_DEFAULT",
    "REQUEST_HOURS_MAX",
    "CircleCopy",
    "InsufficientBalance",
    "RewardResult",
    "account_open",
    "account_qr_code",
    "account_set_frozen",
    "account_set_sms_receipts",
    "budget_create",
    "budget_left_today",
    "community_currency",
    "currency_copy",
    "currency_create",
    "currency_set",
    "exchange_deposit",
    "exchange_office_create",
    "exchange_office_open",
    "exchange_withdraw",
    "held_account",
    "hold_promise_check",
    "issuing_organisation_ids",
    "lost_phone",
    "may_issue_from",
    "may_manage_payment_request",
    "notes_parse",
    "notes_total",
    "office_correct_count",
    "office_daily_count",
    "office_opening_float",
    "organisation_budget_create",
    "parse_amount",
    "payment_on_behalf",
    "payment_receipt_send",
    "payment_request_cancel",
    "payment_request_create",
    "payment_request_pay",
    "payment_with_pin",
    "pending_reward_approve",
    "pending_reward_reject",
    "pin_reset_by_staff",
    "pin_set",
    "pin_status",
    "receipt_contact",
    "redemption_key",
    "redemption_run",
    "resident_account_open",
    "reward_approval_threshold",
    "reward_create",
    "reward_hold",
    "reward_hold_pay",
    "reward_hold_release",
    "reward_policy_set",
    "sessions_end_everywhere",
    "shop_accept",
    "transfer_create",
    "transfer_reverse",
    "transfer_submit",
]
