"""Benchmark: one Buurbel matching run over N participants.

    .venv/bin/python bench/neighbours_matching.py [--participants 10000] [--neighbourhoods 40]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buurtkit_n1bench .venv/bin/python bench/neighbours_matching.py

Uses a fresh SQLite database in a temporary data dir (or, with DATABASE_URL, a throw-away
database named after it with ``_tmp``). Participants are spread over the neighbourhoods of a
town (about 1.2 km across each, 10 % without a location), with interests, activities, call
windows, distances and a history of introductions (some declined). Prints the time of each
phase of ``matching_run`` and the total (target: under 10 s on two cores).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import tempfile
import time

INTERESTS = [
    "gardening", "cards", "music", "history", "cooking", "football", "reading", "walking",
    "knitting", "chess", "church", "cycling", "photography", "birds", "dogs", "cats",
    "travel", "theatre", "crafts", "computers",
]  # fmt: skip
WINDOWS = [
    [{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"}],
    [{"days": [1, 2, 3, 4, 5], "from": "14:00", "to": "17:00"}],
    [{"days": [1, 3, 5], "from": "10:00", "to": "16:00"}],
    [
        {"days": [2, 4], "from": "09:30", "to": "11:30"},
        {"days": [6], "from": "10:00", "to": "12:00"},
    ],
    [{"days": [1, 2, 3, 4, 5, 6, 7], "from": "10:00", "to": "19:00"}],
    [{"days": [6, 7], "from": "13:00", "to": "18:00"}],
]
OFFERS = ["shopping", "small_repairs", "paperwork", "gardening", "company"]


def make_profiles(n: int, areas: int, seed: int = 7) -> list[dict[str, object]]:
    rnd = random.Random(seed)
    side = math.ceil(math.sqrt(areas))
    centres = []
    for k in range(areas):
        # Neighbourhood centres about 1.2 km apart around Aalst (50.94 N, 4.04 E).
        centres.append((50.92 + (k // side) * 0.011, 4.00 + (k % side) * 0.017))
    weights = [rnd.uniform(0.5, 1.5) for _ in range(areas)]
    out = []
    for _i in range(n):
        k = rnd.choices(range(areas), weights)[0]
        clat, clon = centres[k]
        located = rnd.random() > 0.1
        out.append(
            {
                "language": rnd.choices(["nl", "fr", "en"], [85, 8, 7])[0],
                "call_windows": rnd.choice(WINDOWS),
                "interests": rnd.sample(INTERESTS, rnd.randint(1, 5)),
                "activities": rnd.sample(["coffee", "walk", "small_help"], rnd.randint(1, 3)),
                "max_distance_m": rnd.choice([300, 500, 800, 1000, 1500, 2000]),
                "wish": rnd.choices(["social", "practical", "both"], [60, 15, 25])[0],
                "can_offer": rnd.sample(OFFERS, rnd.choice([0, 0, 1, 2])),
                "needs": rnd.sample(OFFERS, rnd.choice([0, 0, 0, 1])),
                "neighbourhood": f"wijk-{k:02d}",
                "lat": round(clat + rnd.gauss(0, 0.0035), 3) if located else None,
                "lon": round(clon + rnd.gauss(0, 0.0055), 3) if located else None,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=10000)
    parser.add_argument("--neighbourhoods", type=int, default=40)
    parser.add_argument("--per-person", type=int, default=20)
    parser.add_argument(
        "--max-exact",
        type=int,
        default=None,
        help="largest component matched exactly in one go (default: the app's MAX_EXACT)",
    )
    parser.add_argument(
        "--compare-exact",
        action="store_true",
        help="run again with one exact matching over the whole graph, to show the gap",
    )
    args = parser.parse_args()

    os.environ.setdefault("BUURTKIT_DATA_DIR", tempfile.mkdtemp(prefix="buurtkit-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtkit.conf.settings_test")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from django.db import connection

    if connection.vendor != "sqlite":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = (
            connection.settings_dict["NAME"] + "_tmp"
        )
    import _template_db  # bench/: CI's smoke runs copy one migrated database

    db_name = _template_db.create_test_db(connection, verbosity=0, serialize=False)
    try:
        from buurtkit.core import clock
        from buurtkit.core.actor import Actor
        from buurtkit.core.services import community_create
        from buurtkit.neighbours import services
        from buurtkit.neighbours.models import (
            Introduction,
            Participant,
            PhoneVerification,
            VerificationChannel,
        )
        from buurtkit.people.models import Person

        community = community_create(name="Bench", slug="bench")
        actor = Actor.system(community, label="bench")
        started = time.perf_counter()
        people = Person.objects.bulk_create(
            [
                Person(
                    community=community,
                    first_name="Buur",
                    last_name=str(i),
                    phone=f"+3247{i:07d}",
                    phone_kind="mobile",
                )
                for i in range(args.participants)
            ],
            batch_size=2000,
        )
        now = clock.now()
        rnd = random.Random(3)
        parts = Participant.objects.bulk_create(
            [
                Participant(
                    community=community,
                    person=person,
                    consent_at=now,
                    phone_verified_at=now if rnd.random() < 0.9 else None,
                    opted_out_at=now if rnd.random() < 0.03 else None,
                    **services.clean_profile(profile),
                )
                for person, profile in zip(
                    people, make_profiles(args.participants, args.neighbourhoods), strict=True
                )
            ],
            batch_size=2000,
        )
        # Verification lives in its own records (for the person's current number): staff
        # checked 90 % of the numbers in person; only those participants may be matched.
        PhoneVerification.objects.bulk_create(
            [
                PhoneVerification(
                    community=community,
                    participant=part,
                    phone=part.person.phone,
                    channel=VerificationChannel.IN_PERSON,
                    code_hash="",
                    created_at=now,
                    expires_at=now,
                    verified_at=now,
                )
                for part in parts
                if part.phone_verified_at
            ],
            batch_size=2000,
        )
        ids = sorted(p.pk for p in parts)
        history = []
        for _k in range(args.participants // 5):
            a, b = sorted(rnd.sample(ids[: len(ids)], 2))
            history.append(
                Introduction(
                    community=community,
                    participant_a_id=a,
                    participant_b_id=b,
                    outcome=rnd.choice(["declined", "met", "completed", "no_answer"]),
                    at=now,
                    actor_label="bench",
                )
            )
        Introduction.objects.bulk_create(history, batch_size=2000)
        version = services.rules_create_default(actor=actor)
        print(
            f"database: {connection.vendor}; {args.participants} participants in "
            f"{args.neighbourhoods} neighbourhoods loaded in {time.perf_counter() - started:.1f} s"
        )
        t = time.perf_counter()
        from buurtkit.neighbours.matching import MAX_EXACT

        run = services.matching_run(
            actor=actor,
            rule_version=version,
            per_person=args.per_person,
            max_exact=args.max_exact or MAX_EXACT,
        )
        wall = time.perf_counter() - t
        s = run.stats
        print(f"matchable participants: {run.participants}")
        print(
            f"candidate pairs:        {run.candidate_pairs}  (per person at most {args.per_person})"
        )
        print(
            f"eligible pairs:         {run.eligible_pairs}  (declined before, skipped: {s['declined_skipped']})"
        )
        print(f"proposed pairs:         {run.proposed_pairs}  total score {run.total_score:.0f}")
        print(
            f"components:             {s.get('components', 0)}, largest {s.get('largest_component', 0)}, "
            f"split {s.get('split_components', 0)}"
        )
        for phase in ("load_s", "prefilter_s", "score_s", "pairing_s", "store_s", "total_s"):
            print(f"  {phase[:-2]:<10} {s[phase]:7.2f} s")
        print(f"matching_run wall time (incl. commit): {wall:.2f} s")
        # A figure from nothing is no figure (the CI smoke run, tests/test_bench_smoke.py).
        if not run.participants or not run.proposed_pairs:
            raise SystemExit("degenerate run: no matchable participants or no proposed pairs")
        if args.compare_exact:
            t = time.perf_counter()
            exact = services.matching_run(
                actor=actor, rule_version=version, per_person=args.per_person, max_exact=10**9
            )
            gap = 100 * (exact.total_score - run.total_score) / max(exact.total_score, 1)
            print(
                f"one exact matching of everyone: total score {exact.total_score:.0f} "
                f"({exact.proposed_pairs} pairs), pairing {exact.stats['pairing_s']:.2f} s, "
                f"run {time.perf_counter() - t:.2f} s; the first run is {gap:.1f} % below it"
            )
    finally:
        connection.creation.destroy_test_db(db_name, verbosity=0)


if __name__ == "__main__":
    main()
