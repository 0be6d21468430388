"""``buurtkit ledger_shop_add --community rabot --organisation bakkerij-rabot``

A shop starts accepting the currency: its merchant account (``ledger.services.shop_accept``).
Running it again opens nothing twice.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from buurtkit.ledger import services
from buurtkit.ledger.management.commands._circle import actor, add_community, organisation_id, run
from buurtkit.ledger.numbers import format_account_number


class Command(BaseCommand):
    help = "Let a shop (an organisation) accept the currency: open its merchant account."

    def add_arguments(self, parser: Any) -> None:
        add_community(parser)
        parser.add_argument("--organisation", required=True, help="organisation short name")

    def handle(self, *args: Any, **opts: Any) -> None:
        who = actor(opts, "ledger_shop_add")
        org = organisation_id(who, opts["organisation"])
        account = run(lambda: services.shop_accept(actor=who, organisation_id=org))
        again = " (already there)" if getattr(account, "replayed", False) else ""
        self.stdout.write(
            f"shop {account.name}: account {format_account_number(account.number)}{again}"
        )
