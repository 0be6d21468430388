"""Call flows as data: the checks on a definition, versions, and the engine's fixed rules."""

from __future__ import annotations

import copy

import pytest
from django.utils import translation

from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.neighbours import callflows
from buurtkit.telephony import flowdata, services
from buurtkit.telephony.flowdata import FlowOwner, clean_definition
from buurtkit.telephony.interface import Conference, Gather, Hangup, Redirect, Say, Transfer
from buurtkit.telephony.models import Call, FlowStatus, FlowVersion
from buurtkit.telephony.providers.twilio import TwilioProvider
from buurtkit.telephony.providers.twiml import render_twiml

from .conftest import RecordingHttpClient, twiml


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _definition() -> dict:
    return copy.deepcopy(callflows.first())


def _problems(definition: dict) -> str:
    with pytest.raises(ValidationFailed) as caught:
        clean_definition(definition, outcomes=set(callflows.KINDS[0].outcomes))
    return str(caught.value.fields["definition"])


def test_every_default_flow_is_valid():
    for kind in callflows.KINDS:
        clean = clean_definition(kind.default(), outcomes=set(kind.outcomes))
        assert clean["start"] in clean["nodes"]


def test_a_menu_has_at_most_three_options():
    definition = _definition()
    menu = definition["nodes"]["ask"]["menu"]
    menu.append({"key": "4", "action": {"en": "Or this"}, "next": "info"})
    assert "at most three options" in _problems(definition)


def test_the_repeat_and_opt_out_keys_cannot_be_options():
    for key in (flowdata.REPEAT_KEY, flowdata.OPT_OUT_KEY, "1"):  # "1" is taken twice
        definition = _definition()
        definition["nodes"]["ask"]["menu"][1]["key"] = key
        assert "option keys are 1 to 8, each once" in _problems(definition)


def test_the_input_timeout_is_eight_to_ten_seconds():
    for timeout in (5, 11, "8"):
        definition = _definition()
        definition["timeout"] = timeout
        assert "8 to 10 seconds" in _problems(definition)
    definition = _definition()
    definition["timeout"] = 10
    assert clean_definition(definition)["timeout"] == 10


def test_a_missing_node_an_unknown_language_and_outcome_are_errors():
    definition = _definition()
    definition["nodes"]["ask"]["menu"][0]["next"] = "nowhere"
    definition["nodes"]["info"]["say"]["de"] = "Hallo"
    definition["nodes"]["agree"]["outcome"] = "dance"
    problems = _problems(definition)
    assert "“nowhere”, which does not exist" in problems
    assert "“de” is not a language" in problems
    assert "“dance” is not one of" in problems


class Owner:
    def __init__(self) -> None:
        self.outcomes: list[str] = []

    def owner(self, ending: list | None = None) -> FlowOwner:
        def outcome(call, name):
            self.outcomes.append(name)
            return list(ending or [])

        return FlowOwner(context=lambda call: {"name": "Anna", "partner": "Jan"}, outcome=outcome)


def _answer(call, step, digits="", owner=None, definition=None):
    return flowdata.answer(
        call,
        step,
        digits,
        "",
        definition=clean_definition(definition or _definition()),
        owner=owner,
    )


def test_the_action_is_said_before_its_key_and_the_fixed_keys_are_offered():
    call = Call(language="nl", flow_state={})
    owner = Owner()
    verbs = _answer(call, "start", owner=owner.owner())
    gather = next(v for v in verbs if isinstance(v, Gather))
    said = [v.text for v in gather.prompt if isinstance(v, Say)]
    assert "Wilt u Jan leren kennen, druk 1." in said
    assert "Om dit nog eens te horen, druk 0." in said
    assert "Wilt u nooit meer gebeld worden, druk 9." in said
    assert verbs[-1] == Redirect("t-ask")
    assert gather.timeout == 8


