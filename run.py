#!/usr/bin/env python3
"""Set up a virtual environment and run buurtkit. Needs only Python 3.11+ and pip.

    python3 run.py demo     install, migrate, load the demo neighbourhood, serve on :8000
    python3 run.py test     install with the test tools, run the whole test suite

The environment lives in ./.venv (or $BUURTKIT_VENV) and is reinstalled when
pyproject.toml changes. Extra arguments go to ``buurtkit demo`` or to pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):
        print("buurtkit needs Python 3.11 or newer.", file=sys.stderr)
        return 2
    if not argv or argv[0] not in {"demo", "test", "setup"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    env_dir = Path(os.environ.get("BUURTKIT_VENV", ROOT / ".venv"))
    python = ensure_venv(env_dir, extras="dev" if command in {"test", "setup"} else "")
    if command == "setup":
        return 0
    bin_dir = python.parent
    if command == "demo":
        return subprocess.call([str(bin_dir / "buurtkit"), "demo", *rest], cwd=ROOT)
    return subprocess.call([str(python), "-m", "pytest", *rest], cwd=ROOT)


def ensure_venv(env_dir: Path, extras: str) -> Path:
    python = (
        env_dir
        / ("Scripts" if os.name == "nt" else "bin")
        / ("python.exe" if os.name == "nt" else "python")
    )
    if not python.exists():
        print(f"Creating a virtual environment in {env_dir} …", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    wanted = extras or "base"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = env_dir / f".buurtkit-installed-{wanted}"
    if not stamp.exists() or stamp.read_text().strip() != digest:
        print(
            "Installing buurtkit and its dependencies (the first time takes a minute) …", flush=True
        )
        target = f".[{extras}]" if extras else "."
        subprocess.check_call(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "-q",
                "-e",
                target,
            ],
            cwd=ROOT,
        )
        stamp.write_text(digest)
    return python


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
