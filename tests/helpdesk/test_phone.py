"""The helpdesk phone line end to end: the simulator phones the helpdesk number through the same
webhooks Twilio calls (Django's test client, every request signed and checked by the views; no
live server, so no database flush after each test), and every call leaves one ticket.

Time is frozen on a Tuesday in Brussels: 10:00 is in office hours, 20:00 is not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.helpdesk import services
from buurtkit.helpdesk.models import PhoneRecording, Ticket, TicketMessage
from buurtkit.helpdesk.services.phone import DEFAULT_HOURS
from buurtkit.telephony import links, simulator
from buurtkit.telephony.models import Call, CallStatus
from buurtkit.telephony.simulator import Script, sign

TUESDAY = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
IN_HOURS = TUESDAY.astimezone(dt.UTC)
EVENING = TUESDAY.replace(hour=20).astimezone(dt.UTC)
HELPDESK = "+3256277777"
STAFF = "+3256239111"
CALLER = "+32470555111"


pytestmark = pytest.mark.django_db


def signed_post(path: str, params: dict[str, str]) -> tuple[int, str]:
    """Hand a webhook to the server as Twilio would: POSTed with ``X-Twilio-Signature`` over
    the URL (``PUBLIC_URL`` is empty: the test server's own URL) and the parameters."""
    signature = sign("http://testserver" + path, params)
    response = Client().post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)
    return response.status_code, response.content.decode()


@pytest.fixture(autouse=True)
def _line(settings: Any, tmp_path: Path, system: Actor) -> Iterator[None]:
    settings.TELEPHONY_PROVIDER = "simulator"
    settings.PUBLIC_URL = ""
    settings.TWILIO_FROM_NUMBER = "+3293001122"
    settings.DATA_DIR = tmp_path
    services.categories_ensure_defaults(actor=system)
    services.phone_settings_update(
        actor=system, phone_number="056 27 77 77", staff_numbers=[STAFF], hours=DEFAULT_HOURS
    )
    yield


def _call(keys: tuple[str, ...], *, at: dt.datetime, caller: str = CALLER, **script: Any) -> Any:
    with clock.frozen(at):
        return simulator.run_inbound(
            from_number=caller,
            to_number=HELPDESK,
            script=Script(keys=keys, **script),
            post=signed_post,
        )


def _said(result: Any) -> str:
    return " ".join(result.said)


def test_unknown_caller_hears_dutch_with_a_french_offer_and_can_switch(community):
    result = _call(("8", "1"), at=EVENING)
    said = _said(result)
    assert "Welkom bij het meldpunt." in said
    assert "Pour le français, appuyez sur 8." in said
    assert "Bienvenue au point de contact." in said  # after pressing 8
    assert "Le point de contact est fermé maintenant." in said  # out of hours: a message
    (ticket,) = Ticket.objects.filter(community=community)
    assert ticket.channel == "phone" and ticket.language == "fr"
    assert ticket.person_id is None and ticket.contact_phone == CALLER
    assert ticket.category.key == "citizen-profile"  # 1: online public services
    assert ticket.subject.startswith("Terugbellen")  # staff read the community's language


def test_known_caller_is_linked_hears_french_and_is_put_through_in_office_hours(
    community, system, make_person
):
    person = make_person(system, phone="0470 55 51 12", preferred_language="fr")
    result = _call(("2",), at=IN_HOURS, caller=person.phone)
    said = _said(result)
    assert "Bienvenue au point de contact." in said
    assert "Welkom" not in said and "appuyez sur 8" not in said  # known: their language only
    assert f"[put through to {STAFF}]" in result.said
    (ticket,) = Ticket.objects.filter(community=community)
    assert ticket.person_id == person.pk and ticket.contact_phone == ""
    assert ticket.category.key == "device-problems"
    assert STAFF in TicketMessage.objects.get(ticket=ticket).body
    assert not PhoneRecording.objects.exists()
    call = Call.objects.get(direction="in")
    assert call.purpose == "helpdesk.phone" and call.subject_id == person.pk
    assert call.status == CallStatus.COMPLETED


