"""Benchmark: monitoring of a large city over five years (issue 15).

    .venv/bin/python bench/monitoring_dashboard.py [--events N] [--people 200000] [--targets 30]
        [--places 50] [--queries 200] [--reports 3] [--pg postgres://…] [--template DB]

Default sizes: 10,000,000 events on PostgreSQL (``--pg`` or ``DATABASE_URL``), 1,000,000 on
SQLite (a throw-away database in a temporary data dir). The PostgreSQL database is a throw-away
``buurtkit_bench_monitoring_<pid>`` on that server (``--template``: copied from a migrated one).

**What an "event" is here.** One thing a module records that an indicator counts: a person
coming to a session, a device handed over, a transfer of torekes, a QR scan, a Buurbel
introduction. Monitoring never reads those tables when it answers (ADR 0016): it reads two
roll-up tables that the recurring job keeps. So the benchmark loads what the roll-up holds after
N events over 60 months in 50 places (5 municipalities, 20 neighbourhoods), without the hours of
writing N rows into the modules and recounting them:

- ``IndicatorCount`` rows per month, place and breakdown whose values add up to each count
  indicator's share of the events (participations 30 %, QR scans 30 %, torekes issued 10 % and
  redeemed 3 %, sessions 2 %, devices 2 %, Buurbel introductions 3 %) — bounded by months ×
  places × breakdowns, whatever N is, as the design intends;
- ``IndicatorSubject`` rows for the indicators that count once: every participation (30 %),
  hand-over (2 %) and transfer (20 %) event picks a person among ``--people`` (an account among
  a quarter as many) and a place; duplicates in a month, place and breakdown collapse as the
  roll-up does, and each row is written in total and in its breakdown ("kind:course"). At 10 M
  events that is about 8.5 million subject rows.

Then it measures, in the process (Django's test client, a coordinator signed in):
- the dashboard page of a plan with ``--targets`` targets over two years across two
  municipalities (value, 24 months and per municipality for each target; target ≤ 1 s);
- ``selectors.indicator_value`` for random indicators, periods (1–60 months) and filters (none,
  place, municipality, neighbourhood, breakdown) — the API's ``/monitoring/values`` minus HTTP
  (target ≤ 200 ms, p50/p99/max printed);
- the funder's report over the plan: figures, XLSX with charts and PDF with charts, written to
  the data dir (target ≤ 10 s).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

MONTHS = 60
KINDS = ["course", "it_cafe", "repair_cafe", "open_lab", "info_session", "essential"]
CONNECTIONS = ["own", "social_tariff", "voucher"]
ACCOUNT_KINDS = ["resident", "merchant", "organisation"]
#: count indicators: (key, share of the events, breakdown dimension, values, mean size of an event)
COUNTS = [
    ("activities.participations", 0.30, "kind", KINDS, 1),
    ("qrcodes.scans", 0.30, "", [], 1),
    ("ledger.issued", 0.10, "", [], 25),
    ("ledger.redeemed", 0.03, "", [], 20),
    ("activities.sessions_held", 0.02, "kind", KINDS, 1),
    ("lending.devices_handed_out", 0.02, "as", ["gift", "loan", "sale"], 1),
    ("neighbours.introductions", 0.03, "", [], 1),
]
#: unique indicators: (key, share of the events, breakdown dimension, values, subjects)
UNIQUES = [
    ("activities.participants", 0.30, "kind", KINDS, "people"),
    ("lending.people_served", 0.02, "", [], "people"),
    ("ledger.active_accounts", 0.20, "account", ACCOUNT_KINDS, "accounts"),
]


def percentile(timings: list[float], p: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=0, help="default: 10 M (PG), 1 M (SQLite)")
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--targets", type=int, default=30)
    parser.add_argument("--places", type=int, default=50)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--reports", type=int, default=3)
    parser.add_argument("--pg", default="", help="a PostgreSQL server: postgres://user@host:port")
    parser.add_argument("--template", default="", help="a migrated PostgreSQL database to copy")
    args = parser.parse_args()
    pg = args.pg or (
        os.environ.get("DATABASE_URL", "")
        if "postgres" in os.environ.get("DATABASE_URL", "")
        else ""
    )
    events = args.events or (10_000_000 if pg else 1_000_000)
    if events < 1000 or args.people < 10 or args.targets < 1 or args.places < 4:
        raise SystemExit("give at least 1000 events, 10 people, 1 target and 4 places")

    data_dir = tempfile.mkdtemp(prefix="buurtkit-bench-monitoring-")
    os.environ["BUURTKIT_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtkit.conf.settings_test")
    db_name = ""
    if pg:
        server = pg.rsplit("/", 1)[0] if pg.count("/") > 2 else pg
        db_name = f"buurtkit_bench_monitoring_{os.getpid()}"
        template = f" TEMPLATE {args.template}" if args.template else ""
        subprocess.run(
            ["psql", f"{server}/postgres", "-q", "-c", f"CREATE DATABASE {db_name}{template}"],
            check=True,
        )
        os.environ["DATABASE_URL"] = f"{server}/{db_name}"
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.db import connection

    try:
        if not pg:
            sys.path.insert(0, os.path.dirname(__file__))
            from _template_db import create_test_db

            create_test_db(connection, verbosity=0)
        elif not args.template:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
        run(args, events)
    finally:
        connection.close()
        if db_name:
            subprocess.run(
                ["psql", f"{server}/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {db_name}"],
                check=False,
            )


def run(args: argparse.Namespace, events: int) -> None:
    from django.db import connection, transaction
    from django.test import Client

    from buurtkit.core import clock
    from buurtkit.core.actor import Actor
    from buurtkit.core.indicators import add_months, this_month
    from buurtkit.core.services import community_create
    from buurtkit.monitoring import rules, selectors, services
    from buurtkit.monitoring.models import IndicatorRun
    from buurtkit.places.models import Municipality, Place

    rng = random.Random(15)
    community = community_create(
        name="Grote stad", slug="bench",
        enabled_modules=["monitoring", "activities", "lending", "ledger", "qrcodes", "neighbours"],
    )  # fmt: skip
    system = Actor.system(community, label="bench")
    towns = [
        Municipality.objects.create(community=community, name=f"Deelgemeente {n}", postcodes=[f"85{n:02d}"])
        for n in range(5)
    ]  # fmt: skip
    hoods = [f"Wijk {n}" for n in range(20)]
    first_month = add_months(this_month(), -(MONTHS - 1))
    opened = datetime.combine(first_month, datetime.min.time(), tzinfo=UTC)
    places = [
        Place.objects.create(
            community=community,
            name=f"Digipunt {n}",
            kind="digipunt",
            status="open",
            municipality=towns[n % len(towns)],
            neighbourhood=hoods[n % len(hoods)],
            opened_at=opened + timedelta(days=20 * n),
        )
        for n in range(args.places)
    ]
    where = [(p.pk, p.municipality_id, p.neighbourhood) for p in places]
    months = [add_months(first_month, n) for n in range(MONTHS)]

    started = time.perf_counter()
    counts: list[tuple] = []
    for key, share, dim, values, size in COUNTS:
        per_month = events * share / MONTHS
        for month in months:
            weights = [rng.random() + 0.5 for _ in where]
            scale = per_month / sum(weights)
            for (place, town, hood), w in zip(where, weights, strict=True):
                n = max(0, round(w * scale * rng.uniform(0.8, 1.2)))
                if not n:
                    continue
                counts.append((key, month, "", place, town, hood, n * size))
                if dim:
                    split = [rng.random() for _ in values]
                    total = sum(split)
                    for value, part in zip(values, split, strict=True):
                        if round(n * part / total):
                            counts.append(
                                (key, month, f"{dim}:{value}", place, town, hood, round(n * part / total) * size)
                            )  # fmt: skip
    # Places opened (a stock): one +1 each in its month.
    for p in places:
        counts.append(
            (
                "places.digipunten_open",
                p.opened_at.date().replace(day=1),
                "",
                p.pk,
                p.municipality_id,
                p.neighbourhood,
                1,
            )
        )

    def subjects() -> object:
        accounts = max(args.people // 4, 10)
        for key, share, dim, values, who in UNIQUES:
            pool = args.people if who == "people" else accounts
            per_month = round(events * share / MONTHS)
            for month in months:
                seen: set[tuple[int, int, int]] = set()
                for _ in range(per_month):
                    # Half the events by regulars (a fifth of the people), half by anyone.
                    regulars = rng.random() < 0.5
                    subject = rng.randrange(pool // 5 if regulars else pool) + 1
                    place = rng.randrange(len(where))
                    value = rng.randrange(len(values)) if values else -1
                    seen.add((subject, place, value))
                totals: set[tuple[int, int]] = set()
                for subject, place, value in seen:
                    pl, town, hood = where[place]
                    if (subject, place) not in totals:
                        totals.add((subject, place))
                        yield (community.pk, key, month, "", subject, pl, town, hood)
                    if value >= 0:
                        yield (
                            community.pk,
                            key,
                            month,
                            f"{dim}:{values[value]}",
                            subject,
                            pl,
                            town,
                            hood,
                        )

    subject_rows = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO monitoring_indicatorcount (community_id, indicator, month, breakdown, "
                "place_id, municipality_id, neighbourhood, value) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [(community.pk, *row) for row in counts],
            )
            sql = (
                "monitoring_indicatorsubject (community_id, indicator, month, breakdown, subject_id, "
                "place_id, municipality_id, neighbourhood)"
            )
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {sql} FROM STDIN") as copy:
                    for row in subjects():
                        copy.write_row(row)
                        subject_rows += 1
            else:
                batch: list[tuple] = []
                for row in subjects():
                    batch.append(row)
                    if len(batch) == 50_000:
                        cursor.executemany(
                            f"INSERT INTO {sql} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", batch
                        )
                        subject_rows += len(batch)
                        batch = []
                cursor.executemany(
                    f"INSERT INTO {sql} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", batch
                )
                subject_rows += len(batch)
        now = clock.now()
        for key in {c[0] for c in counts} | {u[0] for u in UNIQUES}:
            IndicatorRun.objects.create(community=community, indicator=key, counted_at=now, rows=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    load_s = time.perf_counter() - started

    # The plan: two years up to this month, --targets targets, two municipalities.
    start = add_months(this_month(), -23)
    plan = services.plan_create(
        actor=system, name="Grote stad 2 jaar", funder="Departement WSE", starts_on=start,
        ends_on=rules.month_end(add_months(start, 23)), municipality_ids=[towns[0].pk, towns[1].pk],
    )  # fmt: skip
    choices = (
        [(k, "") for k, *_r in COUNTS]
        + [(k, f"{d}:{v}") for k, _s, d, vs, _z in COUNTS if d for v in vs]
        + [(k, "") for k, *_r in UNIQUES]
        + [(k, f"{d}:{v}") for k, _s, d, vs, _w in UNIQUES if d for v in vs]
        + [("places.digipunten_open", "")]
    )
    for n in range(args.targets):
        key, breakdown = choices[n % len(choices)]
        services.target_create(
            actor=system, plan_id=plan.pk, indicator=key, breakdown=breakdown,
            value=rng.randrange(50, 100_000), title=f"Doel {n + 1}",
        )  # fmt: skip
    subjects_total = connection.cursor()
    subjects_total.execute("SELECT COUNT(*) FROM monitoring_indicatorsubject")
    stored = subjects_total.fetchone()[0]
    print(
        f"buurtkit monitoring benchmark ({connection.vendor}, {events:,} events over {MONTHS} "
        f"months, {args.people:,} people, {args.places} places, {args.targets} targets)"
    )
    print(f"  load: {load_s:.1f} s ({len(counts):,} count rows, {stored:,} subject rows)")

    from django.contrib.auth import get_user_model

    from buurtkit.people import services as people

    user = get_user_model().objects.create_user(username="bench-coordinator", password="x" * 20)
    people.membership_grant(actor=system, username=user.username, roles=["coordinator"])
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    client.force_login(user)
    url = f"/bench/monitoring/plans/{plan.pk}/"
    page = client.get(url)
    if page.status_code != 200:
        raise SystemExit(f"the dashboard answered {page.status_code}")
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        page = client.get(url)
        timings.append(time.perf_counter() - t0)
    dashboard = selectors.plan_dashboard(actor=system, plan_id=plan.pk)
    measured = [t.progress.value for t in dashboard["targets"] if t.progress.value]
    if len(measured) < max(1, len(dashboard["targets"]) // 2):
        raise SystemExit("degenerate run: most targets measured nothing")
    print(
        f"  dashboard page ({args.targets} targets)  median {statistics.median(timings) * 1000:7.1f} ms"
        f"   max {max(timings) * 1000:7.1f} ms   (target 1000 ms)"
    )

    keys = [k for k, *_r in COUNTS] + [k for k, *_r in UNIQUES] + ["places.digipunten_open"]
    timings, nonzero = [], 0
    for n in range(args.queries):
        key = keys[n % len(keys)]
        length = rng.randrange(1, MONTHS + 1)
        first = months[rng.randrange(0, MONTHS - length + 1)]
        last = add_months(first, length - 1)
        kind = n % 5
        dims = next(
            ([f"{d}:{v}" for v in vs] for k, _s, d, vs, *_ in COUNTS + UNIQUES if k == key and d),
            [],
        )
        pl, town, hood = where[rng.randrange(len(where))]
        filters = selectors.Filters(
            place_id=pl if kind == 1 else None,
            municipality_id=town if kind == 2 else None,
            neighbourhood=hood if kind == 3 else "",
            breakdown=rng.choice(dims) if kind == 4 and dims else "",
        )
        t0 = time.perf_counter()
        value = selectors.indicator_value(
            actor=system, key=key, first=first, last=last, filters=filters
        )
        timings.append(time.perf_counter() - t0)
        nonzero += value.value > 0
    if nonzero < args.queries // 2:
        raise SystemExit("degenerate run: most indicator values are 0")
    print(
        f"  any indicator, period, filter  p50 {statistics.median(timings) * 1000:7.1f} ms"
        f"   p99 {percentile(timings, 0.99) * 1000:7.1f} ms   max {max(timings) * 1000:7.1f} ms"
        f"   ({args.queries} queries, target 200 ms)"
    )

    timings = []
    for n in range(args.reports):
        t0 = time.perf_counter()
        snapshot = services.report_generate(
            actor=system, plan_id=plan.pk, kind="funder", language=["nl", "fr", "en"][n % 3]
        )
        done = services.report_build(snapshot_id=snapshot.pk)
        timings.append(time.perf_counter() - t0)
        if done.status != "done" or not all(f["size"] > 1000 for f in done.files):
            raise SystemExit(f"degenerate run: the report is {done.status} {done.error}")
    sizes = ", ".join(f"{f['format']} {f['size'] / 1024:.0f} KiB" for f in done.files)
    print(
        f"  funder report XLSX + PDF       median {statistics.median(timings):7.2f} s"
        f"   max {max(timings):7.2f} s   ({args.reports} reports; {sizes}; target 10 s)"
    )


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    main()
