"""Benchmark: the help exchange's public list with tens of thousands of posts.

    .venv/bin/python bench/helpexchange_list.py [--posts 50000] [--requests 200]

(or ``HELPEXCHANGE_BENCH_POSTS`` / ``HELPEXCHANGE_BENCH_REQUESTS``).

Builds one community with N posts (about a third still open, the rest agreed, done, cancelled
or expired) over two years, in 11 categories and 12 neighbourhoods, written in bulk. Then an
anonymous visitor asks for the public list page as it is used: the first page, filtered by
category, by neighbourhood, by both, and a page further on. The list (filters, cards, pager) is
cached per community, filters, page and language under a version that every change of a post
replaces; the page around it is rendered per request. Then the same cases "uncached": the
version is replaced before each request, as after a change of a post, so every request reads
the database (the partial indexes of ``helpexchange.Post``) and renders the list again. Then
the embed for a neighbourhood's website, served from the cache after its first request (no
session, no login on its way). Prints p50 and p99 per case (the targets of issue 16: filtered
list p50 <= 20 ms with 50,000 posts, the embed from cache <= 5 ms).

Uses a fresh SQLite database in a temporary data dir, or ``DATABASE_URL`` (a throw-away database
``buurtkit_bench_helpexchange``, created and dropped by Django's test utilities).
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

NEIGHBOURHOODS = [
    "Rabot", "Blaisantvest", "Brugse Poort", "Muide", "Meulestede", "Dampoort", "Ledeberg",
    "Sluizeken", "Tolhuis", "Ham", "Macharius", "Heirnis",
]  # fmt: skip


def percentile(timings: list[float], p: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    env = os.environ.get
    parser.add_argument("--posts", type=int, default=int(env("HELPEXCHANGE_BENCH_POSTS", 50_000)))
    parser.add_argument(
        "--requests", type=int, default=int(env("HELPEXCHANGE_BENCH_REQUESTS", 200))
    )
    args = parser.parse_args()
    if args.posts < 100 or args.requests < 1:
        raise SystemExit("give at least 100 posts and one request")

    os.environ.setdefault("BUURTKIT_DATA_DIR", tempfile.mkdtemp(prefix="buurtkit-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtkit.conf.settings_test")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from django.core.cache import cache
    from django.db import connection, transaction
    from django.test import Client

    creation = connection.creation
    if connection.vendor != "sqlite":
        # Never the test suite's database: a benchmark may run beside it.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = "buurtkit_bench_helpexchange"
    db_name = creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from buurtkit.core.services import community_create
        from buurtkit.helpexchange.models import Category, Post, PostKind, PostState
        from buurtkit.people.models import Person

        cache.clear()
        community = community_create(name="Bench", slug="bench", enabled_modules=["helpexchange"])
        started = time.perf_counter()
        rng = random.Random(16)
        categories = list(Category.values)
        closed = [PostState.AGREED, PostState.DONE, PostState.CANCELLED, PostState.EXPIRED]
        with transaction.atomic():
            people = Person.objects.bulk_create(
                [
                    Person(
                        community=community,
                        first_name=f"Buur{n}",
                        last_name=f"Achternaam{n}",
                        neighbourhood=NEIGHBOURHOODS[n % len(NEIGHBOURHOODS)],
                    )
                    for n in range(500)
                ]
            )
            now = datetime.now(UTC)
            rows = []
            for n in range(args.posts):
                person = people[n % len(people)]
                at = now - timedelta(minutes=n * 2 * 365 * 24 * 60 // args.posts)
                state = PostState.OPEN if rng.random() < 0.35 else rng.choice(closed)
                rows.append(
                    Post(
                        community=community,
                        kind=rng.choice([PostKind.REQUEST, PostKind.OFFER]),
                        person=person,
                        category=categories[n % len(categories)],
                        neighbourhood=person.neighbourhood,
                        title=f"Hulp gevraagd {n}",
                        text="Wie kan helpen? Het duurt ongeveer een uur.",
                        duration_minutes=60,
                        state=state,
                        hidden=rng.random() < 0.01,
                        expires_at=now + timedelta(days=30),
                        created_at=at,
                        posted_by_label="bench",
                    )
                )
            Post.objects.bulk_create(rows, batch_size=2000)
            del rows
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        load_s = time.perf_counter() - started
        open_posts = Post.objects.filter(community=community, state="open", hidden=False).count()

        client = Client(HTTP_ACCEPT_LANGUAGE="nl-BE,nl;q=0.9")
        base = f"/{community.slug}/helpexchange/"
        cases = {
            "first page": [base],
            "page 5": [f"{base}?page=5"],
            "by category": [f"{base}?category={c}" for c in categories],
            "by neighbourhood": [f"{base}?neighbourhood={n}" for n in NEIGHBOURHOODS],
            "by both": [
                f"{base}?category={c}&neighbourhood={n}"
                for c, n in zip(categories, NEIGHBOURHOODS, strict=False)
            ],
        }
        print(
            f"buurtkit help exchange benchmark ({connection.vendor}, {args.posts} posts, "
            f"{open_posts} open, {len(categories)} categories, {len(NEIGHBOURHOODS)} neighbourhoods)"
        )
        print(f"  load: {load_s:.1f} s")

        from buurtkit.helpexchange.selectors import public_changed

        def measure(label: str, urls: list[str], *, marker: str, cold: bool = False) -> None:
            for url in urls[:3]:
                client.get(url)  # warm up (query plans, templates; the embed: its cache)
            timings = []
            cpu0 = time.process_time()
            for n in range(args.requests):
                url = urls[n % len(urls)]
                if cold:
                    public_changed(community.pk)  # as after a change of a post: not cached
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")
                # A figure from nothing is no figure (the CI smoke run, tests/test_bench_smoke.py).
                if marker not in response.content.decode():
                    raise SystemExit(f"degenerate run: {label} listed no post at {url}")
            # CPU of this process per request (client and server: the test client calls Django
            # in-process): what a request costs whatever else the machine is doing.
            cpu = (time.process_time() - cpu0) * 1000 / args.requests
            print(
                f"  {label:<26} p50 {statistics.median(timings):6.1f} ms"
                f"   p99 {percentile(timings, 0.99):6.1f} ms   CPU {cpu:5.1f} ms"
                f"   ({args.requests} requests)"
            )

        marker = f"/{community.slug}/helpexchange/posts/"
        for label, urls in cases.items():
            measure(f"list {label}", urls, marker=marker)
        # The same pages just after a post changed: the list is read and rendered again.
        for label, urls in cases.items():
            measure(f"uncached {label}", urls, marker=marker, cold=True)
        embed = f"{base}embed/"
        measure(
            "embed from cache",
            [embed, f"{embed}?category=moving", f"{embed}?neighbourhood=Rabot"],
            marker=marker,
        )
    finally:
        creation.destroy_test_db(db_name, verbosity=0)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    main()
