"""``buurtkit requeue_messages``: send again what a crashed worker left behind, once.

``buurtkit worker`` already does this every 5 minutes (the ``requeue_messages`` job, registered
in ``messaging/apps.py``; see ``buurtkit jobs``): no cron is needed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from buurtkit.messaging.services import messages_requeue_stale


class Command(BaseCommand):
    help = "Re-queue messages that were claimed by a worker that stopped, or never enqueued."

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(f"{messages_requeue_stale()} messages re-queued")
