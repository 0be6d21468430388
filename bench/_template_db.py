"""The throw-away test database of an in-process benchmark, or a copy of a migrated template.

A full migrate costs ~40 s of CPU (Django renders the model states of every migration). CI's
smoke runs (tests/test_bench_smoke.py) run eight SQLite benchmarks; instead of each migrating
its own database, they get ``BUURTKIT_BENCH_SQLITE_TEMPLATE``: one migrated SQLite file, which
each copies and uses as its test database (Django finds it there and only checks that nothing is
left to migrate). Without that variable a benchmark migrates a new database as before.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

TEMPLATE_ENV = "BUURTKIT_BENCH_SQLITE_TEMPLATE"


def sqlite_template() -> Path | None:
    value = os.environ.get(TEMPLATE_ENV)
    return Path(value) if value else None


def copy_template(to: Path) -> bool:
    """Copy the template to ``to`` if there is one; say whether it did."""
    template = sqlite_template()
    if template is None:
        return False
    to.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, to)
    return True


def create_test_db(connection: Any, **options: Any) -> str:
    """``connection.creation.create_test_db(autoclobber=True, **options)``, from the template
    when there is one (SQLite only)."""
    if connection.vendor == "sqlite" and sqlite_template() is not None:
        copy = Path(tempfile.mkdtemp(prefix="buurtkit-bench-db-")) / "bench.sqlite3"
        copy_template(copy)
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(copy)
        return str(connection.creation.create_test_db(keepdb=True, **options))
    return str(connection.creation.create_test_db(autoclobber=True, **options))
