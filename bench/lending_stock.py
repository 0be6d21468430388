"""Benchmark: the device bank's stock at a regional size, searched through the API.

    .venv/bin/python bench/lending_stock.py [--devices 100000] [--events 1000000] [--requests 200]

(or ``LENDING_BENCH_DEVICES`` / ``LENDING_BENCH_EVENTS`` / ``LENDING_BENCH_REQUESTS``).

Builds one community with N devices and M events (about M/N steps per device, every device a
history that follows the life-cycle rules, so the states are a realistic mix), written in bulk
(``COPY`` on PostgreSQL, ``executemany`` on SQLite). Then a staff API key searches through the
API as a clerk would: by serial number, by label, by text (brand or model), and asks for the
stock overview. Prints p50 and p99 latency per case (the targets of issue 12: p50 <= 30 ms,
p99 <= 100 ms).

Uses a fresh SQLite database in a temporary data dir, or ``DATABASE_URL`` (a throw-away database
``buurtkit_bench_lending``, created and dropped by Django's test utilities).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

# A device's life, step after step (it may loop: a device comes back and goes out again).
PATH = [
    "received", "wiped", "refurbished", "checked", "available", "reserved", "handed_over",
    "returned", "wiped", "checked", "available", "handed_over", "in_repair", "checked",
    "available", "handed_over", "returned", "wiped", "checked", "available",
]  # fmt: skip
KINDS = ["laptop", "laptop", "laptop", "pc", "tablet", "tablet", "smartphone", "screen", "router"]
MODELS = {
    "Dell": ["Latitude 5490", "Latitude 7400", "OptiPlex 7050", "Inspiron 15"],
    "Lenovo": ["ThinkPad T480", "ThinkPad X270", "ThinkCentre M720", "Tab M10"],
    "HP": ["EliteBook 840 G5", "ProBook 450", "EliteDesk 800", "Chromebook 11"],
    "Apple": ["MacBook Air 2017", "iPad 6", "iPad 9", "iPhone 8"],
    "Samsung": ["Galaxy Tab A8", "Galaxy A52", "Galaxy Tab S6 Lite", "S24F350 screen"],
    "Acer": ["TravelMate P2", "Aspire 5", "Chromebook 314", "Veriton X"],
    "Fujitsu": ["Lifebook E549", "Esprimo D538", "Lifebook U748", "Stylistic Q509"],
    "Asus": ["VivoBook 15", "ZenBook 14", "ExpertBook B1", "RT-AX58U router"],
}
BRANDS = list(MODELS)
POOLS = ["handout", "handout", "handout", "place", "parts"]
CONDITIONS = ["new", "good", "good", "fair", "poor"]
EVIDENCE = json.dumps(
    {
        "method": "NIST 800-88 purge",
        "tool": "nwipe 0.35",
        "operator": "bench",
        "wiped_on": "2026-01-05",
    }
)


def serial_of(i: int) -> str:
    return f"{BRANDS[i % len(BRANDS)][:2].upper()}{(i * 2654435761) % 4294967291:010d}"


def device_rows(community_id: int, devices: int, events: int, start: datetime) -> tuple[list, list]:
    """(devices, events) as tuples for the two tables; ids 1..N."""
    mean = max(1, events // devices)
    spread = max(1, 2 * mean - 1)
    device_out, event_out = [], []
    made = 0
    for i in range(devices):
        remaining_devices = devices - i
        n = 1 + (i % spread)
        n = max(1, min(n, events - made - (remaining_devices - 1)))
        if i == devices - 1:
            n = max(1, events - made)
        brand = BRANDS[(i // 7) % len(BRANDS)]
        model = MODELS[brand][i % 4]
        at = start + timedelta(minutes=i)
        last = ""
        for seq in range(1, n + 1):
            kind = PATH[(seq - 1) % len(PATH)]
            last = kind
            event_out.append(
                (community_id, i + 1, seq, kind, at + timedelta(hours=seq), "bench", "",
                 EVIDENCE if kind == "wiped" else "{}")
            )  # fmt: skip
        made += n
        device_out.append(
            (i + 1, community_id, f"DB-{i + 1:06d}", KINDS[i % len(KINDS)], brand, model,
             serial_of(i), "{}", CONDITIONS[i % len(CONDITIONS)], POOLS[i % len(POOLS)], last,
             at + timedelta(hours=n), n, at)
        )  # fmt: skip
    return device_out, event_out


DEVICE_COLUMNS = (
    "id, community_id, label, kind, brand, model, serial, specs, condition, pool, state, "
    "state_changed_at, events_count, created_at"
)
EVENT_COLUMNS = "community_id, device_id, seq, kind, at, actor_label, note, data"


def bulk_insert(connection: Any, devices: list, events: list) -> None:
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3: COPY is the fast way in
            for table, columns, rows in (
                ("lending_device", DEVICE_COLUMNS, devices),
                ("lending_deviceevent", EVENT_COLUMNS, events),
            ):
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('lending_device', 'id'), %s)", [len(devices)]
            )
            cursor.execute("ANALYZE lending_device")
            cursor.execute("ANALYZE lending_deviceevent")
        else:
            marks = ", ".join(["%s"] * 14)
            cursor.executemany(
                f"INSERT INTO lending_device ({DEVICE_COLUMNS}) VALUES ({marks})", devices
            )
            for chunk in range(0, len(events), 100_000):
                cursor.executemany(
                    f"INSERT INTO lending_deviceevent ({EVENT_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    events[chunk : chunk + 100_000],
                )
            cursor.execute("ANALYZE")


def percentile(timings: list[float], p: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    env = os.environ.get
    parser.add_argument("--devices", type=int, default=int(env("LENDING_BENCH_DEVICES", 100_000)))
    parser.add_argument("--events", type=int, default=int(env("LENDING_BENCH_EVENTS", 1_000_000)))
    parser.add_argument("--requests", type=int, default=int(env("LENDING_BENCH_REQUESTS", 200)))
    args = parser.parse_args()
    if args.devices < 1 or args.events < args.devices:
        raise SystemExit("give at least one device and at least one event per device")

    os.environ.setdefault("BUURTKIT_DATA_DIR", tempfile.mkdtemp(prefix="buurtkit-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtkit.conf.settings_test")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from django.db import connection
    from django.test import Client

    creation = connection.creation
    if connection.vendor != "sqlite":
        # Never the test suite's database: a benchmark may run beside it.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = "buurtkit_bench_lending"
    import _template_db  # bench/: CI's smoke runs copy one migrated database

    db_name = _template_db.create_test_db(connection, verbosity=0)
    try:
        from buurtkit.core.actor import Actor
        from buurtkit.core.services import community_create
        from buurtkit.lending.services import stock_counts_rebuild
        from buurtkit.people.services import apikey_create

        community = community_create(name="Bench", slug="bench", enabled_modules=["lending"])
        actor = Actor.system(community, label="bench")
        started = time.perf_counter()
        devices, events = device_rows(
            community.pk, args.devices, args.events, datetime(2025, 1, 1, tzinfo=UTC)
        )
        built_s = time.perf_counter() - started
        bulk_insert(connection, devices, events)
        # Rows written around the services: count the stock counters afresh, as
        # ``buurtkit lending_stock_recount`` does after a bulk import.
        stock_counts_rebuild(community_id=community.pk)
        load_s = time.perf_counter() - started
        _key, raw = apikey_create(actor=actor, name="bench", roles=["staff"])
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        picks = random.Random(12).sample(range(args.devices), min(args.devices, args.requests))
        cases: dict[str, list[str]] = {
            "search by serial": [f"/api/v1/lending/devices?q={serial_of(i)}" for i in picks],
            "search by label": [f"/api/v1/lending/devices?q=DB-{i + 1:06d}" for i in picks],
            "search by text": [
                f"/api/v1/lending/devices?q={MODELS[BRANDS[i % len(BRANDS)]][i % 4].split()[0]}"
                for i in picks
            ],
            "stock overview": ["/api/v1/lending/stock"],
        }
        print(
            f"buurtkit device bank stock benchmark ({connection.vendor}, "
            f"{args.devices} devices, {len(events)} events; load {os.getloadavg()[0]:.1f})"
        )
        print(f"  load: {load_s:.1f} s (rows made in {built_s:.1f} s)")
        for label, urls in cases.items():
            client.get(urls[0])  # warm up (first query plans, caches)
            timings, cpu = [], []
            for n in range(args.requests):
                url = urls[n % len(urls)]
                t0, c0 = time.perf_counter(), time.process_time()
                response = client.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                assert response.status_code == 200, response.content
                body = response.json()
                # A figure from nothing is no figure (the CI smoke run, tests/test_bench_smoke.py).
                found = body.get("total") if "by_kind" in body else body["count"]
                if not found:
                    raise SystemExit(f"degenerate run: {label} found nothing at {url}")
            # CPU time of this process (Django, and SQLite itself; not PostgreSQL's server): on
            # a shared machine it shows the work apart from the wait for a core.
            print(
                f"  {label:<18} p50 {statistics.median(timings):6.1f} ms"
                f"   p99 {percentile(timings, 0.99):6.1f} ms   ({args.requests} requests;"
                f" CPU p50 {statistics.median(cpu):5.1f} ms)"
            )
        stock = client.get("/api/v1/lending/stock").json()
        if stock["total"] != args.devices:
            raise SystemExit(f"degenerate run: the stock counts {stock['total']} devices")
        print(f"  states: {len({s for k in stock['by_kind'].values() for s in k}) - 1} different")
    finally:
        creation.destroy_test_db(db_name, verbosity=0)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    main()
