"""Demo data for Buurbel: older residents who take part, the default rules, three months of
introductions by phone (with their calls and costs, for the dashboard), this week's
announcement, and a fresh matching run whose first pairs are phoned live by the simulator
when the demo starts (the other pairs wait for a click on "Start the introductions").
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.neighbours import callflows, services
from buurtkit.neighbours.models import Introduction, Match, MatchRun, Participant
from buurtkit.people.models import Organisation, Person
from buurtkit.people.phones import normalise_phone
from buurtkit.telephony.models import (
    AnsweredBy,
    Call,
    CallStatus,
    Direction,
    LineKind,
    PriceTable,
)
from buurtkit.telephony.services import call_cost, ensure_prices

PARTICIPANTS = 48
LIVE_PAIRS = 4
WEEKS = 13
INTERESTS = ["cards", "gardening", "cooking", "walking", "music", "knitting", "history", "football"]
AREAS = {
    "rabot": (51.0622, 3.7098),
    "blaisantvest": (51.0655, 3.7150),
    "brugse poort": (51.0575, 3.7050),
}
ALWAYS = [{"days": [1, 2, 3, 4, 5, 6, 7], "from": "00:00", "to": "24:00"}]
MORNINGS = [{"days": [1, 2, 3, 4, 5], "from": "09:30", "to": "12:00"}]
AFTERNOONS = [{"days": [1, 2, 3, 4, 5, 6], "from": "14:00", "to": "17:30"}]


def load(community: Any) -> list[tuple[str, str, str]]:
    rng = random.Random(5)
    system = Actor.system(community, label="demo")
    ensure_prices(community=community)
    rules = services.rules_create_default(actor=system)
    people = list(
        Person.objects.filter(community=community, birth_year__lte=1962)
        .exclude(phone="")
        .order_by("id")[:PARTICIPANTS]
    )
    # The OCMW registered a third of them and the CAW (the device bank's second partner)
    # another third: the referrer logins `ocmw` and `caw` follow their own people on
    # "Buurbel: our participants". A few need staff follow-up.
    ocmw = (
        Organisation.objects.filter(community=community, kind="social_welfare")
        .order_by("id")
        .first()
    )
    caw = Organisation.objects.filter(community=community, slug="caw-gent").first()
    partner_of = {0: ocmw, 1: caw}
    participants = []
    for i, person in enumerate(people):
        area = rng.choice(list(AREAS))
        lat, lon = AREAS[area]
        participant = services.participant_register(
            actor=system,
            person_id=person.pk,
            consent=True,
            language=person.preferred_language
            if person.preferred_language in ("nl", "fr", "en")
            else "nl",
            # half can be called at any hour, so a demo at night still shows live calls
            call_windows=ALWAYS if i % 2 == 0 else rng.choice([MORNINGS, AFTERNOONS]),
            interests=rng.sample(INTERESTS, 2),
            activities=sorted({"coffee", *rng.sample(["walk", "small_help"], rng.randint(0, 2))}),
            max_distance_m=rng.choice([500, 1000, 1500]),
            wish=rng.choice(["social", "social", "both"]),
            neighbourhood=area,
            lat=lat + rng.uniform(-0.004, 0.004),
            lon=lon + rng.uniform(-0.006, 0.006),
            organisation_id=getattr(partner_of.get(i % 3), "pk", None),
            needs_follow_up=i % 7 == 3,
            follow_up_note="Woont alleen; belt zelf niet graag." if i % 7 == 3 else "",
        )
        participant = services.participant_mark_verified(
            actor=system, participant_id=participant.pk
        )
        joined = clock.now() - dt.timedelta(days=rng.randint(3, WEEKS * 7))
        Participant.objects.filter(pk=participant.pk).update(
            created_at=joined, consent_at=joined, phone_verified_at=joined
        )
        participants.append(participant)
    _history(community, rules, participants, rng)
    services.announcement_create(
        actor=system,
        title="Repair café",
        text={
            "nl": "Zaterdag is er een repair café in het buurthuis, van tien tot twaalf uur.",
            "fr": "Samedi, repair café à la maison de quartier, de dix heures à midi.",
            "en": "On Saturday there is a repair café at the community centre, from ten to noon.",
        },
        starts_on=clock.now().date() - dt.timedelta(days=2),
        ends_on=clock.now().date() + dt.timedelta(days=12),
    )
    run = services.matching_run(actor=system)
    # the pairs phoned at once: both can be called at any hour, so the demo shows them live
    pairs = [
        pair.pk
        for pair in run.pairs.select_related("participant_a", "participant_b").order_by("-score")
        if pair.participant_a.call_windows == ALWAYS and pair.participant_b.call_windows == ALWAYS
    ][:LIVE_PAIRS]
    services.introductions_start(actor=system, run_id=run.pk, pair_ids=pairs)
    return []


def _history(
    community: Any, rules: Any, participants: list[Participant], rng: random.Random
) -> None:
    """Past introductions, one run a week, with the calls they took (for the dashboard)."""
    prices = {
        p.item: p.unit_micros
        for p in PriceTable.objects.get(community=community, provider="simulator").prices.all()
    }
    now = clock.now()
    outcomes = [
        ("completed", 0.45),
        ("declined", 0.2),
        ("gave_up", 0.15),
        ("appointment", 0.1),
        ("connected", 0.1),
    ]
    for week in range(WEEKS, 0, -1):
        at = now - dt.timedelta(weeks=week, hours=rng.randint(0, 48))
        run = MatchRun.objects.create(
            community=community,
            rule_version=rules,
            started_at=at,
            finished_at=at,
            actor_label="demo",
            participants=len(participants),
            proposed_pairs=0,
        )
        pool = participants[:]
        rng.shuffle(pool)
        pairs = rng.randint(2, 5)
        for k in range(pairs):
            a, b = sorted(pool[2 * k : 2 * k + 2], key=lambda p: p.pk)
            pair = run.pairs.create(
                community=community,
                participant_a=a,
                participant_b=b,
                score=round(rng.uniform(4, 9), 2),
                explanation={"demo": True},
            )
            state = rng.choices([o for o, _w in outcomes], [w for _o, w in outcomes])[0]
            match = Match.objects.create(
                community=community,
                proposed_pair=pair,
                participant_a=a,
                participant_b=b,
                state=state,
                created_at=at,
                state_changed_at=at + dt.timedelta(days=8),
                closed_at=at + dt.timedelta(days=8)
                if state in ("completed", "declined", "gave_up")
                else None,
                met=True if state == "completed" and rng.random() < 0.8 else None,
                again=True if state == "completed" and rng.random() < 0.6 else None,
                last_outcome=state,
                meeting_note="in het buurthuis, op woensdag om twee uur"
                if state == "appointment"
                else "",
                actor_label="demo",
            )
            steps = {
                "declined": [("a", "proposed"), ("a", "declined")],
                "gave_up": [
                    ("a", "no_answer"),
                    ("a", "voicemail"),
                    ("a", "no_answer"),
                    ("a", "gave_up"),
                ],
                "connected": [("a", "agreed"), ("b", "agreed"), ("a", "connected")],
                "appointment": [("a", "agreed"), ("b", "agreed"), ("a", "appointment")],
                "completed": [("a", "agreed"), ("b", "agreed"), ("a", "connected"), ("a", "met")],
            }[state]
            calls = 0
            for n, (who, outcome) in enumerate(steps):
                when = at + dt.timedelta(hours=2 * n + 1)
                person = a if who == "a" else b
                call = _call(community, match, person, outcome, when, prices, rng)
                calls += call is not None
                Introduction.objects.create(
                    community=community,
                    participant_a=a,
                    participant_b=b,
                    outcome=outcome,
                    declined_by=a if outcome == "declined" else None,
                    proposed_pair=pair,
                    match=match,
                    call_id=call.pk if call else None,
                    at=when,
                    actor_label="demo",
                )
            Match.objects.filter(pk=match.pk).update(attempts_total=calls)
        MatchRun.objects.filter(pk=run.pk).update(proposed_pairs=pairs)


def _call(
    community: Any,
    match: Match,
    person: Participant,
    outcome: str,
    when: dt.datetime,
    prices: dict[str, int],
    rng: random.Random,
) -> Call | None:
    if outcome in ("proposed", "gave_up"):
        return None
    number, kind = normalise_phone(person.person.phone)
    answered = outcome not in ("no_answer",)
    seconds = {
        "agreed": rng.randint(55, 95),
        "declined": rng.randint(35, 60),
        "voicemail": rng.randint(15, 30),
        "connected": rng.randint(240, 900),
        "appointment": rng.randint(60, 90),
        "met": rng.randint(50, 80),
    }.get(outcome, 0)
    purpose = {
        "connected": callflows.CONNECT,
        "appointment": callflows.CONNECT,
        "met": callflows.FOLLOWUP,
    }.get(outcome, callflows.FIRST)
    call = Call(
        community=community,
        direction=Direction.OUT,
        from_number="+3293000000",
        to_number=number,
        line_kind=LineKind.MOBILE if kind == "mobile" else LineKind.LOCAL,
        language=person.language,
        status=CallStatus.COMPLETED if answered else CallStatus.NO_ANSWER,
        status_rank=4,
        answered_by=AnsweredBy.MACHINE
        if outcome == "voicemail"
        else (AnsweredBy.HUMAN if answered else ""),
        machine_detection=True,
        provider="simulator",
        provider_sid=f"CA{rng.getrandbits(128):032x}",
        purpose=purpose,
        subject_type="neighbours.match",
        subject_id=match.pk,
        flow_state={"seq": 3, "outcomes": [outcome]},
        conference=f"buurbel-{community.pk}-{match.pk}" if outcome == "connected" else "",
        created_at=when,
        started_at=when,
        answered_at=when + dt.timedelta(seconds=6) if answered else None,
        ended_at=when + dt.timedelta(seconds=6 + seconds),
        duration_seconds=seconds,
        price_currency="USD",
    )
    call.price_micros = call_cost(call, prices)
    call.save()
    return call
