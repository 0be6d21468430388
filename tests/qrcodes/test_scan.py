"""The public scan URL: first matching route wins, temporary redirects, friendly pages, recording."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.qrcodes import recording, services
from buurtkit.qrcodes.models import Code, OrphanScan, Scan


def test_scan_redirects_temporarily_and_is_never_cached(client: Client, bench_code: Code) -> None:
    response = client.get(f"/q/{bench_code.code}")
    assert response.status_code == 302
    assert response["Location"] == "https://example.org/bank"
    assert response["Cache-Control"] == "no-store"


def test_printed_upper_case_url_and_lower_case_both_work(client: Client, bench_code: Code) -> None:
    assert client.get(f"/Q/{bench_code.code}").status_code == 302
    assert client.get(f"/q/{bench_code.code.lower()}").status_code == 302
    sources = sorted(Scan.objects.values_list("source", flat=True))
    assert sources == ["link", "print"]


def test_language_route_matches_before_the_catch_all(client: Client, bench_code: Code) -> None:
    response = client.get(f"/q/{bench_code.code}", HTTP_ACCEPT_LANGUAGE="fr")
    assert response["Location"] == "https://example.org/fr/banc"


def test_staff_route_for_signed_in_staff(
    login_client: Any, community: Any, bench_code: Code
) -> None:
    staff = login_client(community, "staff")
    response = staff.get(f"/q/{bench_code.code}")
    assert response["Location"] == "https://intranet.example.org/bank/12"


def test_change_takes_effect_at_once(client: Client, system: Actor, bench_code: Code) -> None:
    assert client.get(f"/q/{bench_code.code}")["Location"] == "https://example.org/bank"
    services.routes_set(
        actor=system,
        code_id=bench_code.pk,
        routes=[{"action": "redirect", "params": {"url": "https://example.org/new"}}],
    )
    assert client.get(f"/q/{bench_code.code}")["Location"] == "https://example.org/new"


def test_paused_code_shows_friendly_page_with_contact(
    client: Client, system: Actor, bench_code: Code
) -> None:
    services.code_set_status(actor=system, code_id=bench_code.pk, status="paused")
    response = client.get(f"/q/{bench_code.code}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "paused" in response.content.decode()
    assert "+3292661010" in response.content.decode()


def test_unknown_code_is_404_and_counted_as_orphan(client: Client, db: Any) -> None:
    response = client.get("/q/ZZZZZZZZZ")
    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"
    assert OrphanScan.objects.get(code="ZZZZZZZZZ").scans == 1


def test_scan_recorded_without_ip(client: Client, bench_code: Code) -> None:
    client.get(
        f"/q/{bench_code.code}",
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14; Pixel 7) Mobile Safari/537.36",
        REMOTE_ADDR="203.0.113.9",
    )
    scan = Scan.objects.get()
    assert (scan.device, scan.os, scan.bot, scan.route) == ("phone", "android", False, 2)
    values = " ".join(str(v) for v in Scan.objects.values().get().values())
    assert "203.0.113.9" not in values


def test_buffered_recording_flushes_in_bulk(
    client: Client, bench_code: Code, settings: Any
) -> None:
    settings.QR_SCAN_RECORDING = "buffered"
    settings.QR_SCAN_FLUSH_SECONDS = 3600
    recording.flush()
    for _ in range(3):
        assert client.get(f"/q/{bench_code.code}").status_code == 302
    assert Scan.objects.count() == 0
    assert recording.flush() == 3
    assert Scan.objects.count() == 3


def test_a_failing_store_does_not_break_the_scan(
    client: Client, bench_code: Code, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(recording, "_write", broken)
    response = client.get(f"/q/{bench_code.code}")
    assert response.status_code == 302


def test_superusers_see_orphan_scans_in_the_admin(client: Client, db: Any) -> None:
    from django.contrib.auth import get_user_model

    client.get("/q/ZZZZZZZZY")
    admin = get_user_model().objects.create_superuser("root", password="a-long-test-password")
    client.force_login(admin)
    page = client.get("/admin/qrcodes/orphanscan/")
    assert page.status_code == 200 and "ZZZZZZZZY" in page.content.decode()
