"""``buurtkit lending_stock_recount [--community SLUG] [--check]``: count the device bank's stock
afresh from the devices and store it in the stock counters that the overview reads.

The stock service keeps the counters itself, in the transaction of every device event. Run this
after devices were loaded or corrected outside the services (a bulk import, a fix by hand in the
database). ``--check`` only reports what differs and exits with status 1 when anything does.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from buurtkit.core.models import Community
from buurtkit.lending.services.stock import (
    stock_counts_fresh,
    stock_counts_rebuild,
    stock_counts_stored,
)


class Command(BaseCommand):
    help = "Count the device bank's stock afresh from the devices and store the counters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--community", default="", help="Only this community (its slug).")
        parser.add_argument(
            "--check", action="store_true", help="Only report differences (exit 1 if any)."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        communities = Community.objects.order_by("pk")
        if opts["community"]:
            communities = communities.filter(slug=opts["community"])
            if not communities.exists():
                raise CommandError(f"No community {opts['community']!r}.")
        differing = 0
        for community in communities:
            if opts["check"]:
                stored = stock_counts_stored(community_id=community.pk)
                fresh = stock_counts_fresh(community_id=community.pk)
                differ = {
                    key: (stored.get(key, 0), fresh.get(key, 0))
                    for key in set(stored) | set(fresh)
                    if stored.get(key, 0) != fresh.get(key, 0)
                }
            else:
                differ = stock_counts_rebuild(community_id=community.pk)
            differing += len(differ)
            for (kind, pool, state), (was, now) in sorted(differ.items()):
                self.stdout.write(f"{community.slug}: {kind}/{pool}/{state} {was} -> {now}")
        verb = "differ" if opts["check"] else "corrected"
        self.stdout.write(f"{differing} counters {verb}.")
        if opts["check"] and differing:
            raise SystemExit(1)