def test_out_of_hours_message_makes_a_callback_ticket_with_a_playable_recording(
    community, login_client, settings, tmp_path
):
    result = _call(("1",), at=EVENING, caller="+32470555113")
    (ticket,) = Ticket.objects.filter(community=community)
    (recording,) = PhoneRecording.objects.filter(ticket=ticket)
    assert [recording.recording_sid] == result.recordings
    assert recording.duration_seconds > 0 and recording.provider == "simulator"
    # The simulator's file lives under BUURTKIT_DATA_DIR, outside the web root.
    audio_file = simulator.recording_file(recording.recording_sid)
    assert audio_file.is_relative_to(tmp_path)
    assert not audio_file.is_relative_to(Path(settings.MEDIA_ROOT))
    staff = login_client(community, "staff")
    page = staff.get(f"/rabot/helpdesk/tickets/{ticket.pk}/")
    assert f"/rabot/helpdesk/recordings/{recording.pk}/" in page.content.decode()
    audio = staff.get(f"/rabot/helpdesk/recordings/{recording.pk}/")
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"
    assert audio.content == audio_file.read_bytes() and audio.content[:4] == b"RIFF"
    assert "no-store" in audio["Cache-Control"]


def test_staff_phone_not_answering_sends_the_caller_to_leave_a_message(community):
    result = _call(("3",), at=IN_HOURS, transfer="no-answer")
    said = _said(result)
    assert f"[{STAFF}: no-answer]" in result.said
    assert "Er kan nu niemand opnemen." in said  # the caller is not left hanging
    (ticket,) = Ticket.objects.filter(community=community)
    assert PhoneRecording.objects.filter(ticket=ticket).count() == 1
    assert ticket.subject.startswith("Terugbellen")


def test_caller_hanging_up_in_the_menu_leaves_one_missed_call_ticket(community):
    _call((), at=IN_HOURS, hang_up_at_menu=1)
    (ticket,) = Ticket.objects.filter(community=community)
    assert "menu" in ticket.subject  # "Terugbellen: belde, haakte in in het menu"
    assert ticket.contact_phone == CALLER and ticket.category is None
    # The status callback again (Twilio retries): still one ticket.
    call = Call.objects.get(direction="in")
    params = {
        "AccountSid": simulator.ACCOUNT_SID,
        "CallSid": call.provider_sid,
        "From": CALLER,
        "To": HELPDESK,
        "CallStatus": "completed",
        "CallDuration": "4",
        "SequenceNumber": "1",
    }
    status, _body = signed_post(links.inbound_status_path(), params)
    assert status == 204
    # A request without Twilio's signature is refused and changes nothing.
    unsigned = Client().post(links.inbound_status_path(), {**params, "SequenceNumber": "2"})
    assert unsigned.status_code == 403
    assert Ticket.objects.filter(community=community).count() == 1


def test_nothing_pressed_goes_on_as_something_else(community):
    result = _call(("", "", ""), at=EVENING)
    assert "Sorry, ik hoorde geen toets." in _said(result)
    (ticket,) = Ticket.objects.filter(community=community)
    assert ticket.category.key == "other"
    assert PhoneRecording.objects.filter(ticket=ticket).count() == 1


def test_webhooks_repeated_or_in_another_order_make_one_ticket(community):
    """Twilio retries a webhook, and the recording's status callback may come before or after
    the call's end: one ticket, one recording, the message joins the ticket it finds."""
    result = _call(("1",), at=EVENING)
    (ticket,) = Ticket.objects.filter(community=community)
    (recording,) = PhoneRecording.objects.all()
    call = Call.objects.get(direction="in")
    facts = {
        "AccountSid": simulator.ACCOUNT_SID,
        "CallSid": call.provider_sid,
        "From": CALLER,
        "To": HELPDESK,
        "RecordingSid": recording.recording_sid,
        "RecordingUrl": recording.url,
        "RecordingDuration": str(recording.duration_seconds),
        "RecordingStatus": "completed",
    }
    # Every webhook the call made, once more (same URLs and parameters as Twilio's retries).
    for step in ("recorded", "recording-status"):
        for seq in range(1, 8):
            status, _body = signed_post(links.voice_path(call.pk, step, seq), facts)
            assert status == 200
    assert Ticket.objects.filter(community=community).count() == 1
    assert PhoneRecording.objects.count() == 1
    assert result.recordings == [recording.recording_sid]
    assert ticket.messages.count() == 1  # the question; no second "message left"


