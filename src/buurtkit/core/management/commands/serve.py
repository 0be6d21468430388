"""``buurtkit serve``: the production WSGI server (waitress) with static files by whitenoise.

One process serves with ``--threads`` threads. Python runs one thread at a time per process,
so on a machine with several cores ``--workers N`` starts N processes that share one listening
socket (pre-fork, POSIX only): the kernel hands each new connection to one of them. Web
processes keep no state (sessions in the database), so this is the same as running N
machines behind a load balancer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve buurtkit with the production server (no demo data)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes sharing the port (POSIX only); about one per CPU core",
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply migrations first."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["workers"] < 1:
            raise CommandError("--workers must be 1 or more")
        if opts["workers"] > 1 and not hasattr(os, "fork"):
            raise CommandError("--workers needs a POSIX system; run one process per port instead")
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        serve(opts["host"], opts["port"], opts["threads"], self.stdout.write, opts["workers"])


def serve(host: str, port: int, threads: int, say: Any, workers: int = 1) -> None:
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    application = get_wsgi_application()
    options: dict[str, Any] = {"threads": threads, "ident": "buurtkit"}
    if settings.BEHIND_PROXY:
        options.update(
            trusted_proxy=settings.TRUSTED_PROXY,
            trusted_proxy_count=1,
            trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
            clear_untrusted_proxy_headers=True,
        )
    say(f"buurtkit is running on http://{host}:{port}/  (Ctrl+C stops it)")
    if workers == 1:
        from waitress import serve as waitress_serve

        waitress_serve(application, host=host, port=port, **options)
        return
    _serve_prefork(application, host, port, workers, options, say)


def _serve_prefork(
    application: Any, host: str, port: int, workers: int, options: dict[str, Any], say: Any
) -> None:
    from django.db import connections
    from waitress import serve as waitress_serve

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(1024)
    sock.setblocking(False)
    # No database connection may cross a fork: each process opens its own.
    connections.close_all()
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, lambda *_a: os._exit(0))
            try:
                waitress_serve(application, sockets=[sock], **options)
            finally:
                os._exit(0)
        children.append(pid)
    say(f"{workers} worker processes: {', '.join(map(str, children))}")

    def stop(*_args: Any) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, lambda *_a: (stop(), sys.exit(0)))
    signal.signal(signal.SIGINT, lambda *_a: (stop(), sys.exit(0)))
    try:
        # Run until every worker has ended (or a signal stops us and them).
        for pid in children:
            os.waitpid(pid, 0)
    finally:
        stop()
        sock.close()
