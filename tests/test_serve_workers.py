"""`buurtkit serve --workers N`: several processes share one port and stop together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workers_of(pid: int) -> list[str]:
    """The worker processes of ``pid``: new interpreters started by multiprocessing's spawn
    (not its resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if fields[1] == str(pid) and b"spawn_main" in cmdline:
            found.append(stat.parent.name)
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="pre-fork workers: POSIX with /proc")
# A new process on its own SQLite data dir (DATABASE_URL and REDIS_URL are not passed on):
# the same run on both engines, so SQLite only.
@pytest.mark.engine_independent
def test_serve_with_two_workers_answers_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(BUURTKIT_DATA_DIR=str(tmp_path), SECRET_KEY="serve-test", BUURTKIT_HTTPS="false")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "buurtkit.conf.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        # Migrating a fresh SQLite database takes a few seconds, far longer on a busy machine.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"serve exited early: {server.stdout.read() if server.stdout else ''}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("serve did not answer")
        statuses = []
        for _ in range(20):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                statuses.append(response.status)
        assert statuses == [200] * 20
        children = _workers_of(server.pid)
        assert len(children) == 2
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    # The workers went with it: nobody listens on the port any more.
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    for pid in children:
        assert (
            not Path(f"/proc/{pid}").exists()
            or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
        )


@pytest.mark.engine_independent
def test_more_visitors_than_threads_are_each_answered_at_once(tmp_path: Path) -> None:
    """Browsers keep their connection open. With one thread, a second, third and fourth
    visitor holding theirs open are still answered (granian's backpressure counts
    connections: it once equalled the threads, and the second visitor waited 30 s)."""
    import http.client

    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(BUURTKIT_DATA_DIR=str(tmp_path), SECRET_KEY="serve-test", BUURTKIT_HTTPS="false")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "buurtkit.conf.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    visitors: list[http.client.HTTPConnection] = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert server.poll() is None, "serve exited early"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        for _ in range(4):
            visitor = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            visitor.request("GET", "/healthz")  # and the connection stays open
            response = visitor.getresponse()
            response.read()
            assert response.status == 200
            visitors.append(visitor)
    finally:
        for visitor in visitors:
            visitor.close()
        server.terminate()
        server.wait(timeout=60)
