"""Every benchmark in bench/ at a tiny size (issue 17 item 19): it must run and its result must
not be degenerate, so a figure in the README never rots unnoticed.

Each benchmark checks its own result and exits non-zero from nothing (no matchable participants,
no payments, a PDF without labels, a search that finds nobody, no scans). Here each runs in a new
process, as a person runs it. The SQLite ones make their own throw-away SQLite database whatever
``DATABASE_URL`` says (it is removed from their environment), so they run once, on the SQLite
run (``engine_independent``); the PostgreSQL-only ones (a local server, pgbench) run on the
PostgreSQL run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_TEMPLATE_ENV

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PG = "postgres://postgres@127.0.0.1:5432"

SQLITE_BENCHES = {
    "neighbours_matching.py": ["--participants", "120", "--neighbourhoods", "2"],
    "people_search.py": ["--people", "60", "--requests", "2"],
    "lending_stock.py": ["--devices", "60", "--events", "400", "--requests", "2"],
    "lending_handover.py": ["--handovers", "3", "--loans", "2000"],
    "activities_catalogue.py": ["--sessions", "40", "--requests", "3"],
    "helpexchange_list.py": ["--posts", "300", "--requests", "3"],
    "monitoring_dashboard.py": (
        [
            "--events",
            "20000",
            "--people",
            "500",
            "--targets",
            "6",
            "--places",
            "6",
            "--queries",
            "10",
            "--reports",
            "1",
        ]
    ),
    "qr_batch.py": ["--codes", "30"],
    "mail_intake.py": ["--mails", "30"],  # a real dovecot; one worker killed half-way
    "qr_stats.py": [
        "--codes",
        "12",
        "--days",
        "20",
        "--scans",
        "3000",
        "--today",
        "20",
        "--runs",
        "1",
    ],
    "qr_resolve.py": [
        "--db",
        "sqlite",
        "--seconds",
        "1",
        "--warm-up",
        "0",
        "--connections",
        "2",
        "--server-workers",
        "1",
        "--server-threads",
        "2",
    ],
}
# Each copies one migrated template database (the ``pg_template`` fixture) instead of migrating
# its own: a full migrate costs ~40 s of CPU, four times; the schema is the same. The warm-ups
# are shortened too: the smoke run checks that a figure comes out, not the figure.
POSTGRES_BENCHES = {
    "ledger_request_cpu.py": ["--requests", "20", "--warm-up", "5", "--accounts", "4", "--pg", PG],
    "activities_rush.py": (
        "--people 40 --within 2 --sessions 4 --seats 5 --clients 2 --server-workers 1 --server-threads 2 "
        f"--pg {PG}"
    ).split(),
    "helpdesk_queue.py": ["--tickets", "300", "--messages", "1500", "--requests", "2", "--pg", PG],
    "ledger_payments.py": (
        "--seconds 1 --warm-up 0.5 --clients 2 --accounts 6 --server-workers 1 --server-threads 2 "
        f"--pgbench-scale 1 --pg {PG}"
    ).split(),
    "helpexchange_deals.py": (
        "--deals 6 --seconds 1 --warm-up 0 --clients 2 --accounts 4 --server-workers 1 "
        f"--server-threads 2 --pg {PG}"
    ).split(),
}
# What each prints that shows it measured something (besides its own degenerate check).
FIGURES = {
    "neighbours_matching.py": r"matchable participants: +[1-9]",
    "people_search.py": r"search by phone digits +median",
    "lending_stock.py": r"stock overview +p50 +[0-9.]+ ms",
    "lending_handover.py": r"reminder sweep over 20[0-9]{2} loans: [0-9.]+ s, [1-9][0-9]* SMS",
    "activities_catalogue.py": r"by place +p50 +[0-9.]+ ms",
    "helpexchange_list.py": r"embed from cache +p50 +[0-9.]+ ms",
    "monitoring_dashboard.py": r"funder report XLSX \+ PDF +median +[0-9.]+ s",
    "activities_rush.py": r"0 sessions overbooked, 0 seat counters wrong, 40 confirmations",
    "qr_batch.py": r"PDF size: ",
    "mail_intake.py": r"after a restart +: 30 mails .* stored 30, handled 30, lost 0, handled twice 0",
    "qr_stats.py": r"page: overview 365 days +median",
    "qr_resolve.py": r"scans recorded +: +[1-9]",
    "helpdesk_queue.py": r"search: #number +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[1-9][0-9]* ",
    "ledger_request_cpu.py": r"answers +: +20 created, 0 other",
    "ledger_payments.py": r"payments through the API : +[0-9.]+ /s +\([1-9][0-9]* ok, 0 errors\)",
    "helpexchange_deals.py": r"ratio deals / payments +: +[0-9.]+ +\(target >= 0.25\) (PASS|MISS)",
}


def _run(name: str, args: list[str], *, sqlite: bool, template: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    if sqlite:
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
    if template is not None:
        env["BUURTKIT_BENCH_SQLITE_TEMPLATE"] = str(template)  # bench/_template_db.py
    env["PYTHONPATH"] = f"{ROOT / 'src'}:{BENCH}"
    done = subprocess.run(
        [sys.executable, str(BENCH / name), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    assert re.search(FIGURES[name], done.stdout), done.stdout
    return done.stdout


def test_every_benchmark_has_a_smoke_run() -> None:
    on_disk = {p.name for p in BENCH.glob("*.py") if not p.name.startswith(("qr_bench_", "_"))}
    assert on_disk == set(SQLITE_BENCHES) | set(POSTGRES_BENCHES)


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite database that each SQLite benchmark copies instead of migrating
    its own (bench/_template_db.py): a full migrate costs ~40 s of CPU, eight times."""
    data_dir = tmp_path_factory.mktemp("bench-sqlite-template")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {
        "BUURTKIT_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "buurtkit.conf.settings_test",
    }
    subprocess.run(
        [sys.executable, "-m", "buurtkit.conf.cli", "migrate", "-v", "0"], env=env, check=True
    )
    return data_dir / "buurtkit.sqlite3"


