"""The counter starts with a search box, not with every available device: devices appear after
a search, or — when a referral is chosen — the device set aside for it, ticked. Devices
already chosen stay on the form when it comes back with an error."""

from __future__ import annotations

from typing import Any

import pytest

from buurtkit.core.actor import Actor
from buurtkit.lending import services
from buurtkit.lending.models import Device
from buurtkit.people import services as people_services
from tests.lending.handover_kit import ready_devices

pytestmark = pytest.mark.django_db
URL = "/rabot/lending/counter/"


def _labels(response: Any) -> list[str]:
    return [d.label for d in response.context["devices"]]


def test_the_counter_lists_no_device_before_a_search(
    community: Any, system: Actor, login_client: Any
) -> None:
    devices = ready_devices(system, 3)
    client = login_client(community, "counter_clerk")
    start = client.get(URL)
    assert start.status_code == 200
    assert _labels(start) == []
    html = start.content.decode()
    assert not any(d.label in html for d in devices)
    assert 'type="search"' in html
    found = client.get(URL, {"q": devices[1].label})
    assert _labels(found) == [devices[1].label]


def test_a_chosen_referral_brings_its_device_set_aside(
    community: Any, system: Actor, login_client: Any
) -> None:
    free, aside = ready_devices(system, 2)
    ocmw = people_services.organisation_create(
        actor=system, name="OCMW", slug="ocmw", kind="social_welfare"
    )
    referral = services.referral_file(
        actor=system, organisation_id=ocmw.pk, kind="laptop", purpose="School",
        eligibility="pupil", client_ref="D-42",
    )  # fmt: skip
    services.referral_match(actor=system, referral_id=referral.pk, device_id=aside.pk)
    assert Device.objects.get(pk=aside.pk).state == "reserved"
    client = login_client(community, "counter_clerk")
    start = client.get(URL)
    assert "D-42" in start.content.decode()  # the referral is offered to choose
    assert _labels(start) == []
    chosen = client.get(URL, {"referral": referral.pk})
    assert _labels(chosen) == [aside.label]  # the device set aside, not the free one
    assert chosen.context["chosen"] == {aside.pk}
    assert chosen.context["referral"].pk == referral.pk
    html = chosen.content.decode()
    assert f'name="referral_id" value="{referral.pk}" checked' in html
    assert free.label not in html
    # A search keeps the referral's device and adds what was found.
    both = client.get(URL, {"referral": referral.pk, "q": free.label})
    assert _labels(both) == [aside.label, free.label]
    # Another community's or an unknown referral chooses nothing.
    assert _labels(client.get(URL, {"referral": referral.pk + 999})) == []


def test_devices_chosen_stay_on_the_form_after_an_error(
    community: Any, system: Actor, login_client: Any
) -> None:
    devices = ready_devices(system, 2)
    client = login_client(community, "counter_clerk")
    refused = client.post(
        URL,
        {"device_ids": [str(devices[0].pk)], "kind": "gift", "idempotency_key": "k-err"},
    )
    assert refused.status_code == 422
    assert _labels(refused) == [devices[0].label]
    assert devices[0].pk in refused.context["chosen"]
    assert devices[1].label not in refused.content.decode()
