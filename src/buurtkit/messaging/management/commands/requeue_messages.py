"""``buurtkit requeue_messages``: send again what a crashed worker left behind (run from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from buurtkit.messaging.services import messages_requeue_stale


class Command(BaseCommand):
    help = "Re-queue messages that were claimed by a worker that stopped, or never enqueued."

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(f"{messages_requeue_stale()} messages re-queued")
