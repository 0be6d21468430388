"""``buurtkit ledger_office_create --community rabot --name "Loket Buurtwerk" --organisation buurtwerk``

Open an exchange office at an organisation (``ledger.services.exchange_office_open``). With
``--key`` a retry opens nothing twice.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from buurtkit.ledger import services
from buurtkit.ledger.management.commands._circle import actor, add_community, organisation_id, run


class Command(BaseCommand):
    help = "Open an exchange office (wisselkantoor) at an organisation."

    def add_arguments(self, parser: Any) -> None:
        add_community(parser)
        parser.add_argument("--name", required=True)
        parser.add_argument("--organisation", required=True, help="organisation short name")
        parser.add_argument("--key", default="", help="idempotency key: a retry does it once")

    def handle(self, *args: Any, **opts: Any) -> None:
        who = actor(opts, "ledger_office_create")
        org = organisation_id(who, opts["organisation"])
        office = run(
            lambda: services.exchange_office_open(
                actor=who, name=opts["name"], organisation_id=org, idempotency_key=opts["key"]
            )
        )
        again = " (already there)" if getattr(office, "replayed", False) else ""
        self.stdout.write(f"exchange office {office.name} (id {office.pk}){again}")
