"""Staff pages for introductions by phone and call flows: start from a run, follow an
introduction, stop it; read a flow as a script, edit a draft (errors keep the text), activate."""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.neighbours import callflows, services
from buurtkit.neighbours.models import IntroState, Match, Participant
from buurtkit.telephony import services as telephony_services
from buurtkit.telephony.models import FlowStatus, FlowVersion

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))


def _url(name: str, *args: Any) -> str:
    return reverse(f"web:{name}", args=["rabot", *args])


@pytest.fixture
def coordinator(community: Community, login_client: Callable[..., Client]) -> Client:
    return login_client(community, "coordinator")


@pytest.fixture
def run(system: Actor, make_participant: Callable[..., Participant], default_rules: Any) -> Any:
    make_participant(system)
    make_participant(system)
    return services.matching_run(actor=system)


def test_start_introductions_from_the_run_page(
    coordinator: Client, run: Any, settings: Any, django_capture_on_commit_callbacks: Any
):
    settings.TELEPHONY_PROVIDER = "twilio"  # nothing is dialled: no public URL, the call fails
    settings.PUBLIC_URL = ""
    page = coordinator.get(_url("buurbel_run", run.pk), **EN).content.decode()
    assert "Start the introductions" in page
    with clock.frozen(TUESDAY_10), django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(_url("buurbel_run_introductions", run.pk), **EN)
    assert response.status_code == 302
    match = Match.objects.get()
    listing = coordinator.get(_url("buurbel_introductions"), **EN).content.decode()
    assert match.participant_a.person.full_name in listing
    detail = coordinator.get(_url("buurbel_introduction", match.pk), **EN).content.decode()
    assert "History" in detail and "proposed" in detail
    # the call was written before the provider was asked; it failed and is tried again later
    assert "Buurbel: first neighbour" in detail
    assert match.state == IntroState.CALLING_A
    assert match.attempts == 1 and match.next_call_at > TUESDAY_10


def test_stop_an_introduction(coordinator: Client, run: Any, system: Actor, settings: Any):
    settings.TELEPHONY_PROVIDER = "twilio"
    settings.PUBLIC_URL = ""
    (match,) = services.introductions_start(actor=system, run_id=run.pk, pair_ids=None)
    coordinator.post(_url("buurbel_introduction_cancel", match.pk), **EN)
    match.refresh_from_db()
    assert match.state == IntroState.CANCELLED
    assert match.next_call_at is None


def test_a_volunteer_reads_but_cannot_start_or_stop(
    community: Community, login_client: Callable[..., Client], run: Any
):
    client = login_client(community, "volunteer")
    assert client.get(_url("buurbel_introductions"), **EN).status_code == 200
    assert (
        "Start the introductions"
        not in client.get(_url("buurbel_run", run.pk), **EN).content.decode()
    )
    assert client.post(_url("buurbel_run_introductions", run.pk), **EN).status_code == 403
    assert not Match.objects.exists()


def test_flows_page_lists_every_flow_with_its_active_version(coordinator: Client):
    page = coordinator.get(_url("buurbel_flows"), **EN).content.decode()
    for kind in callflows.KINDS:
        assert str(kind.title) in page
    assert FlowVersion.objects.filter(status=FlowStatus.ACTIVE).count() == len(callflows.KINDS)


def test_a_flow_reads_as_a_script_in_each_language(coordinator: Client, community: Community):
    version = telephony_services.flow_ensure(community=community, key=callflows.FIRST)
    page = coordinator.get(_url("buurbel_flow", version.pk) + "?lang=fr", **EN).content.decode()
    assert "appuyez sur 1" in page
    page = coordinator.get(_url("buurbel_flow", version.pk) + "?lang=nl", **EN).content.decode()
    assert "druk 1" in page


