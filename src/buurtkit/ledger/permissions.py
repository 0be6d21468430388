from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "ledger.view": _("See accounts, balances and transfers"),
    "ledger.pay_on_behalf": _("Pay on behalf of a resident (at the counter)"),
    "ledger.issue": _("Reward volunteers with torekes from an issuing budget"),
    "ledger.exchange": _("Work at an exchange office (paper and digital torekes)"),
    "ledger.manage": _("Manage the currency, accounts and corrections"),
    "ledger.open_account": _("Open an account for a resident who has none"),
}

GRANTS: dict[str, set[str]] = {
    "coordinator": set(PERMISSIONS),
    # Staff reward volunteers from their own organisation's account; a large reward waits for
    # a second person (the coordinator, or a colleague), so the four eyes are two staff logins.
    "staff": {"ledger.view", "ledger.pay_on_behalf", "ledger.issue", "ledger.open_account"},
    "counter_clerk": {
        "ledger.view",
        "ledger.pay_on_behalf",
        "ledger.exchange",
        "ledger.open_account",
    },
    "auditor": {"ledger.view"},
    "merchant": set(),
    "volunteer": set(),
    # Rewards from their own organisation's budget only (services.may_issue_from): the
    # organisation gives a volunteer this role in its membership.
    "trusted_volunteer": {"ledger.issue"},
    "referrer": set(),
    "resident": set(),
}
