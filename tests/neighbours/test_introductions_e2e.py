"""Introductions by phone, end to end: the simulator phones over real HTTP (live_server) with
signed webhooks; the scheduler places the calls; the state machine moves on each answer.

Time is frozen on a Tuesday at 10:00 in Brussels (inside everyone's weekday-morning window).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from buurtkit.core import clock
from buurtkit.neighbours import callflows, services
from buurtkit.neighbours.models import Introduction, IntroState, Match, Participant
from buurtkit.telephony import simulator
from buurtkit.telephony.models import Call, CallEvent, CallStatus
from buurtkit.telephony.simulator import SCRIPTS, Script

TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture(autouse=True)
def _sim(live_server: Any, settings: Any) -> Iterator[None]:
    settings.TELEPHONY_PROVIDER = "simulator"
    settings.PUBLIC_URL = live_server.url
    settings.TWILIO_FROM_NUMBER = "+3293001122"
    saved = dict(simulator.RESIDENTS)
    with clock.frozen(TUESDAY_10.astimezone(dt.UTC)):
        yield
    simulator.RESIDENTS.clear()
    simulator.RESIDENTS.update(saved)


@pytest.fixture
def pair(system: Any, make_participant: Any, default_rules: Any) -> tuple[Participant, Participant]:
    a = make_participant(system, language="en")
    b = make_participant(system, language="en")
    return a, b


def _start(
    system: Any, a: Participant, b: Participant, script_a: Script, script_b: Script
) -> Match:
    simulator.RESIDENTS[a.person.phone] = script_a
    simulator.RESIDENTS[b.person.phone] = script_b
    run = services.matching_run(actor=system)
    matches = services.introductions_start(actor=system, run_id=run.pk)
    assert len(matches) == 1
    return matches[0]


def _history(match: Match) -> list[str]:
    return list(
        Introduction.objects.filter(match=match).order_by("id").values_list("outcome", flat=True)
    )


def _calls(match: Match) -> list[Call]:
    return list(
        Call.objects.filter(subject_type="neighbours.match", subject_id=match.pk).order_by("id")
    )


def _said(call: Call) -> str:
    return " ".join(
        CallEvent.objects.filter(call=call, kind="voice").values_list("response", flat=True)
    )


def test_both_agree_and_are_joined_in_a_conference(system, pair):
    a, b = pair
    # Starting asks the scheduler to run at once: A is called, agrees, B is called, agrees
    # and waits in the room, A is called back and presses 1 again (the connect call).
    match = _start(system, a, b, SCRIPTS["presses-1"], Script(keys=("1",)))
    match.refresh_from_db()
    assert match.state == IntroState.CONNECTED
    assert _history(match) == ["proposed", "agreed", "agreed", "connected"]
    first, second, connect = _calls(match)
    assert (first.purpose, first.to_number) == (callflows.FIRST, a.person.phone)
    assert (second.purpose, second.to_number) == (callflows.SECOND, b.person.phone)
    assert (connect.purpose, connect.to_number) == (callflows.CONNECT, a.person.phone)
    room = f"buurbel-{match.community_id}-{match.pk}"
    assert second.conference == connect.conference == room
    for call in (first, second, connect):
        call.refresh_from_db()
        assert call.status == CallStatus.COMPLETED
    # both legs were really in the room together, as the conference callbacks told us
    joins = CallEvent.objects.filter(kind="conference", status="join")
    assert set(joins.values_list("call_id", flat=True)) == {second.pk, connect.pk}
    assert "<Conference" in _said(second) and "<Conference" in _said(connect)
    # the menu said the action before the key, and the fixed repeat and opt-out keys
    assert "To get to know " + b.person.first_name + ", press 1." in _said(first)
    assert "To hear this again, press 0." in _said(first)
    assert "To never be called again, press 9." in _said(first)
    # a follow-up call is planned after the meeting
    assert match.next_call_at == clock.now() + dt.timedelta(days=7)


def test_first_neighbour_declines_and_the_pair_is_never_proposed_again(system, pair):
    a, b = pair
    match = _start(system, a, b, SCRIPTS["presses-2"], SCRIPTS["presses-1"])
    services.introductions_tick()
    match.refresh_from_db()
    assert match.state == IntroState.DECLINED
    assert _history(match) == ["proposed", "declined"]
    assert Introduction.objects.get(match=match, outcome="declined").declined_by_id == a.pk
    assert len(_calls(match)) == 1  # B is never called
    run = services.matching_run(actor=system)
    assert run.proposed_pairs == 0
    assert run.stats["declined_skipped"] == 1


def test_second_neighbour_does_not_answer_and_is_called_again_later(system, pair):
    a, b = pair
    match = _start(system, a, b, SCRIPTS["presses-1"], SCRIPTS["no-answer"])
    services.introductions_tick()
    match.refresh_from_db()
    assert match.state == IntroState.CALLING_B
    assert match.attempts == 1
    assert _history(match) == ["proposed", "agreed", "no_answer"]
    # 2 hours later is 12:00, when B's window (9-12) has closed: the next morning at 9:00
    assert match.next_call_at.astimezone(ZoneInfo("Europe/Brussels")) == TUESDAY_10.replace(
        day=25, hour=9
    )
    assert services.introductions_tick() == 0  # not yet
    simulator.RESIDENTS[b.person.phone] = SCRIPTS["presses-2"]
    with clock.frozen(match.next_call_at):
        assert services.introductions_tick() == 1
    match.refresh_from_db()
    assert match.state == IntroState.DECLINED
    assert [c.purpose for c in _calls(match)] == [
        callflows.FIRST,
        callflows.SECOND,
        callflows.SECOND,
    ]


def test_no_answer_three_times_gives_up(system, pair):
    a, b = pair
    match = _start(system, a, b, SCRIPTS["no-answer"], SCRIPTS["presses-1"])
    for _try in range(2):  # the first try was at once, when starting
        match.refresh_from_db()
        with clock.frozen(match.next_call_at):
            services.introductions_tick()
    match.refresh_from_db()
    assert match.state == IntroState.GAVE_UP
    assert _history(match) == ["proposed", "no_answer", "no_answer", "no_answer", "gave_up"]
    # every call was placed inside A's window (weekday mornings)
    for call in _calls(match):
        local = call.created_at.astimezone(ZoneInfo("Europe/Brussels"))
        assert local.isoweekday() <= 5 and 9 <= local.hour < 12


def test_voicemail_leaves_a_short_message_and_retries(system, pair):
    a, b = pair
    services.call_settings_update(actor=system, machine_detection=True)  # off by default
    match = _start(system, a, b, SCRIPTS["voicemail"], SCRIPTS["presses-1"])
    services.introductions_tick()
    match.refresh_from_db()
    (call,) = _calls(match)
    assert call.answered_by == "machine"
    assert "We will call again later" in _said(call)
    assert "<Gather" not in _said(call)  # no menu for a machine
    assert match.state == IntroState.CALLING_A
    assert _history(match) == ["proposed", "voicemail"]
    assert match.next_call_at > clock.now()


def test_silence_gets_two_reprompts_then_a_polite_goodbye(system, pair):
    a, b = pair
    match = _start(system, a, b, SCRIPTS["silent"], SCRIPTS["presses-1"])
    services.introductions_tick()
    match.refresh_from_db()
    (call,) = _calls(match)
    steps = list(
        CallEvent.objects.filter(call=call, kind="voice")
        .order_by("id")
        .values_list("step", flat=True)
    )
    assert steps == ["start", "t-ask", "t-ask", "t-ask"]
    said = _said(call)
    assert said.count("Sorry, I did not hear a key.") == 2
    assert "We will call you back later. Goodbye." in said
    assert 'timeout="8"' in said
    assert match.state == IntroState.CALLING_A
    assert _history(match) == ["proposed", "no_input"]


def test_opt_out_key_is_honoured_at_once(system, pair):
    a, b = pair
    match = _start(system, a, b, Script(keys=("9",)), SCRIPTS["presses-1"])
    services.introductions_tick()
    match.refresh_from_db()
    a.refresh_from_db()
    assert a.opted_out_at == clock.now()
    assert match.state == IntroState.CANCELLED
    assert _history(match) == ["proposed", "opted_out"]
    assert "We will never call you again" in _said(_calls(match)[0])
    # no call is ever placed again, and the matching leaves A out
    with clock.frozen(clock.now() + dt.timedelta(days=1)):
        assert services.introductions_tick() == 0
    assert services.matching_run(actor=system).participants == 1


def test_b_agrees_but_a_cannot_be_reached_again_makes_an_appointment(system, pair, monkeypatch):
    a, b = pair
    # A agrees on the first call, but does not pick up the connect call
    calls_to_a: list[str] = []
    original = simulator.script_for

    def per_call(number: str) -> Script:
        if number == a.person.phone:
            calls_to_a.append(number)
            return SCRIPTS["presses-1"] if len(calls_to_a) == 1 else SCRIPTS["no-answer"]
        return original(number)

    monkeypatch.setattr(simulator, "script_for", per_call)
    simulator.RESIDENTS[b.person.phone] = SCRIPTS["presses-1"]
    run = services.matching_run(actor=system)
    (match,) = services.introductions_start(actor=system, run_id=run.pk)
    monkeypatch.setattr(simulator, "script_for", original)
    match.refresh_from_db()
    assert match.state == IntroState.APPOINTMENT
    assert "community centre" in match.meeting_note
    second = next(c for c in _calls(match) if c.purpose == callflows.SECOND)
    assert "cannot come to the phone now" in _said(second)
    assert _history(match) == ["proposed", "agreed", "agreed", "appointment"]
    # A is phoned at once to hear about the appointment: still no answer, so later again
    assert [c.purpose for c in _calls(match)][-1] == callflows.INFORM
    assert match.next_call_at > clock.now()
    simulator.RESIDENTS[a.person.phone] = SCRIPTS["presses-1"]
    with clock.frozen(match.next_call_at):
        assert services.introductions_tick() == 1
    match.refresh_from_db()
    assert match.last_outcome == "informed"
    assert _calls(match)[-1].purpose == callflows.INFORM


def test_follow_up_call_records_the_meeting_and_completes(system, pair):
    a, b = pair
    match = _start(system, a, b, SCRIPTS["presses-1"], SCRIPTS["presses-1"])
    match.refresh_from_db()
    assert match.state == IntroState.CONNECTED
    simulator.RESIDENTS[a.person.phone] = Script(keys=("1", "1"))  # met, and again
    with clock.frozen(match.next_call_at):
        assert services.introductions_tick() == 1
    match.refresh_from_db()
    assert match.state == IntroState.COMPLETED
    assert (match.met, match.again) == (True, True)
    assert _history(match)[-2:] == ["met", "completed"]


def test_calls_are_never_placed_outside_the_window(system, make_participant, default_rules):
    a = make_participant(system, language="en")
    make_participant(system, language="en")
    simulator.RESIDENTS[a.person.phone] = SCRIPTS["presses-1"]
    evening = TUESDAY_10.replace(hour=19).astimezone(dt.UTC)
    with clock.frozen(evening):
        run = services.matching_run(actor=system)
        (match,) = services.introductions_start(actor=system, run_id=run.pk)
        assert services.introductions_tick() == 0
    match.refresh_from_db()
    assert _calls(match) == []
    assert match.next_call_at.astimezone(ZoneInfo("Europe/Brussels")) == TUESDAY_10.replace(
        day=25, hour=9
    )


def test_unverified_participants_are_never_called(system, make_participant, default_rules):
    make_participant(system, language="en")
    b = make_participant(system, language="en")
    run = services.matching_run(actor=system)
    Participant.objects.filter(pk=b.pk).update(phone_verified_at=None)
    assert services.introductions_start(actor=system, run_id=run.pk) == []
    assert not Call.objects.exists()


def test_inbound_call_from_a_participant_asks_to_be_introduced(system, make_participant):
    p = make_participant(system, language="en")
    result = simulator.run_inbound(from_number=p.person.phone, script=Script(keys=("2",)))
    p.refresh_from_db()
    assert p.wants_intro_at == clock.now()
    call = Call.objects.get(direction="in")
    assert call.purpose == callflows.INBOUND
    assert call.subject_id == p.pk
    assert call.status == CallStatus.COMPLETED
    assert any(p.person.first_name in said for said in result.said)
    assert "To be introduced to a neighbour, press 2." in " ".join(result.said)


def test_inbound_call_hears_the_announcements_then_the_menu_again(system, make_participant):
    p = make_participant(system, language="en")
    result = simulator.run_inbound(from_number=p.person.phone, script=Script(keys=("1", "")))
    said = " ".join(result.said)
    assert "There are no announcements this week." in said
    today = clock.now().date()
    services.announcement_create(
        actor=system,
        title="Street party",
        text={"en": "Street party on Sunday in the Rabot park.", "nl": "Straatfeest zondag."},
        starts_on=today,
        ends_on=today,
    )
    result = simulator.run_inbound(from_number=p.person.phone, script=Script(keys=("1", "")))
    said = " ".join(result.said)
    assert "Street party on Sunday in the Rabot park." in said
    assert said.count("To hear this week's announcements, press 1.") >= 2


def test_announcements_are_played_in_introduction_calls(system, pair):
    a, b = pair
    today = clock.now().date()
    services.announcement_create(
        actor=system,
        title="Repair café",
        text={"en": "Repair café on Saturday at the community centre."},
        neighbourhood=a.neighbourhood,
        starts_on=today,
        ends_on=today,
    )
    match = _start(system, a, b, SCRIPTS["presses-2"], SCRIPTS["presses-1"])
    assert "Repair café on Saturday at the community centre." in _said(_calls(match)[0])


def test_inbound_call_from_an_unknown_number_can_ask_for_a_call_back(system):
    result = simulator.run_inbound(from_number="+32470999991", script=Script(keys=("1",)))
    call = Call.objects.get(direction="in")
    assert call.subject_id is None
    assert call.flow_state["callback"] is True
    # nobody knows the caller's language: the community's (Dutch)
    assert "We kennen uw nummer nog niet." in " ".join(result.said)


def test_inbound_staff_outside_office_hours_promises_a_call_back(
    system, make_participant, settings
):
    settings.BUURBEL_OFFICE_NUMBER = "+3292661111"
    p = make_participant(system, language="en")
    with clock.frozen(TUESDAY_10.replace(hour=20).astimezone(dt.UTC)):
        result = simulator.run_inbound(from_number=p.person.phone, script=Script(keys=("3",)))
    assert "Our office is closed now" in " ".join(result.said)
    with clock.frozen(TUESDAY_10.astimezone(dt.UTC)):
        result = simulator.run_inbound(from_number=p.person.phone, script=Script(keys=("3",)))
    assert "[put through to +3292661111]" in result.said


def test_opting_out_on_the_web_stops_open_introductions(system, pair):
    _a, b = pair
    with clock.frozen(TUESDAY_10.replace(hour=20).astimezone(dt.UTC)):  # nobody is called yet
        run = services.matching_run(actor=system)
        (match,) = services.introductions_start(actor=system, run_id=run.pk)
    services.participant_opt_out(actor=system, participant_id=b.pk)
    match.refresh_from_db()
    assert match.state == IntroState.CANCELLED
    assert _history(match) == ["proposed", "opted_out"]
    with clock.frozen(TUESDAY_10.replace(day=25).astimezone(dt.UTC)):
        assert services.introductions_tick() == 0
    assert _calls(match) == []


def test_a_busy_on_the_connect_call_sends_b_out_of_the_room_with_an_appointment(system, pair):
    a, b = pair
    # A agrees, B agrees and waits in the room, A's line is busy when called back
    calls_to_a: list[str] = []
    original = simulator.script_for

    def per_call(number: str) -> Script:
        if number == a.person.phone:
            calls_to_a.append(number)
            return SCRIPTS["presses-1"] if len(calls_to_a) == 1 else SCRIPTS["busy"]
        return original(number)

    simulator.script_for = per_call  # type: ignore[assignment]
    try:
        simulator.RESIDENTS[b.person.phone] = SCRIPTS["presses-1"]
        run = services.matching_run(actor=system)
        (match,) = services.introductions_start(actor=system, run_id=run.pk)
    finally:
        simulator.script_for = original  # type: ignore[assignment]
    match.refresh_from_db()
    assert match.state == IntroState.APPOINTMENT
    second = next(c for c in _calls(match) if c.purpose == callflows.SECOND)
    leaves = CallEvent.objects.filter(call=second, kind="conference", status="leave")
    assert leaves.count() == 1


def test_a_lost_call_is_given_up_after_two_hours_and_retried(system, pair, settings):
    settings.TELEPHONY_PROVIDER = "twilio"  # the call is placed but nothing ever reports back
    settings.PUBLIC_URL = "https://buurbel.example.org"
    from buurtkit.telephony.providers import twilio as twilio_provider

    class Quiet(twilio_provider.TwilioProvider):
        def place_call(self, call):  # accepted by "Twilio", then silence
            return "CA" + "9" * 32

    from buurtkit.telephony import interface

    with interface.PROVIDERS.override("twilio", Quiet):
        run = services.matching_run(actor=system)
        (match,) = services.introductions_start(actor=system, run_id=run.pk)
        match.refresh_from_db()
        assert match.state == IntroState.CALLING_A and match.next_call_at is None
        with clock.frozen(TUESDAY_10.astimezone(dt.UTC) + dt.timedelta(hours=1)):
            services.introductions_tick()
        match.refresh_from_db()
        assert match.next_call_at is None  # still waiting for the call's end
        with clock.frozen(TUESDAY_10.astimezone(dt.UTC) + dt.timedelta(hours=2, minutes=1)):
            services.introductions_tick()
    match.refresh_from_db()
    (call,) = _calls(match)
    assert call.status == CallStatus.FAILED
    assert match.attempts == 1 and match.next_call_at is not None
    assert _history(match) == ["proposed", "no_answer"]


def test_an_unanswered_follow_up_completes_the_introduction(system, pair):
    a, b = pair
    match = _start(system, a, b, SCRIPTS["presses-1"], SCRIPTS["presses-1"])
    match.refresh_from_db()
    assert match.state == IntroState.CONNECTED
    simulator.RESIDENTS[a.person.phone] = SCRIPTS["no-answer"]
    for _try in range(3):
        match.refresh_from_db()
        with clock.frozen(match.next_call_at):
            services.introductions_tick()
    match.refresh_from_db()
    assert match.state == IntroState.COMPLETED
    assert match.met is None
    assert match.last_outcome == "no_follow_up"


def test_the_dialled_line_decides_the_community(
    system, make_participant, other_community, settings
):
    p = make_participant(system, language="en")
    # the same person also takes part in another community, with the same number
    from buurtkit.core.actor import Actor
    from buurtkit.people import services as people_services

    theirs = Actor.system(other_community, label="test")
    person = people_services.person_create(
        actor=theirs, first_name="Twin", phone=p.person.phone, consents={"data_processing": True}
    )
    twin = services.participant_register(
        actor=theirs, person_id=person.pk, consent=True, language="en"
    )
    # Known in two communities and no lines set up: nobody can tell which one; goodbye.
    simulator.run_inbound(from_number=p.person.phone, script=Script(keys=("2",)))
    assert not Call.objects.filter(direction="in").exists()
    settings.BUURBEL_LINES = {"+3293001122": "rabot", "+3293001133": other_community.slug}
    simulator.run_inbound(
        from_number=p.person.phone, to_number="+3293001133", script=Script(keys=("2",))
    )
    twin.refresh_from_db()
    p.refresh_from_db()
    assert twin.wants_intro_at is not None and p.wants_intro_at is None
    assert Call.objects.get(direction="in").community == other_community


def test_machine_detection_is_off_unless_the_community_switches_it_on(system, pair):
    """Issue 17 item 10: the four-second silence of detection is not forced on anyone."""
    a, b = pair
    match = _start(system, a, b, SCRIPTS["no-answer"], SCRIPTS["presses-1"])
    (first,) = _calls(match)
    assert first.machine_detection is False
    services.call_settings_update(actor=system, machine_detection=True)
    match.refresh_from_db()
    with clock.frozen(match.next_call_at):
        services.introductions_tick()
    second = _calls(match)[-1]
    assert second.pk != first.pk and second.machine_detection is True


@pytest.mark.parametrize(
    ("a_profile", "b_profile", "said_to_a"),
    [
        ({"activities": ["walk"]}, {"activities": ["walk"]}, "a neighbour for a walk together"),
        (
            {"activities": ["small_help"], "wish": "practical", "needs": ["shopping"]},
            {"activities": ["small_help"], "can_offer": ["shopping"]},
            "a neighbour for help with shopping",
        ),
    ],
)
def test_the_call_names_what_the_pair_shares_not_always_a_coffee(
    system, make_participant, default_rules, a_profile, b_profile, said_to_a
):
    """Issue 17 item 11, through a real simulated call."""
    a = make_participant(system, language="en", **a_profile)
    b = make_participant(system, language="en", **b_profile)
    match = _start(system, a, b, SCRIPTS["presses-2"], SCRIPTS["presses-1"])
    call = _calls(match)[0]
    said = _said(call)
    assert said_to_a in said and "coffee" not in said
