"""The stock counters (``StockCount``) that the stock overview reads: after any sequence of
steps on any devices they equal a fresh count of the devices, and they can be rebuilt."""

from __future__ import annotations

import contextlib
import threading
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ServiceError
from buurtkit.lending import rules, selectors, services
from buurtkit.lending.models import Device, StockCount
from buurtkit.lending.services.stock import stock_counts_fresh, stock_counts_stored

pytestmark = pytest.mark.django_db
EVIDENCE = {"method": "NIST 800-88 purge", "tool": "nwipe 0.35", "operator": "Sofie",
            "wiped_on": "2026-12-01"}  # fmt: skip
DEVICES = [
    {"kind": "laptop", "pool": "handout"},
    {"kind": "laptop", "pool": "handout"},
    {"kind": "laptop", "pool": "parts"},
    {"kind": "tablet", "pool": "handout"},
    {"kind": "screen", "pool": "place"},
]


def _donate(system: Actor, devices: list[dict[str, str]] = DEVICES) -> list[int]:
    donation = services.donation_receive(
        actor=system, received_on=date(2026, 12, 1), donor_name="Barco", devices=devices
    )
    return list(donation.devices.order_by("pk").values_list("pk", flat=True))


def _overview_as_counts(system: Actor) -> dict[tuple[str, str], int]:
    """(kind, state) → n from the overview, without the totals."""
    stock = selectors.stock_overview(actor=system)
    return {
        (kind, state): n
        for kind, states in stock["by_kind"].items()
        for state, n in states.items()
        if state != "total"
    }


def _fresh_by_kind_state(system: Actor) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for (kind, _pool, state), n in stock_counts_fresh(community_id=system.community.pk).items():
        out[(kind, state)] = out.get((kind, state), 0) + n
    return out


def test_a_donation_counts_its_devices_as_received(system: Actor) -> None:
    _donate(system)
    stock = selectors.stock_overview(actor=system)
    assert stock["total"] == 5
    assert stock["by_kind"]["laptop"] == {"total": 3, "received": 3}
    assert stock["by_pool"] == {"handout": 3, "parts": 1, "place": 1}


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(DEVICES) - 1),
            st.sampled_from(sorted(rules.ALL_EVENTS - {"received"})),
        ),
        max_size=40,
    )
)
def test_counters_equal_a_fresh_count_after_random_steps(
    system: Actor, steps: list[tuple[int, str]]
) -> None:
    """Whatever steps are tried on whichever devices (refused ones too), the counters equal
    a GROUP BY over the devices, and the overview shows exactly that."""
    ids = _donate(system)
    for index, kind in steps:
        with contextlib.suppress(ServiceError):
            services.device_record_event(
                actor=system,
                device_id=ids[index],
                kind=kind,
                evidence=EVIDENCE if kind == "wiped" else None,
            )
    community_id = system.community.pk
    assert stock_counts_stored(community_id=community_id) == stock_counts_fresh(
        community_id=community_id
    )
    assert _overview_as_counts(system) == _fresh_by_kind_state(system)
    assert not StockCount.objects.filter(n__lt=0).exists()


def test_a_refused_step_leaves_the_counters_as_they_were(system: Actor) -> None:
    ids = _donate(system)
    before = stock_counts_stored(community_id=system.community.pk)
    with pytest.raises(ServiceError):  # no hand-over straight after intake
        services.device_record_event(actor=system, device_id=ids[0], kind="handed_over")
    assert stock_counts_stored(community_id=system.community.pk) == before


def test_counters_are_per_community(system: Actor, other_system: Actor) -> None:
    _donate(system)
    _donate(other_system, DEVICES[:1])
    assert selectors.stock_overview(actor=system)["total"] == 5
    assert selectors.stock_overview(actor=other_system)["total"] == 1


def test_rebuild_corrects_counters_after_a_change_outside_the_services(system: Actor) -> None:
    ids = _donate(system)
    Device.objects.filter(pk=ids[0]).update(pool="parts")  # e.g. a fix by hand in the database
    community_id = system.community.pk
    assert stock_counts_stored(community_id=community_id) != stock_counts_fresh(
        community_id=community_id
    )
    out = StringIO()
    with pytest.raises(SystemExit) as checked:
        call_command("lending_stock_recount", "--check", stdout=out)
    assert checked.value.code == 1 and "laptop/parts/received 1 -> 2" in out.getvalue()
    call_command("lending_stock_recount", stdout=StringIO())
    assert stock_counts_stored(community_id=community_id) == stock_counts_fresh(
        community_id=community_id
    )
    assert selectors.stock_overview(actor=system)["by_pool"] == {
        "handout": 2,
        "parts": 2,
        "place": 1,
    }
    again = StringIO()
    call_command("lending_stock_recount", "--check", stdout=again)  # nothing differs: no exit 1
    assert "0 counters differ" in again.getvalue()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_steps_on_many_devices_at_once_keep_the_counters_exact(system: Actor) -> None:
    """Clerks recording steps on different devices of one kind at the same moment: each
    transaction adds its own step to the same counter rows, none is lost."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's; SQLite serialises them")
    ids = _donate(system, [{"kind": "laptop"}] * 6)
    barrier = threading.Barrier(len(ids))
    errors: list[Any] = []

    def wipe(device_id: int) -> None:
        try:
            barrier.wait()
            services.device_record_event(
                actor=system, device_id=device_id, kind="wiped", evidence=EVIDENCE
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wipe, args=(pk,)) for pk in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert selectors.stock_overview(actor=system)["by_kind"]["laptop"] == {
        "total": 6,
        "wiped": 6,
    }