def test_repeat_key_repeats_without_counting_as_a_try():
    call = Call(language="en", flow_state={})
    owner = Owner().owner()
    first = _answer(call, "start", owner=owner)
    again = _answer(call, "k-ask", "0", owner=owner)
    assert [v for v in again if isinstance(v, Gather)] == [
        v for v in first if isinstance(v, Gather)
    ]
    assert call.flow_state.get("tries", {}) == {}


def test_two_reprompts_then_goodbye_with_no_input():
    call = Call(language="en", flow_state={})
    recorder = Owner()
    owner = recorder.owner()
    _answer(call, "start", owner=owner)
    for _ in range(2):
        verbs = _answer(call, "t-ask", owner=owner)
        assert isinstance(verbs[0], Gather)
        assert verbs[0].prompt[0] == Say("Sorry, I did not hear a key.", "en")
    verbs = _answer(call, "t-ask", owner=owner)
    assert verbs == [Say("We will call you back later. Goodbye.", "en"), Hangup()]
    assert recorder.outcomes == ["no_input"]


def test_a_wrong_key_is_explained_and_counts_as_a_try():
    call = Call(language="en", flow_state={})
    owner = Owner().owner()
    verbs = _answer(call, "k-ask", "7", owner=owner)
    assert verbs[0].prompt[0] == Say("Sorry, I do not know that key.", "en")
    assert call.flow_state["tries"] == {"ask": 1}


def test_opt_out_key_reports_at_once():
    call = Call(language="en", flow_state={})
    recorder = Owner()
    verbs = _answer(call, "k-ask", "9", owner=recorder.owner())
    assert recorder.outcomes == ["opted_out"]
    assert verbs[-1] == Hangup()
    assert "never call you again" in verbs[0].text


def test_an_outcome_may_end_the_node_with_the_owner_verbs():
    call = Call(language="en", flow_state={})
    recorder = Owner()
    room = Conference("room-1", after="after-conference", wait="wait")
    verbs = _answer(call, "k-ask", "1", owner=recorder.owner([room]))
    assert recorder.outcomes == ["agreed"]
    assert verbs[-1] == room
    assert "Lovely! We will now call Jan." in verbs[0].text


def test_conference_and_transfer_as_twiml():
    body, content_type = render_twiml(
        [Conference("room-1", wait="wait"), Transfer("+3292661111")],
        lambda step: f"/telephony/voice/7/{step}?seq=3",
        "https://example.org/telephony/conference/7",
    )
    assert content_type == "text/xml"
    root = twiml(body)
    dial, transfer = root.findall("Dial")
    assert dial.get("action") == "/telephony/voice/7/after-conference?seq=3"
    room = dial.find("Conference")
    assert room.text == "room-1"
    assert room.get("statusCallback") == "https://example.org/telephony/conference/7"
    assert room.get("statusCallbackEvent") == "join leave"
    assert room.get("waitUrl") == "/telephony/voice/7/wait?seq=3"
    assert room.get("endConferenceOnExit") == "true"
    assert transfer.findtext("Number") == "+3292661111"
    assert transfer.get("action") == "/telephony/voice/7/after-transfer?seq=3"


def test_twilio_redirects_a_live_call_through_the_rest_api(community, make_call, settings):
    settings.PUBLIC_URL = "https://buurbel.example.org"
    call = make_call(community, provider="twilio", provider_sid="CA" + "e" * 32)
    client = RecordingHttpClient(reply={"sid": call.provider_sid, "status": "in-progress"})
    TwilioProvider(http_client=client).redirect_call(call, "/telephony/voice/1/n-x?seq=2")
    (request,) = client.requests
    assert request["url"].endswith(f"/Calls/{call.provider_sid}.json")
    assert request["data"] == {
        "Url": "https://buurbel.example.org/telephony/voice/1/n-x?seq=2",
        "Method": "POST",
    }


# --- versions ------------------------------------------------------------------------------


