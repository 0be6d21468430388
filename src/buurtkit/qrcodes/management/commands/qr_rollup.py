"""``buurtkit qr_rollup [--keep-days N]``: sum finished days of QR scans, drop old single scans.

Run it from cron once a night (after 00:05, Brussels time). The dashboards also sum finished days
when they are opened, so a missed night loses nothing; this command also finds older days that
were never summed and deletes single scans older than ``--keep-days`` (their daily sums stay).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from buurtkit.qrcodes.services import rollup_pending, scans_prune


class Command(BaseCommand):
    help = "Sum finished days of QR code scans and delete single scans older than --keep-days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep-days",
            type=int,
            default=400,
            help="Keep single scans this many days (default 400); their daily sums are kept.",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        keep = opts["keep_days"]
        if keep < 1:
            raise CommandError("--keep-days must be at least 1")
        days = rollup_pending(full=True)
        deleted = scans_prune(keep_days=keep)
        self.stdout.write(
            f"{days} day(s) of scans summed; {deleted} single scan(s) older than {keep} days deleted"
        )