def test_end_heard_before_the_message_still_keeps_the_message_on_the_one_ticket(community):
    """A caller hangs up while recording: Twilio may report the end before it posts the
    recording. The end makes the ticket; the recording then joins it."""
    from buurtkit.helpdesk.services import phone_call_ended, phone_recording_keep

    _call((), at=IN_HOURS, hang_up_at_menu=1)
    call = Call.objects.get(direction="in")
    (ticket,) = Ticket.objects.all()
    call.flow_state["facts"] = {
        "RecordingSid": "RE" + "1" * 32,
        "RecordingUrl": "https://api.twilio.com/x",
        "RecordingDuration": "12",
    }
    phone_recording_keep(call=call)
    phone_recording_keep(call=call)
    phone_call_ended(call=call)
    assert Ticket.objects.count() == 1
    assert PhoneRecording.objects.get().ticket_id == ticket.pk
    assert ticket.messages.filter(body__contains="12").count() == 1


def test_calls_to_another_communitys_number_stay_there(
    community, other_community, other_system, make_person, system
):
    services.categories_ensure_defaults(actor=other_system)
    services.phone_settings_update(
        actor=other_system, phone_number="+3256288888", staff_numbers=[], hours=[]
    )
    # A person of Rabot with the caller's number does not make Heuvelwijk's call theirs.
    make_person(system, phone=CALLER)
    with clock.frozen(IN_HOURS):
        result = simulator.run_inbound(
            from_number=CALLER,
            to_number="+3256288888",
            script=Script(keys=("4",)),
            post=signed_post,
        )
    assert "Bienvenue au point de contact." in _said(result)  # Heuvelwijk speaks French
    assert not Ticket.objects.filter(community=community).exists()
    (ticket,) = Ticket.objects.filter(community=other_community)
    assert ticket.person_id is None and ticket.contact_phone == CALLER
    assert PhoneRecording.objects.get().community_id == other_community.pk  # no staff: message


def test_buurbel_callback_requests_land_in_the_helpdesk_queue(community, settings):
    """An unknown caller on the Buurbel line asks to be called back to sign up, then to talk
    to a person (put through in office hours; outside them, a callback ticket)."""
    settings.BUURBEL_OFFICE_NUMBER = "+3292661111"
    with clock.frozen(IN_HOURS):
        simulator.run_inbound(
            from_number="+32470999991", script=Script(keys=("1",)), post=signed_post
        )
        simulator.run_inbound(
            from_number="+32470999991", script=Script(keys=("3",)), post=signed_post
        )
    tickets = list(Ticket.objects.filter(community=community).order_by("id"))
    assert [t.channel for t in tickets] == ["buurbel"]  # 3 in office hours: put through
    assert tickets[0].contact_phone == "+32470999991"
    with clock.frozen(EVENING):
        simulator.run_inbound(
            from_number="+32470999991", script=Script(keys=("3",)), post=signed_post
        )
    assert Ticket.objects.filter(community=community, channel="buurbel").count() == 2


ROLES = ["coordinator", "staff", "counter_clerk", "volunteer", "auditor", "resident"]


def test_permission_matrix_and_isolation_of_recordings_and_the_phone_page(
    community: Community,
    other_community: Community,
    login_client: Callable[..., Client],
) -> None:
    _call(("1",), at=EVENING)
    recording = PhoneRecording.objects.get()
    audio_url = f"/rabot/helpdesk/recordings/{recording.pk}/"
    for role in ROLES:
        client = login_client(community, role)
        listen = client.get(audio_url).status_code
        page = client.get("/rabot/helpdesk/phone/").status_code
        may_listen = role in ("coordinator", "staff", "counter_clerk", "auditor")
        assert listen == (200 if may_listen else 403), role
        assert page == (200 if role == "coordinator" else 403), role
    assert Client().get(audio_url).status_code in (302, 403)
    # Heuvelwijk's coordinator: Rabot's recording is not found under their own address.
    theirs = login_client(other_community, "coordinator")
    assert theirs.get(f"/heuvelwijk/helpdesk/recordings/{recording.pk}/").status_code == 404


def test_the_demo_calls_in_process_take_the_same_way(community):
    """``buurtkit demo`` phones the line inside its own process (no server, no waits): the same
    flow, hooks and one ticket with its recording."""
    from buurtkit.telephony import services as telephony

    with clock.frozen(EVENING):
        said = telephony.demo_inbound_call(
            from_number=CALLER, to_number=HELPDESK, keys=("2",), message="Mijn tablet is stuk."
        )
    assert "Het meldpunt is nu gesloten." in " ".join(said)
    (ticket,) = Ticket.objects.filter(community=community)
    assert ticket.category.key == "device-problems"
    assert PhoneRecording.objects.get().ticket_id == ticket.pk
