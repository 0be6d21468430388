"""A server worker imports the whole URLconf while it starts, not in its first request."""

from __future__ import annotations

import os
import subprocess
import sys

CHECK = """
import sys
import buurtkit.conf.wsgi  # what granian loads in each worker
missing = [m for m in ("buurtkit.conf.urls", "buurtkit.conf.api", "buurtkit.ledger.api")
           if m not in sys.modules]
print("missing:", missing)
"""


def test_loading_the_wsgi_application_imports_the_urls_and_the_api() -> None:
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "buurtkit.conf.settings"}
    env.pop("BUURTKIT_DEMO_BACKGROUND", None)
    out = subprocess.run(
        [sys.executable, "-c", CHECK], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert "missing: []" in out, out
