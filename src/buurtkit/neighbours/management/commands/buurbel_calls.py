"""``buurtkit buurbel_calls [--loop SECONDS]``: place the Buurbel calls that are due.

``buurtkit worker`` already does this every minute (the ``buurbel_calls`` job, registered in
``neighbours/apps.py``; see ``buurtkit jobs``): no cron or extra service is needed. Run this
command for a one-off run; ``--loop`` is kept for installs that still run it as a service.
Calls are only placed inside each person's call windows; running it often never calls anyone
twice: a due introduction is claimed under a row lock and its next call time is cleared.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from buurtkit.neighbours.services import introductions_tick


class Command(BaseCommand):
    help = "Place the Buurbel introduction calls that are due (inside call windows)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop",
            type=int,
            default=0,
            help="Keep running, looking for due calls every SECONDS (default: once).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        every = opts["loop"]
        if every < 0:
            raise CommandError("--loop must be 0 (once) or a number of seconds")
        while True:
            placed = introductions_tick()
            self.stdout.write(f"{placed} call(s) placed")
            if not every:
                return
            time.sleep(every)
