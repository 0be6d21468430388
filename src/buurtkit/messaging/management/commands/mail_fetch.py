"""``buurtkit mail_fetch [--mailbox ID] [--limit N]``: read the mailboxes now, as the worker's
``mail_fetch`` job does every minute (docs/mail.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from buurtkit.messaging.inbound import describe
from buurtkit.messaging.services import mailbox_poll, mailboxes_poll


class Command(BaseCommand):
    help = "Read new e-mail from the mailboxes, store it and hand it to its module."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", type=int, help="only this mailbox (its id)")
        parser.add_argument("--limit", type=int, help="at most this many new mails")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["mailbox"]:
            results = [mailbox_poll(mailbox_id=opts["mailbox"], limit=opts["limit"])]
        else:
            results = mailboxes_poll()
        for result in results:
            self.stdout.write(describe(result))
        if any(r.error for r in results):
            raise SystemExit(1)
