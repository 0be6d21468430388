"""The scan path as one service call: ``scan_resolve`` decides, the page only renders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from buurtkit.core.actor import Actor
from buurtkit.qrcodes import recording, services
from buurtkit.qrcodes.models import Code, OrphanScan, Scan
from buurtkit.qrcodes.services import (
    ApiAnswer,
    ApiRefused,
    ClaimCode,
    CodeNotFound,
    CodeUnavailable,
    RedirectTo,
    Viewer,
    scan_resolve,
)

PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 7) Mobile Safari/537.36"


def test_an_anonymous_scan_of_a_cached_code_needs_no_query(
    bench_code: Code,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: Any,
) -> None:
    settings.QR_SCAN_RECORDING = "buffered"  # as in production; the buffer is caught here
    buffered: list[dict[str, Any] | None] = []
    monkeypatch.setattr(recording, "_enqueue", lambda row=None, orphan=None: buffered.append(row))
    scan_resolve(text=bench_code.code, user_agent=PHONE)  # fills the cache and today's salt
    with django_assert_num_queries(0):
        outcome = scan_resolve(text=bench_code.code, printed=True, user_agent=PHONE)
    assert outcome == RedirectTo(url="https://example.org/bank")
    assert [row["source"] for row in buffered if row] == ["link", "print"]


def test_the_route_is_chosen_and_the_scan_recorded(bench_code: Code) -> None:
    outcome = scan_resolve(
        text=bench_code.code.lower(), language="fr", user_agent=PHONE, params={"src": "poster"}
    )
    assert outcome == RedirectTo(url="https://example.org/fr/banc")
    scan = Scan.objects.get()
    assert (scan.route, scan.source, scan.language, scan.device) == (1, "poster", "fr", "phone")


def test_only_a_get_is_recorded(bench_code: Code) -> None:
    assert isinstance(scan_resolve(text=bench_code.code, method="HEAD"), RedirectTo)
    assert not Scan.objects.exists()


def test_an_unknown_code_is_not_found_and_counted(db: Any) -> None:
    assert scan_resolve(text="ZZZZZZZZX") == CodeNotFound(typed="ZZZZZZZZX")
    assert OrphanScan.objects.get(code="ZZZZZZZZX").scans == 1


def test_staff_who_scan_a_blank_code_are_sent_to_claim_it(
    system: Actor, community: Any, make_login: Callable[..., Any]
) -> None:
    blank = services.code_create(actor=system, title="Sticker")
    staff = make_login(community, "staff")
    outcome = scan_resolve(text=blank.code, viewer=Viewer(user=staff))
    assert outcome == ClaimCode(community_slug="rabot", code=blank.code)
    assert not Scan.objects.exists()  # sending staff to claim it is not a scan
    resident = make_login(community, "resident")
    outcome = scan_resolve(text=blank.code, viewer=Viewer(user=resident))
    assert isinstance(outcome, CodeUnavailable) and outcome.reason == "unassigned"
    assert Scan.objects.get().outcome == "unassigned"


def test_metadata_needs_a_key_of_the_code_community(
    bench_code: Code, community: Any, other_community: Any, api_key: Callable[..., str]
) -> None:
    own, foreign = api_key(community, ["staff"]), api_key(other_community, ["staff"])
    assert scan_resolve(text=bench_code.code, wants_json=True) == ApiRefused()
    assert scan_resolve(text=bench_code.code, wants_json=True, viewer=Viewer(api_key=foreign)) == (
        ApiRefused()
    )
    outcome = scan_resolve(text=bench_code.code, wants_json=True, viewer=Viewer(api_key=own))
    assert isinstance(outcome, ApiAnswer)
    assert outcome.body["answer"]["url"] == "https://intranet.example.org/bank/12"
    assert not Scan.objects.exists()