# Each starts its own process on its own SQLite data dir: the PostgreSQL run would repeat it.
# On one xdist worker, so the template is migrated once for all eight.
@pytest.mark.engine_independent
@pytest.mark.xdist_group("bench-sqlite")
@pytest.mark.parametrize("name", sorted(SQLITE_BENCHES))
def test_benchmark_smoke_run_on_sqlite(name: str, sqlite_template: Path) -> None:
    _run(name, SQLITE_BENCHES[name], sqlite=True, template=sqlite_template)


@pytest.fixture(scope="module")
def pg_template(tmp_path_factory: pytest.TempPathFactory, django_db_setup: None) -> Iterator[str]:
    """A freshly migrated PostgreSQL database (nobody stays connected to it) that each
    PostgreSQL benchmark copies (``--template``) instead of migrating its own: the test
    databases' template of this run (tests/conftest.py), or else one made here."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("needs the local PostgreSQL server (the PostgreSQL run of CI)")
    if os.environ.get(PG_TEMPLATE_ENV):
        yield os.environ[PG_TEMPLATE_ENV]
        return
    name = f"buurtkit_bench_template_{os.getpid()}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}},
        "DATABASE_URL": f"{PG}/{name}",
        "DJANGO_SETTINGS_MODULE": "buurtkit.conf.settings",
        "SECRET_KEY": "bench-only",
        "BUURTKIT_HTTPS": "false",
        "BUURTKIT_DATA_DIR": str(tmp_path_factory.mktemp("bench-template")),
        "LOG_LEVEL": "WARNING",
    }

    def psql(sql: str) -> None:
        subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", sql], check=True, capture_output=True)

    psql(f"DROP DATABASE IF EXISTS {name}")
    psql(f"CREATE DATABASE {name}")
    try:
        bin_dir = Path(sys.executable).parent
        subprocess.run([str(bin_dir / "buurtkit"), "migrate", "-v", "0"], env=env, check=True)
        yield name
    finally:
        psql(f"DROP DATABASE IF EXISTS {name}")


# On one xdist worker, so the template is migrated once for all four.
@pytest.mark.postgres_only
@pytest.mark.xdist_group("bench-postgres")
@pytest.mark.parametrize("name", sorted(POSTGRES_BENCHES))
def test_benchmark_smoke_run_on_postgres(name: str, pg_template: str) -> None:
    _run(name, [*POSTGRES_BENCHES[name], "--template", pg_template], sqlite=False)
