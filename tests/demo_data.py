"""The demo neighbourhood as test data: loaded once per run, in a new process, as a newcomer does.

``buurtkit demo --no-serve`` on an empty data dir costs about a minute of CPU (a full migrate
and every module's demo loader). The browser tests serve copies of it, ``tests/test_demo_command.py``
checks the newcomer's first run on it, and tests that need any migrated data dir of their own copy
it instead of migrating again. Under xdist the first worker that needs it loads it into the run's
shared temp dir (a file lock) and the others use the same one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Settings the test process sets for itself that the demo must not inherit: the demo is
# started the way a newcomer starts it (embedded SQLite, no Redis, demo secrets, no
# BUURTKIT_* configuration but its data dir).
_NOT_INHERITED = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
)
# How long the demo may take to answer /healthz: ~5 s usually, far more on a busy 2-core machine
# where both xdist workers and other jobs compete (the loop notices at once if it dies).
HEALTH_TIMEOUT_SECONDS = 240
# What the first ``buurtkit demo --no-serve`` printed (the demo logins), kept in the template.
FIRST_RUN_OUTPUT = "demo-first-run.txt"


def demo_env(data_dir: Path) -> dict[str, str]:
    """The environment the demo runs with (also for extra commands on the same data dir)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _NOT_INHERITED and not k.startswith("BUURTKIT_")
    }
    env["BUURTKIT_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_demo_command(data_dir: Path, *args: str) -> str:
    """Run ``buurtkit <args>`` against the demo's data; return what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "buurtkit.conf.cli", *args],
        env={**demo_env(data_dir), "BUURTKIT_DEMO": "1"},  # the demo's settings and secret
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=HEALTH_TIMEOUT_SECONDS * 2,
        check=False,
    )
    if done.returncode:
        pytest.fail(f"buurtkit {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _load_demo(data_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "buurtkit.conf.cli", "demo", "--no-serve"],
        env=demo_env(data_dir),
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=HEALTH_TIMEOUT_SECONDS * 2,
        check=False,
    )
    if done.returncode:
        pytest.fail(f"buurtkit demo --no-serve failed:\n{done.stdout}\n{done.stderr}")
    (data_dir / FIRST_RUN_OUTPUT).write_text(done.stdout)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the demo neighbourhood loaded, once per run. Never change it: copy it
    (``copy_demo``)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import fcntl

        shared = tmp_path_factory.getbasetemp().parent  # one directory per run, all workers
        with (shared / "demo-template.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data_dir = shared / "demo-template"
            if not (data_dir / "loaded").exists():
                shutil.rmtree(data_dir, ignore_errors=True)
                data_dir.mkdir()
                _load_demo(data_dir)
                (data_dir / "loaded").touch()
            return data_dir
    data_dir = tmp_path_factory.mktemp("demo-template")
    _load_demo(data_dir)
    return data_dir


def copy_demo(template: Path, target: Path) -> Path:
    """A data dir of one's own with the demo loaded (what one test changes, no other sees)."""
    shutil.copytree(template, target, dirs_exist_ok=True)
    return target