def test_default_version_is_made_once_and_active(community):
    first = services.flow_ensure(community=community, key=callflows.FIRST)
    again = services.flow_ensure(community=community, key=callflows.FIRST)
    assert first == again
    assert (first.number, first.status) == (1, FlowStatus.ACTIVE)


def test_a_draft_is_edited_then_activated_and_the_old_version_retires(actor):
    draft = services.flow_version_create(actor=actor, key=callflows.FIRST, copy_of_id=None)
    changed = copy.deepcopy(draft.definition)
    changed["nodes"]["welcome"]["say"]["nl"] = "Goeiedag {name}!"
    services.flow_version_update(actor=actor, version_id=draft.pk, definition=changed)
    services.flow_version_activate(actor=actor, version_id=draft.pk)
    versions = {v.number: v.status for v in FlowVersion.objects.filter(key=callflows.FIRST)}
    assert versions == {1: FlowStatus.RETIRED, 2: FlowStatus.ACTIVE}
    with pytest.raises(Conflict):
        services.flow_version_update(actor=actor, version_id=draft.pk, definition=changed)


def test_an_invalid_draft_is_refused_and_nothing_changes(actor):
    draft = services.flow_version_create(actor=actor, key=callflows.FIRST)
    bad = copy.deepcopy(draft.definition)
    bad["timeout"] = 3
    with pytest.raises(ValidationFailed):
        services.flow_version_update(actor=actor, version_id=draft.pk, definition=bad)
    draft.refresh_from_db()
    assert draft.definition["timeout"] == 8


def test_a_call_keeps_the_version_it_started_with(actor, make_call, community):
    call = make_call(community, purpose=callflows.FIRST, flow_state={"seq": 0})
    started = services.flow_for_call(call, callflows.FIRST)
    assert call.flow_state["flow_version"] == FlowVersion.objects.get(number=1).pk
    draft = services.flow_version_create(actor=actor, key=callflows.FIRST)
    changed = copy.deepcopy(draft.definition)
    changed["nodes"]["welcome"]["say"]["nl"] = "Nieuw!"
    services.flow_version_update(actor=actor, version_id=draft.pk, definition=changed)
    services.flow_version_activate(actor=actor, version_id=draft.pk)
    assert services.flow_for_call(call, callflows.FIRST) == started


def test_writing_flows_needs_the_permission(community):
    from buurtkit.core.actor import Actor

    clerk = Actor(community=community, label="clerk", permissions=frozenset({"telephony.view"}))
    with pytest.raises(PermissionDenied):
        services.flow_version_create(actor=clerk, key=callflows.FIRST)


def test_a_flow_cannot_play_another_communitys_recording(actor, other_community):
    from buurtkit.core import clock
    from buurtkit.neighbours import introductions
    from buurtkit.telephony.models import Recording

    theirs = Recording.objects.create(
        community=other_community,
        name="Welkom",
        language="nl",
        audio="recordings/x.wav",
        content_type="audio/wav",
        uploaded_by="them",
        uploaded_at=clock.now(),
    )
    definition = copy.deepcopy(callflows.first())
    definition["nodes"]["welcome"]["play"] = {"nl": theirs.pk}
    with pytest.raises(ValidationFailed) as caught:
        services.flow_version_create(actor=actor, key=callflows.FIRST, definition=definition)
    assert "is not one of this community's recordings" in str(caught.value.detail)
    # and a call never plays it, whatever a definition says
    call = Call(community=actor.community, language="nl", flow_state={})
    assert introductions.recording_url(call, theirs.pk) == ""


def test_opt_out_cannot_be_turned_off_and_placeholders_are_only_filled():
    definition = _definition()
    definition["opt_out"] = False
    assert "cannot be turned off" in _problems(_definition() | {"opt_out": False})
    assert flowdata.fill("Dag {name:>30}{name.__class__} {name}", {"name": "Anna"}) == (
        "Dag {name:>30}{name.__class__} Anna"
    )
    assert flowdata.fill("{unknown} ok", {}) == " ok"
