"""``buurtkit ledger_currency_create --community rabot --code TOR --name-nl toreke/torekes``

Make the community's currency (or change its names, euro value, paper notes and approval
threshold: running it again with the same values changes nothing). The same service as the
coordinator's setup page and ``PUT /api/v1/ledger/currency``: ``ledger.services.currency_set``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from buurtkit.ledger import services
from buurtkit.ledger.management.commands._circle import actor, add_community, run


def _names(value: str | None, language: str) -> dict[str, str]:
    if not value:
        return {}
    one, _slash, more = value.partition("/")
    if not one.strip():
        raise CommandError(f"--name-{language}: write it as one/more, e.g. toreke/torekes")
    return {"singular": one.strip(), "plural": (more or one).strip()}


class Command(BaseCommand):
    help = "Make a community's currency, or change its names, euro value, notes and threshold."

    def add_arguments(self, parser: Any) -> None:
        add_community(parser)
        parser.add_argument("--code", required=True, help="1 to 8 letters, e.g. TOR")
        parser.add_argument("--name-nl", required=True, help="one/more, e.g. toreke/torekes")
        parser.add_argument("--name-en", help="one/more, e.g. toreke/torekes")
        parser.add_argument("--name-fr", help="one/more, e.g. toreke/torekes")
        parser.add_argument("--decimals", type=int, default=0)
        parser.add_argument(
            "--euro-cents", type=int, default=10, help="value of one unit in euro cents"
        )
        parser.add_argument("--notes", default="", help="paper notes, e.g. 1,5,10")
        parser.add_argument("--approval-threshold", default="", help="e.g. 100")

    def handle(self, *args: Any, **opts: Any) -> None:
        who = actor(opts, "ledger_currency_create")
        names = {
            lang: _names(opts[f"name_{lang}"], lang)
            for lang in ("nl", "en", "fr")
            if opts[f"name_{lang}"]
        }
        currency = run(
            lambda: services.currency_set(
                actor=who,
                code=opts["code"],
                names=names,
                decimals=opts["decimals"],
                denominations=opts["notes"],
                euro_cents_per_unit=opts["euro_cents"],
                approval_threshold=opts["approval_threshold"] or None,
            )
        )
        what = "made" if currency.created else "changed" if currency.changed else "unchanged"
        self.stdout.write(f"currency {currency.code} in {who.community.slug}: {what}")
