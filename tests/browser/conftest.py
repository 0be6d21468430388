"""Browser fixtures: the real demo server in a subprocess and Debian's headless Chromium.

Everything here is real: ``buurtkit demo`` serves with waitress on a free port with a fresh
SQLite data dir, and Playwright drives ``/usr/bin/chromium``. Nothing is downloaded.
Run only these tests with ``pytest -m browser``; leave them out with ``pytest -m "not browser"``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.demo_data import (  # noqa: F401  (helpers the browser tests import from here)
    HEALTH_TIMEOUT_SECONDS,
    copy_demo,
    demo_env,
    run_demo_command,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

SERVER_LOG_TAIL = 4000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-SERVER_LOG_TAIL:] if path.exists() else ""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each browser module starts one demo server (module scope): keep its tests on one xdist
    worker (``--dist loadgroup``), so it is started once, not once per worker."""
    here = Path(__file__).parent
    for item in items:
        if item.path.parent == here:
            item.add_marker(pytest.mark.xdist_group(f"browser-{item.path.stem}"))


@pytest.fixture(scope="module")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Path:
    """Each module's demo starts from its own copy of the freshly loaded demo data (what one
    module's tests change, another never sees); ``buurtkit demo`` then finds the neighbourhood
    there and serves it, as on every run after the first."""
    return copy_demo(demo_template, tmp_path_factory.mktemp("demo-data"))


@pytest.fixture(scope="module")
def demo_server(demo_data_dir: Path) -> Iterator[str]:
    """Start ``buurtkit demo`` on a free port with a fresh data dir; yield its base URL."""
    data_dir = demo_data_dir
    log_path = data_dir / "demo.log"
    port = _free_port()
    env = demo_env(data_dir)
    command = [sys.executable, "-m", "buurtkit.conf.cli", "demo", "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data_dir
        )
        try:
            deadline = time.monotonic() + HEALTH_TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    pytest.fail(
                        f"buurtkit demo stopped with code {process.returncode}:\n{_tail(log_path)}"
                    )
                if _healthy(f"{base_url}/healthz"):
                    break
                # Wait a little between polls, but notice at once if the process dies.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=0.1)
            else:
                pytest.fail(f"buurtkit demo did not answer /healthz:\n{_tail(log_path)}")
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless. Missing: a failure on CI, a clear skip elsewhere."""
    if not CHROMIUM.exists():
        reason = (
            f"Chromium is not installed at {CHROMIUM}; the browser tests need it "
            "(Debian/Ubuntu: `sudo apt-get install chromium`). "
            'Run the rest with `pytest -m "not browser"`.'
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
