"""Device search at a regional size stays right: a text term finds every device whose brand
or model contains it (either way of searching: the FTS5 trigram table on SQLite for a rare
term, reading devices in label order for a common one); the API counts up to a cap and says
when there are more."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.lending import selectors, services
from buurtkit.lending.models import Device

pytestmark = pytest.mark.django_db

MODELS = [
    ("Dell", "Latitude 5490"),
    ("Lenovo", "ThinkPad T480"),
    ("Samsung", "Galaxy Tab A8"),
    ("Apple", "iPad 9"),
    ("Lenovo", "Tab M10"),
    ("HP", "EliteBook 840"),
]
TERMS = ["tab", "TAB M", "galaxy", "pad", "ipad 9", "Latitude", "elitebook 840", "zzzq", "ab",
         'Tab "M10', "T480 ", "a8"]  # fmt: skip


def _stock(actor: Actor, n: int = 60) -> None:
    """``n`` devices; the last model only once (a rare term), the others often."""
    devices = [
        {"kind": "laptop", "brand": brand, "model": model, "serial": f"S{i:04d}"}
        for i in range(n - 1)
        for brand, model in [MODELS[i % (len(MODELS) - 1)]]
    ]
    devices.append({"kind": "laptop", "brand": "HP", "model": "EliteBook 840", "serial": "RARE"})
    services.donation_receive(
        actor=actor, received_on=date(2026, 12, 1), donor_name="Barco", devices=devices
    )


def _expected(community: Community, term: str) -> list[str]:
    wanted = term.strip().upper()
    return sorted(
        d.label
        for d in Device.objects.in_community(community)
        if wanted in f"{d.brand} {d.model}".upper()
    )


def _found(actor: Actor, term: str) -> list[str]:
    return list(selectors.devices_search(actor=actor, q=term).values_list("label", flat=True))


@pytest.mark.parametrize("way", ["as planned", "always the trigram table", "never"])
def test_text_search_finds_exactly_the_devices_that_contain_the_term(
    system: Actor, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    _stock(system)
    if way == "always the trigram table":
        monkeypatch.setattr(selectors, "FTS_RARE", 1)  # every term is rare
    elif way == "never":
        monkeypatch.setattr(selectors, "FTS_RARE", 10**9)
    for term in TERMS:
        assert _found(system, term) == _expected(system.community, term), term


def test_a_rare_term_is_looked_up_in_the_trigram_table_on_sqlite(system: Actor) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 table is SQLite's; PostgreSQL has a trigram index")
    _stock(system)
    rare = selectors._fts_rare_ids(system.community, "ELITEBOOK")
    common = selectors._fts_rare_ids(system.community, "TAB")
    assert rare is not None and common is None
    assert _found(system, "elitebook") == _expected(system.community, "elitebook")


def test_the_trigram_table_follows_devices_written_outside_the_services(system: Actor) -> None:
    """The triggers keep the FTS5 table in step with any insert, change or delete."""
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 table is SQLite's")
    _stock(system)
    device = Device.objects.in_community(system.community).get(serial="RARE")
    Device.objects.filter(pk=device.pk).update(model="Zbook Firefly")
    assert _found(system, "firefly") == [device.label]
    assert _found(system, "elitebook 840") == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM lending_device_fts WHERE lending_device_fts MATCH %s",
            ['"FIREFLY"'],
        )
        assert cursor.fetchall() == [(device.pk,)]
        # The index agrees with the devices everywhere ('integrity-check' raises if not).
        cursor.execute(
            "INSERT INTO lending_device_fts(lending_device_fts, rank) VALUES ('integrity-check', 1)"
        )


def test_the_api_counts_up_to_the_cap_and_says_so(
    system: Actor,
    community: Community,
    api: Callable[..., Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _stock(system, 30)
    client = api(community, ["staff"])
    all_tab = len(_expected(community, "tab"))  # 12 of the 30
    body = client.get("/api/v1/lending/devices?q=tab&limit=5").json()
    assert (body["count"], body["count_capped"], len(body["items"])) == (all_tab, False, 5)
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 4)
    body = client.get("/api/v1/lending/devices?q=tab&limit=3").json()
    assert (body["count"], body["count_capped"], len(body["items"])) == (4, True, 3)
    # Paging on past the cap still counts to the end of the page asked for.
    body = client.get("/api/v1/lending/devices?q=tab&limit=3&offset=6").json()
    assert (body["count"], body["count_capped"], len(body["items"])) == (9, True, 3)
    last = client.get(f"/api/v1/lending/devices?q=tab&limit=5&offset={all_tab - 2}").json()
    assert (last["count"], last["count_capped"], len(last["items"])) == (all_tab, False, 2)
    exact = client.get("/api/v1/lending/devices?q=RARE").json()
    assert (exact["count"], exact["count_capped"]) == (1, False)
