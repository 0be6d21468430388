"""``buurtkit ledger_budget_create --community rabot --organisation buurtwerk --from 2027-01-01 --to 2027-12-31 --amount 5000``

Give an organisation an issuing budget for a period; its issuer account is opened the first
time (``ledger.services.organisation_budget_create``). With ``--key`` a retry makes one budget.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from buurtkit.ledger import services
from buurtkit.ledger.management.commands._circle import actor, add_community, organisation_id, run


class Command(BaseCommand):
    help = "Give an organisation an issuing budget for a period (both days included)."

    def add_arguments(self, parser: Any) -> None:
        add_community(parser)
        parser.add_argument("--organisation", required=True, help="organisation short name")
        parser.add_argument("--from", dest="starts_on", required=True, help="first day, 2027-01-01")
        parser.add_argument("--to", dest="ends_on", required=True, help="last day, 2027-12-31")
        parser.add_argument("--amount", required=True, help="in units, e.g. 5000")
        parser.add_argument("--key", default="", help="idempotency key: a retry does it once")

    def handle(self, *args: Any, **opts: Any) -> None:
        who = actor(opts, "ledger_budget_create")
        org = organisation_id(who, opts["organisation"])
        budget = run(
            lambda: services.organisation_budget_create(
                actor=who,
                organisation_id=org,
                starts_on=opts["starts_on"],
                ends_on=opts["ends_on"],
                amount=opts["amount"],
                idempotency_key=opts["key"],
            )
        )
        again = " (already there)" if getattr(budget, "replayed", False) else ""
        self.stdout.write(
            f"budget {budget.amount} for {opts['organisation']} "
            f"{budget.starts_on}..{budget.ends_on} (id {budget.pk}){again}"
        )
