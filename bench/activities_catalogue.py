"""Benchmark: the public activities programme with thousands of sessions to come.

    .venv/bin/python bench/activities_catalogue.py [--sessions 5000] [--requests 200]

(or ``ACTIVITIES_BENCH_SESSIONS`` / ``ACTIVITIES_BENCH_REQUESTS``).

Builds one community with 20 digipunten, 250 published activities in every kind and category,
and N sessions spread over the coming year, partly full (a realistic mix of seats left), written
in bulk. Then an anonymous visitor (no login, as a resident on the portal) asks for the public
programme page as it is used: the first page, a page further on, filtered by kind, by category
and by place. Prints p50 and p99 per case (the target of issue 13: p50 <= 30 ms with 5,000
future sessions).

Uses a fresh SQLite database in a temporary data dir, or ``DATABASE_URL`` (a throw-away database
``buurtkit_bench_activities``, created and dropped by Django's test utilities).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

KINDS = [
    "it_cafe", "course", "essential", "repair_cafe", "open_lab", "info_session", "roadshow",
    "drop_in", "partner_course",
]  # fmt: skip


def percentile(timings: list[float], p: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    env = os.environ.get
    parser.add_argument(
        "--sessions", type=int, default=int(env("ACTIVITIES_BENCH_SESSIONS", 5_000))
    )
    parser.add_argument("--requests", type=int, default=int(env("ACTIVITIES_BENCH_REQUESTS", 200)))
    args = parser.parse_args()
    if args.sessions < 20 or args.requests < 1:
        raise SystemExit("give at least 20 sessions and one request")

    os.environ.setdefault("BUURTKIT_DATA_DIR", tempfile.mkdtemp(prefix="buurtkit-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtkit.conf.settings_test")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from django.db import connection, transaction
    from django.test import Client

    creation = connection.creation
    if connection.vendor != "sqlite":
        # Never the test suite's database: a benchmark may run beside it.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = "buurtkit_bench_activities"
    import _template_db  # bench/: CI's smoke runs copy one migrated database

    db_name = _template_db.create_test_db(connection, verbosity=0)
    try:
        from buurtkit.activities import services
        from buurtkit.activities.models import ActivityKind, Session
        from buurtkit.core.actor import Actor
        from buurtkit.core.services import community_create
        from buurtkit.places import services as places_services

        unknown = set(KINDS) - set(ActivityKind.values)
        if unknown:
            raise SystemExit(f"unknown activity kinds: {sorted(unknown)}")
        community = community_create(name="Bench", slug="bench", enabled_modules=["activities"])
        actor = Actor.system(community, label="bench")
        started = time.perf_counter()
        rng = random.Random(13)
        with transaction.atomic():
            categories = [c.pk for c in services.categories_ensure_defaults(actor=actor)]
            places = [
                places_services.place_create(
                    actor=actor,
                    name=f"Digipunt {n + 1}",
                    kind="digipunt",
                    street=f"Bibliotheekstraat {n + 1}",
                ).pk
                for n in range(20)
            ]
            series = [
                services.series_create(
                    actor=actor,
                    kind=KINDS[n % len(KINDS)],
                    title={"nl": f"Activiteit {n + 1}", "fr": f"Activité {n + 1}"},
                    description={"nl": "Kom langs, we helpen je op weg."},
                    category_id=categories[n % len(categories)] if categories else None,
                    published=True,
                ).pk
                for n in range(250)
            ]
            start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            rows = []
            for n in range(args.sessions):
                at = start + timedelta(days=1 + n * 365 // args.sessions, hours=n % 8)
                capacity = rng.choice([8, 12, 20, 20, 25])
                rows.append(
                    Session(
                        community=community,
                        series_id=series[n % len(series)],
                        place_id=places[n % len(places)],
                        starts_at=at,
                        ends_at=at + timedelta(hours=2),
                        capacity=capacity,
                        seats_taken=rng.randint(0, capacity),
                    )
                )
            Session.objects.bulk_create(rows, batch_size=1000)
            del rows  # what the loader made is not what a server process holds
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        load_s = time.perf_counter() - started

        client = Client(HTTP_ACCEPT_LANGUAGE="nl-BE,nl;q=0.9")
        base = f"/{community.slug}/activities/"
        cases = {
            "first page": [base],
            "page 10": [f"{base}?page=10"],
            "by kind": [f"{base}?kind={k}" for k in KINDS],
            "by category": [f"{base}?category={c}" for c in categories] or [base],
            "by place": [f"{base}?place={p}" for p in places],
        }
        print(
            f"buurtkit public programme benchmark ({connection.vendor}, "
            f"{args.sessions} sessions to come, 250 activities, 20 places)"
        )
        print(f"  load: {load_s:.1f} s")
        for label, urls in cases.items():
            client.get(urls[0])  # warm up (first query plans, template caches)
            timings = []
            for n in range(args.requests):
                url = urls[n % len(urls)]
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")
                # A figure from nothing is no figure (the CI smoke run, tests/test_bench_smoke.py).
                if f"/{community.slug}/activities/sessions/" not in response.content.decode():
                    raise SystemExit(f"degenerate run: {label} listed no session at {url}")
            print(
                f"  {label:<12} p50 {statistics.median(timings):6.1f} ms"
                f"   p99 {percentile(timings, 0.99):6.1f} ms   ({args.requests} requests)"
            )
    finally:
        creation.destroy_test_db(db_name, verbosity=0)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    main()
