"""The ``buurtkit`` command: Django's manage.py plus demo, serve, worker and apikey."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "demo":
        # The demo may run without SECRET_KEY and over plain http on localhost.
        os.environ.setdefault("BUURTKIT_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtkit.conf.settings")
    from django.core.management import execute_from_command_line

    from buurtkit.conf.env import ConfigError

    try:
        execute_from_command_line(argv)
    except ConfigError as exc:
        print(f"buurtkit: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
