"""Benchmark: the QR scan statistics at a year of 10 million scans.

    .venv/bin/python bench/qr_stats.py [--codes 2000] [--days 365] [--scans 10000000]
                                       [--today 20000] [--raw-days 0] [--runs 10] [--reuse]

Fills a database with what a year of ``--scans`` scans over ``--codes`` codes leaves behind: the
daily sums (``CodeDay`` per code and day, ``ScanDaily`` per code, day, route, source, device,
language and bot) with realistic spreads (a few codes scanned far more than most, busier
weekends, a season, 4 % bots), every past day marked as rolled up, and ``--today`` single scans
for today. ``--raw-days N`` also keeps the single scans of the last N finished days (as a site
that keeps them 400 days does), to show they are not read again. Everything is made with
``bulk_create``, not through the scan URL.

Then it times the dashboard's reads (selectors) and the rendered pages: the overview over 30 and
365 days, one code over 365 days, a tag and a team over 365 days, the CSV over 30 days and the
roll-up check every page makes first. Prints the median and the 95th percentile of ``--runs``.

Uses a fresh SQLite database in a temporary data dir, or the database of ``DATABASE_URL`` (a
throw-away copy named ``<name>_qrstats``). ``--reuse`` fills the configured database itself once
and reuses it on the next run (set ``BUURTKIT_DATA_DIR`` for SQLite).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import logging
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

SOURCES = (["print", "link", "poster-2025"], [70, 26, 4])
DEVICES = (["phone", "tablet", "desktop", "other"], [86, 7, 5, 2])
LANGUAGES = (["nl", "fr", "en"], [76, 12, 12])
ROUTE_WEIGHTS = [60, 30, 10]
BOT_SHARE = 0.04
TEAMS = 10
TAGS = 20


def _timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm up (connection, caches, query plans)
    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    p95 = timings[max(0, round(len(timings) * 0.95) - 1)]
    return statistics.median(timings), p95


def _fill(args: argparse.Namespace, rng: random.Random) -> dict[str, Any]:
    from django.db import connection, transaction

    from buurtkit.core.actor import Actor
    from buurtkit.core.services import community_create
    from buurtkit.people.services import organisation_create
    from buurtkit.qrcodes import recording, selectors
    from buurtkit.qrcodes.models import (
        Code,
        CodeDay,
        CommunityDay,
        CommunityScanDaily,
        RolledUpDay,
        Route,
        Scan,
        ScanDaily,
        Tag,
    )

    community = community_create(name="Bench", slug="bench", enabled_modules=["qrcodes"])
    system = Actor.system(community, label="bench")
    teams = [
        organisation_create(
            actor=system, name=f"Team {i}", slug=f"team-{i}", kind="city_department"
        )
        for i in range(TEAMS)
    ]
    now = dt.datetime.now(dt.UTC)
    today = selectors.local_today()
    tags = Tag.objects.bulk_create(
        [Tag(community=community, name=f"tag{i:02d}") for i in range(TAGS)]
    )
    codes = Code.objects.bulk_create(
        [
            Code(
                community=community,
                code=f"B{i:07d}",
                title=f"Object {i}",
                owner=teams[i % TEAMS],
                status="active",
                created_at=now,
                updated_at=now,
            )
            for i in range(args.codes)
        ],
        batch_size=2000,
    )
    through = Code.tags.through
    links = []
    for i, code in enumerate(codes):
        for t in {i % TAGS, (i * 7 + 3) % TAGS} if i % 3 == 0 else {i % TAGS}:
            links.append(through(code_id=code.pk, tag_id=tags[t].pk))
    through.objects.bulk_create(links, batch_size=5000)
    route_counts = [1 + (i % 3) for i in range(len(codes))]
    Route.objects.bulk_create(
        [
            Route(
                community=community,
                code=code,
                position=p,
                name=f"route {p + 1}",
                action="redirect",
                params={"url": "https://example.org/"},
            )
            for code, n in zip(codes, route_counts, strict=True)
            for p in range(n)
        ],
        batch_size=5000,
    )

    # Popularity: a few codes get most scans (Zipf-like), scaled to --scans over the period.
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(codes))]
    rng.shuffle(weights)
    total_weight = sum(weights)
    days = [today - dt.timedelta(days=d) for d in range(args.days, 0, -1)]

    def day_factor(day: dt.date) -> float:
        weekend = 1.35 if day.weekday() >= 5 else 0.9
        season = 1 + 0.3 * math.sin(day.timetuple().tm_yday / 365 * 6.283)
        return weekend * season

    norm = sum(day_factor(d) for d in days)
    counts = {"scans": 0, "code_days": 0, "daily_rows": 0}
    started = time.perf_counter()
    for chunk_start in range(0, len(days), 7):
        code_days: list[CodeDay] = []
        daily: list[ScanDaily] = []
        whole_days: list[CommunityDay] = []
        whole_daily: list[CommunityScanDaily] = []
        for day in days[chunk_start : chunk_start + 7]:
            day_total = args.scans * day_factor(day) / norm
            first_row, first_day = len(daily), len(code_days)
            for code, w, routes in zip(codes, weights, route_counts, strict=True):
                mean = day_total * w / total_weight
                n = int(rng.expovariate(1 / mean) + rng.random()) if mean > 0 else 0
                if n == 0:
                    continue
                bots = sum(1 for _ in range(min(n, 50)) if rng.random() < BOT_SHARE)
                bots = bots if n <= 50 else round(n * BOT_SHARE * rng.uniform(0.5, 1.5))
                people = n - bots
                combos = collections.Counter(
                    zip(
                        rng.choices(range(routes), ROUTE_WEIGHTS[:routes], k=people),
                        rng.choices(*SOURCES, k=people),
                        rng.choices(*DEVICES, k=people),
                        rng.choices(*LANGUAGES, k=people),
                        strict=True,
                    )
                )
                for (route, source, device, language), k in combos.items():
                    daily.append(
                        ScanDaily(
                            community=community,
                            code=code,
                            day=day,
                            route=route,
                            source=source,
                            device=device,
                            language=language,
                            bot=False,
                            scans=k,
                        )
                    )
                if bots:
                    daily.append(
                        ScanDaily(
                            community=community,
                            code=code,
                            day=day,
                            route=0,
                            source="link",
                            device="other",
                            language="en",
                            bot=True,
                            scans=bots,
                        )
                    )
                visitors = max(1, round(people * rng.uniform(0.7, 0.95))) if people else 0
                code_days.append(
                    CodeDay(
                        community=community,
                        code=code,
                        day=day,
                        scans=people,
                        visitors=visitors,
                        bot_scans=bots,
                    )
                )
                counts["scans"] += n
            # The community's own sums of the day, as the roll-up makes them.
            whole: collections.Counter[tuple[Any, ...]] = collections.Counter()
            for row in daily[first_row:]:
                whole[(row.route, row.source, row.device, row.language, row.bot)] += row.scans
            whole_daily.extend(
                CommunityScanDaily(
                    community=community,
                    day=day,
                    route=route,
                    source=source,
                    device=device,
                    language=language,
                    bot=bot,
                    scans=k,
                )
                for (route, source, device, language, bot), k in whole.items()
            )
            today_rows = code_days[first_day:]
            whole_days.append(
                CommunityDay(
                    community=community,
                    day=day,
                    scans=sum(r.scans for r in today_rows),
                    visitors=sum(r.visitors for r in today_rows),
                    bot_scans=sum(r.bot_scans for r in today_rows),
                )
            )
        with transaction.atomic():
            CodeDay.objects.bulk_create(code_days, batch_size=5000)
            ScanDaily.objects.bulk_create(daily, batch_size=5000)
            CommunityDay.objects.bulk_create(whole_days)
            CommunityScanDaily.objects.bulk_create(whole_daily, batch_size=5000)
        counts["code_days"] += len(code_days)
        counts["daily_rows"] += len(daily)
    RolledUpDay.objects.bulk_create(
        [RolledUpDay(community=community, day=day, at=now) for day in days]
    )

    def raw_scans(day: dt.date, n: int) -> list[Scan]:
        at = dt.datetime.combine(day, dt.time(12), tzinfo=recording.BRUSSELS)
        picked = rng.choices(codes, weights, k=n)
        rows = []
        for code in picked:
            bot = rng.random() < BOT_SHARE
            rows.append(
                Scan(
                    community=community,
                    code=code,
                    at=at,
                    day=day,
                    visitor=f"{rng.randrange(n // 2 + 1):016x}",
                    device=rng.choices(*DEVICES)[0],
                    os="android",
                    language=rng.choices(*LANGUAGES)[0],
                    route=0,
                    outcome="redirect",
                    source=rng.choices(*SOURCES)[0],
                    bot=bot,
                )
            )
        return rows

    per_day = args.scans // max(args.days, 1)
    for day in days[len(days) - args.raw_days :] if args.raw_days else []:
        Scan.objects.bulk_create(raw_scans(day, per_day), batch_size=5000)
    Scan.objects.bulk_create(raw_scans(today, args.today), batch_size=5000)
    with connection.cursor() as cursor:
        # As autovacuum does after big inserts on PostgreSQL: statistics, and the visibility
        # map that lets index-only scans skip the table.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {
        **counts,
        "fill_s": time.perf_counter() - started,
        "raw": Scan.objects.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--scans", type=int, default=10_000_000)
    parser.add_argument("--today", type=int, default=20_000)
    parser.add_argument("--raw-days", type=int, default=0)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()

    if not args.reuse:
        os.environ.setdefault("BUURTKIT_DATA_DIR", tempfile.mkdtemp(prefix="buurtkit-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtkit.conf.settings_test")
    import django

    django.setup()
    from django.conf import settings

    settings.QR_SCAN_RECORDING = "off"
    settings.ALLOWED_HOSTS = ["*"]
    logging.getLogger("axes").setLevel(logging.WARNING)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    creation = connection.creation
    db_name = None
    if args.reuse:
        call_command("migrate", verbosity=0)
    else:
        if connection.vendor != "sqlite":
            # Never the test suite's database: a benchmark may run beside it.
            test = connection.settings_dict.setdefault("TEST", {})
            test["NAME"] = f"{connection.settings_dict['NAME']}_qrstats"
        import _template_db  # bench/: CI's smoke runs copy one migrated database

        db_name = _template_db.create_test_db(connection, verbosity=0)
    try:
        from buurtkit.core.actor import Actor
        from buurtkit.core.models import Community
        from buurtkit.people.services import membership_grant
        from buurtkit.qrcodes import selectors, services
        from buurtkit.qrcodes.models import Code, CodeDay, Scan, ScanDaily, Tag

        rng = random.Random(args.seed)
        community = Community.objects.filter(slug="bench").first()
        if community is None:
            filled = _fill(args, rng)
            community = Community.objects.get(slug="bench")
            print(
                f"filled in {filled['fill_s']:.0f} s: {filled['scans']:,} scans as "
                f"{filled['code_days']:,} code-day rows and {filled['daily_rows']:,} "
                f"breakdown rows; {filled['raw']:,} single scans"
            )
        else:
            print(
                f"reusing: {CodeDay.objects.count():,} code-day rows, "
                f"{ScanDaily.objects.count():,} breakdown rows, {Scan.objects.count():,} "
                "single scans"
            )
        actor = Actor.system(community, label="bench")
        user, _created = get_user_model().objects.get_or_create(username="bench-staff")
        if _created:
            membership_grant(actor=actor, username=user.username, roles=["staff"])
        client = Client()
        client.force_login(user)

        today = selectors.local_today()
        year = {"start": today - dt.timedelta(days=364), "end": today}
        month = {"start": today - dt.timedelta(days=29), "end": today}
        tag = Tag.objects.in_community(community).order_by("name").first()
        tag_name = tag.name if tag else ""
        top = selectors.top_codes(actor=actor, limit=1, **year)
        if not top:  # a figure from nothing is no figure (the CI smoke run)
            raise SystemExit("degenerate run: the year's statistics show no scans")
        code_id = top[0]["id"] if top else Code.objects.in_community(community).first().pk
        team_id = Code.objects.get(pk=code_id).owner_id

        def dashboard(**filters: Any) -> Callable[[], None]:
            def run() -> None:
                selectors.scans_per_day(actor=actor, **filters)
                selectors.scans_breakdowns(actor=actor, **filters)
                if "code_id" not in filters:
                    selectors.top_codes(actor=actor, limit=20, **filters)

            return run

        def page(url: str) -> Callable[[], None]:
            def run() -> None:
                response = client.get(url)
                assert response.status_code == 200, response.status_code
                if response.streaming:
                    b"".join(response.streaming_content)

            return run

        base = f"/{community.slug}/qr"
        cases: list[tuple[str, Callable[[], None]]] = [
            (
                "roll-up check (nothing pending)",
                lambda: services.rollup_pending(community_id=community.pk),
            ),
            ("selectors: overview 30 days", dashboard(**month)),
            ("selectors: overview 365 days", dashboard(**year)),
            ("selectors: one code 365 days", dashboard(code_id=code_id, **year)),
            (f"selectors: tag {tag_name} 365 days", dashboard(tag=tag_name, **year)),
            ("selectors: team 365 days", dashboard(owner_id=team_id, **year)),
            ("page: overview 30 days", page(f"{base}/stats/?period=30")),
            ("page: overview 365 days", page(f"{base}/stats/?period=365")),
            ("page: one code 365 days", page(f"{base}/codes/{code_id}/stats/?period=365")),
            ("page: tag 365 days", page(f"{base}/stats/?period=365&tag={tag_name}")),
            ("page: team 365 days", page(f"{base}/stats/?period=365&team={team_id}")),
            ("CSV: 30 days, all codes", page(f"{base}/stats.csv?period=30")),
        ]
        print(
            f"buurtkit QR statistics benchmark ({connection.vendor}, {args.runs} runs, "
            f"median / p95)"
        )
        for label, fn in cases:
            median, p95 = _timed(fn, args.runs)
            print(f"  {label:<34} median {median:7.1f} ms   p95 {p95:7.1f} ms")
    finally:
        if db_name is not None:
            creation.destroy_test_db(db_name, verbosity=0)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    main()
