"""The device bank's stock: donations taken in once, a life cycle that never skips a wipe,
and two people recording a step on one device at once."""

from __future__ import annotations

import contextlib
import threading
from datetime import date
from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, ServiceError, ValidationFailed
from buurtkit.lending import rules, services
from buurtkit.lending.models import Device, DeviceEvent, Donation

pytestmark = pytest.mark.django_db
EVIDENCE = {"method": "NIST 800-88 purge", "tool": "nwipe 0.35", "operator": "Sofie",
            "wiped_on": "2026-12-01"}  # fmt: skip


def _donate(system: Actor, n: int = 2, key: str | None = None) -> Donation:
    return services.donation_receive(
        actor=system,
        received_on=date(2026, 12, 1),
        donor_name="Barco",
        devices=[
            {"kind": "laptop", "brand": "Dell", "model": "Latitude 5490", "serial": f"SN{i}"}
            for i in range(n)
        ],
        idempotency_key=key,
    )


def test_a_donation_gives_each_device_a_label_and_a_first_event(system: Actor) -> None:
    first = _donate(system, 2)
    second = _donate(system, 1)
    labels = list(Device.objects.order_by("label").values_list("label", flat=True))
    assert labels == ["DB-000001", "DB-000002", "DB-000003"]
    assert {d.state for d in Device.objects.all()} == {"received"}
    assert DeviceEvent.objects.filter(kind="received").count() == 3
    assert first.devices.count() == 2 and second.devices.count() == 1


def test_a_retried_donation_is_taken_in_once(system: Actor) -> None:
    first = _donate(system, 3, key="intake-1")
    again = _donate(system, 3, key="intake-1")
    assert again.pk == first.pk and Device.objects.count() == 3
    with pytest.raises(Conflict):
        _donate(system, 4, key="intake-1")  # the same key for another batch


def test_a_bad_device_in_a_batch_takes_in_nothing(system: Actor) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.donation_receive(
            actor=system,
            received_on=date(2026, 12, 1),
            donor_name="OCMW",
            devices=[{"kind": "laptop"}, {"kind": "toaster"}],
        )
    assert "devices.1.kind" in refused.value.fields
    assert not Donation.objects.exists() and not Device.objects.exists()


def test_no_hand_over_without_a_wipe_since_it_came_in(system: Actor) -> None:
    device = _donate(system, 1).devices.get()

    def step(kind: str, **extra: Any) -> None:
        services.device_record_event(actor=system, device_id=device.pk, kind=kind, **extra)

    with pytest.raises(ValidationFailed):  # a wipe needs its evidence
        step("wiped")
    step("wiped", evidence=EVIDENCE)
    for kind in ("checked", "available", "handed_over", "returned"):
        step(kind)
    with pytest.raises(Conflict):  # back from a resident: not straight to the shelf
        step("available")
    for kind in ("in_repair", "checked", "available"):
        step(kind)
    with pytest.raises(Conflict) as refused:
        step("handed_over")
    assert refused.value.code == "not_wiped"
    assert Device.objects.get(pk=device.pk).state == "available"
    step("wiped", evidence=EVIDENCE)
    for kind in ("checked", "available", "handed_over"):
        step(kind)
    assert Device.objects.get(pk=device.pk).state == "handed_over"


def test_a_stale_page_cannot_record_a_step_twice(system: Actor) -> None:
    device = _donate(system, 1).devices.get()
    services.device_record_event(
        actor=system, device_id=device.pk, kind="wiped", evidence=EVIDENCE, expected_seq=1
    )
    with pytest.raises(Conflict):
        services.device_record_event(
            actor=system, device_id=device.pk, kind="wiped", evidence=EVIDENCE, expected_seq=1
        )
    assert DeviceEvent.objects.filter(device=device).count() == 2


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(sorted(rules.ALL_EVENTS - {"received"})), max_size=25))
def test_random_histories_keep_the_rules(system: Actor, steps: list[str]) -> None:
    """Whatever steps are tried, in any order: every recorded history follows the table, a
    device's state is its last event, and every hand-over has a wipe since it came in."""
    device = _donate(system, 1).devices.get()
    for kind in steps:
        with contextlib.suppress(ServiceError):
            services.device_record_event(
                actor=system,
                device_id=device.pk,
                kind=kind,
                evidence=EVIDENCE if kind == "wiped" else None,
            )
    events = list(DeviceEvent.objects.filter(device=device).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    state = None
    seen: list[tuple[str, bool]] = []
    for event in events:
        assert rules.may_follow(state, event.kind), (state, event.kind)
        if event.kind == "handed_over":
            assert rules.wiped_since_it_came_in(seen)
        seen.append((event.kind, bool(event.data.get("method"))))
        state = event.kind
    device.refresh_from_db()
    assert device.state == state and device.events_count == len(events)


@pytest.mark.django_db(transaction=True)
def test_two_people_recording_at_once_make_one_step(system: Actor) -> None:
    """On PostgreSQL, two clerks press "wiped" on the same device at the same moment: the row
    lock and the unique step number let exactly one through."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers anyway")
    device = _donate(system, 1).devices.get()
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def record() -> None:
        try:
            barrier.wait()
            services.device_record_event(
                actor=system, device_id=device.pk, kind="wiped", evidence=EVIDENCE, expected_seq=1
            )
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert DeviceEvent.objects.filter(device=device).count() == 2
