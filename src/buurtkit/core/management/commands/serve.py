"""``buurtkit serve``: the production WSGI server (waitress) with static files by whitenoise."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve buurtkit with the production server (no demo data)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply migrations first."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        serve(opts["host"], opts["port"], opts["threads"], self.stdout.write)


def serve(host: str, port: int, threads: int, say: Any) -> None:
    from django.conf import settings
    from waitress import serve as waitress_serve

    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)

    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

    say(f"buurtkit is running on http://{host}:{port}/  (Ctrl+C stops it)")
    proxy: dict[str, object] = {}
    if settings.BEHIND_PROXY:
        proxy = {
            "trusted_proxy": settings.TRUSTED_PROXY,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
            "clear_untrusted_proxy_headers": True,
        }
    waitress_serve(application, host=host, port=port, threads=threads, ident="buurtkit", **proxy)
