"""``buurtkit qr_rollup [--keep-days N]``: sum finished days of QR scans, drop old single scans.

``buurtkit worker`` runs the same work every night at 02:00 Brussels time (the ``qr_rollup``
job, registered in ``qrcodes/apps.py``; see ``buurtkit jobs``): no cron is needed. Run this
command for a one-off run, or with another ``--keep-days``. The dashboards also sum finished
days when they are opened, so a missed night loses nothing; this also finds older days that
were never summed and deletes single scans older than ``--keep-days`` (their daily sums stay).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from buurtkit.qrcodes.services import SCANS_KEEP_DAYS, scans_rollup_and_prune


class Command(BaseCommand):
    help = "Sum finished days of QR code scans and delete single scans older than --keep-days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep-days",
            type=int,
            default=SCANS_KEEP_DAYS,
            help="Keep single scans this many days (default 400); their daily sums are kept.",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        keep = opts["keep_days"]
        if keep < 1:
            raise CommandError("--keep-days must be at least 1")
        self.stdout.write(scans_rollup_and_prune(keep))