def test_edit_a_draft_keeps_invalid_text_with_the_error_then_activate(
    coordinator: Client, community: Community
):
    active = telephony_services.flow_ensure(community=community, key=callflows.FIRST)
    coordinator.post(_url("buurbel_flow_copy", active.pk), **EN)
    draft = FlowVersion.objects.get(status=FlowStatus.DRAFT)
    broken = '{"nodes": {'
    response = coordinator.post(_url("buurbel_flow_edit", draft.pk), {"definition": broken}, **EN)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This is not valid JSON" in page and html.escape(broken) in page
    too_many = json.loads(json.dumps(draft.definition))
    too_many["nodes"]["ask"]["menu"].append({"key": "4", "action": {"en": "x"}, "next": "info"})
    response = coordinator.post(
        _url("buurbel_flow_edit", draft.pk), {"definition": json.dumps(too_many)}, **EN
    )
    assert "at most three options" in response.content.decode()
    draft.refresh_from_db()
    assert len(draft.definition["nodes"]["ask"]["menu"]) == 3  # nothing saved
    changed = json.loads(json.dumps(draft.definition))
    changed["nodes"]["welcome"]["say"]["en"] = "Good day {name}, the Neighbour Bell here."
    response = coordinator.post(
        _url("buurbel_flow_edit", draft.pk),
        {"definition": json.dumps(changed), "notes": "Warmer greeting"},
        **EN,
    )
    assert response.status_code == 302
    coordinator.post(_url("buurbel_flow_activate", draft.pk), **EN)
    draft.refresh_from_db()
    active.refresh_from_db()
    assert (draft.status, active.status) == (FlowStatus.ACTIVE, FlowStatus.RETIRED)
    # an active version can no longer be edited
    response = coordinator.get(_url("buurbel_flow_edit", draft.pk), **EN)
    assert response.status_code == 302


def test_staff_without_the_flow_permission_cannot_change_flows(
    community: Community, login_client: Callable[..., Client]
):
    client = login_client(community, "auditor")
    active = telephony_services.flow_ensure(community=community, key=callflows.FIRST)
    assert client.get(_url("buurbel_flow", active.pk), **EN).status_code == 200
    assert client.post(_url("buurbel_flow_copy", active.pk), **EN).status_code == 403
    assert FlowVersion.objects.count() == 1


def test_dutch_pages_speak_dutch_about_rules_money_and_call_states(
    coordinator: Client, run: Any, settings: Any, django_capture_on_commit_callbacks: Any
):
    """Issue 17 item 12: rule names and descriptions, the notes column, "Default rules" and call
    states in Dutch on Dutch pages (no "Biljetten", no "in-progress")."""
    from buurtkit.telephony.models import Call, CallEvent

    nl = {"HTTP_ACCEPT_LANGUAGE": "nl"}
    rules_page = coordinator.get(_url("buurbel_rules"), **nl).content.decode()
    assert "Opmerkingen" in rules_page and "Biljetten" not in rules_page
    assert "Standaardregels" in rules_page and "Default rules" not in rules_page
    version = run.rule_version
    detail = coordinator.get(_url("buurbel_rule", version.pk), **nl).content.decode()
    assert "Dicht genoeg bij elkaar" in detail
    assert "Ze spreken dezelfde taal." in detail and "They speak the same language." not in detail

    settings.TELEPHONY_PROVIDER = "twilio"  # nothing is dialled: the call fails, it is kept
    settings.PUBLIC_URL = ""
    with clock.frozen(TUESDAY_10), django_capture_on_commit_callbacks(execute=True):
        coordinator.post(_url("buurbel_run_introductions", run.pk), **nl)
    match = Match.objects.get()
    call = Call.objects.get(subject_id=match.pk)
    CallEvent.objects.create(
        community=call.community,
        call=call,
        kind="status",
        dedupe_key="s1",
        status="in-progress",
        at=TUESDAY_10,
    )
    page = coordinator.get(_url("buurbel_introduction", match.pk), **nl).content.decode()
    assert "<td>in gesprek</td>" in page and "in-progress" not in page
