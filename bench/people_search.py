"""Benchmark: searching people through the API with N residents in one community.

    .venv/bin/python bench/people_search.py [--people 10000] [--requests 200]

Uses a fresh SQLite database in a temporary data dir (or DATABASE_URL when set, in a
throw-away database created by Django's test runner utilities). Prints load time and the
latency of list/search requests (median and 95th percentile) as a staff API key would see them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

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
        connection.settings_dict.setdefault("TEST", {})["NAME"] = "buurtkit_bench_tmp"
    import _template_db  # bench/: CI's smoke runs copy one migrated database

    db_name = _template_db.create_test_db(connection, verbosity=0)
    try:
        from buurtkit.core.actor import Actor
        from buurtkit.core.services import community_create
        from buurtkit.people.demo import FIRST_NL, LAST_NL
        from buurtkit.people.models import Person
        from buurtkit.people.services import apikey_create

        community = community_create(name="Bench", slug="bench")
        actor = Actor.system(community, label="bench")
        started = time.perf_counter()
        rows = [
            Person(
                community=community,
                first_name=FIRST_NL[i % len(FIRST_NL)],
                last_name=f"{LAST_NL[i % len(LAST_NL)]} {i}",
                phone=f"+3247{i:07d}",
                phone_kind="mobile",
                postcode="9000",
                neighbourhood="Rabot",
            )
            for i in range(args.people)
        ]
        Person.objects.bulk_create(rows, batch_size=1000)
        load_s = time.perf_counter() - started
        _key, raw = apikey_create(actor=actor, name="bench", roles=["staff"])
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        cases = {
            "list page 1 (limit 25)": "/api/v1/people?limit=25",
            "list deep page (offset 5000)": f"/api/v1/people?limit=25&offset={args.people // 2}",
            "search by name": f"/api/v1/people?q={LAST_NL[0].lower()}&limit=25",
            # Someone's number in the national form (0470 …), as a clerk types it.
            "search by phone digits": f"/api/v1/people?q=047{args.people // 3:07d}&limit=25",
        }
        print(f"buurtkit people search benchmark ({connection.vendor}, {args.people} people)")
        print(f"  load: {load_s:.2f} s")
        for label, url in cases.items():
            timings = []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.content
            # A figure from nothing is no figure (the CI smoke run, tests/test_bench_smoke.py).
            if not response.json()["items"]:
                raise SystemExit(f"degenerate run: {label} found nobody")
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(f"  {label:<30} median {statistics.median(timings):6.1f} ms   p95 {p95:6.1f} ms")
    finally:
        creation.destroy_test_db(db_name, verbosity=0)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    main()
