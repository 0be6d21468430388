"""``buurtkit ledger_copy_circle --from rabot --to sluizeken``: copy a circle's setup.

The new neighbourhood gets the same currency (code, names, decimals, paper notes, euro value,
default limit), the reward approval threshold, and the exchange offices and running issuing
budgets of the organisations it has too (same short name). No accounts with money, no people.
See ``ledger.services.currency_copy``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ServiceError
from buurtkit.core.models import Community
from buurtkit.ledger import services


class Command(BaseCommand):
    help = "Copy a currency circle's setup (not its accounts or people) to another community."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="source", required=True, help="community slug")
        parser.add_argument("--to", dest="target", required=True, help="community slug")

    def handle(self, *args: Any, **opts: Any) -> None:
        found = {
            c.slug: c for c in Community.objects.filter(slug__in=[opts["source"], opts["target"]])
        }
        for slug in (opts["source"], opts["target"]):
            if slug not in found:
                raise CommandError(f"There is no community {slug!r}.")
        source, target = found[opts["source"]], found[opts["target"]]
        label = "ledger_copy_circle"
        try:
            copied = services.currency_copy(
                actor=Actor.system(source, label=label), target=Actor.system(target, label=label)
            )
        except ServiceError as exc:
            raise CommandError(str(exc.detail)) from exc
        self.stdout.write(f"currency {copied.currency.code} in {target.slug}")
        for name in copied.offices:
            self.stdout.write(f"exchange office {name}")
        for name in copied.offices_skipped:
            self.stdout.write(f"skipped exchange office {name} (no such organisation)")
        for name in copied.budgets:
            self.stdout.write(f"budget {name}")
        for name in copied.budgets_skipped:
            self.stdout.write(f"skipped budget {name} (no such organisation)")
