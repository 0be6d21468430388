from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "ledger.view": _("See accounts, balances and transfers"),
    "ledger.pay_on_behalf": _("Pay on behalf of a resident (at the counter)"),
    "ledger.issue": _("Reward volunteers with torekes from an issuing budget"),
    "ledger.exchange": _("Work at an exchange office (paper and digital torekes)"),
    "ledger.manage": _("Manage the currency, accounts and corrections"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    "staff": {"ledger.view", "ledger.pay_on_behalf"},
    "counter_clerk": {"ledger.view", "ledger.pay_on_behalf", "ledger.exchange"},
    "auditor": {"ledger.view"},
    "merchant": set(),
    "volunteer": set(),
    "referrer": set(),
    "resident": set(),
}
