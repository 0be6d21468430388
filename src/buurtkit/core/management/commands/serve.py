"""``buurtkit serve``: the production server (granian, ADR 0013) with static files by whitenoise.

granian parses HTTP in Rust and runs the WSGI application in ``--threads`` Python threads per
worker process. Python runs one thread at a time per process, so on a machine with several
cores ``--workers N`` starts N processes that share the port. Workers are started fresh
("spawn"), never forked from this process: the demo's background threads and their database
connections stay here. Web processes keep no state (sessions in the database), so N workers
are the same as N machines behind a load balancer.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

WSGI_TARGET = "buurtkit.conf.wsgi:application"


class Command(BaseCommand):
    help = "Serve buurtkit with the production server (no demo data)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=4, help="Python threads per worker")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes sharing the port; about one per CPU core",
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply migrations first."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["workers"] < 1:
            raise CommandError("--workers must be 1 or more")
        if opts["threads"] < 1:
            raise CommandError("--threads must be 1 or more")
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        serve(opts["host"], opts["port"], opts["threads"], self.stdout.write, opts["workers"])


#: Open (keep-alive) connections one worker accepts; requests beyond the threads queue in it.
CONNECTIONS_PER_WORKER = 256


def serve(host: str, port: int, threads: int, say: Any, workers: int = 1) -> None:
    """Serve until stopped (Ctrl+C or SIGTERM stops the workers too)."""
    from django.conf import settings
    from django.db import connections
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    # Workers start as new interpreters on every system (as they must on Windows and macOS):
    # nothing of this process, no open database connection, crosses into them.
    multiprocessing.set_start_method("spawn", force=True)
    connections.close_all()
    say(f"buurtkit is running on http://{host}:{port}/  (Ctrl+C stops it)")
    Server(
        WSGI_TARGET,
        address=host.strip("[]"),
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        # No more requests inside Python than it has threads; the rest wait in granian.
        blocking_threads=threads,
        # granian's backpressure caps the *connections* a worker accepts, not the requests in
        # Python: set to the threads, a browser beyond them (each keeps its connection open)
        # waited up to 30 s for its first answer. Connections are cheap: 256 per worker.
        backpressure=CONNECTIONS_PER_WORKER,
        log_level=LogLevels.warning,
        log_access=False,
        respawn_failed_workers=True,
        # A worker that has not stopped 30 s after SIGTERM is killed, so a stop never hangs
        # (granian issue #875: a busy worker could wait forever on its last step).
        workers_kill_timeout=30,
    ).serve()
