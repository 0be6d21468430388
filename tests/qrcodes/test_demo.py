"""The demo's QR codes: a bench with a report form, the library poster, blank stickers, scans."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Sum
from django.test import Client, override_settings

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.demo import demo_loaders
from buurtkit.core.models import Community
from buurtkit.core.modules import MODULES
from buurtkit.core.services import community_create
from buurtkit.qrcodes import cache as qr_cache
from buurtkit.qrcodes import demo as qr_demo
from buurtkit.qrcodes import selectors
from buurtkit.qrcodes.models import (
    Batch,
    Code,
    CodeDay,
    RolledUpDay,
    Scan,
    ScanDaily,
    Submission,
)
from buurtkit.qrcodes.recording import local_day
from tests.worlds import reset_process_caches, rolled_back_world


def en() -> Client:
    """The pages speak Dutch by default; these tests read the English texts."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _community() -> Community:
    return community_create(
        name="Rabot – Blaisantvest", slug="rabot", enabled_modules=list(MODULES)
    )


@pytest.fixture(scope="module")
def _shared_demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[int]:
    """The people and the QR codes of the demo (without the four months of currency), loaded
    once per module (and xdist worker) in a transaction rolled back after it (tests/worlds.py).
    """
    from buurtkit.people import demo as people_demo

    with rolled_back_world(django_db_blocker):
        with django_db_blocker.unblock():
            community = _community()
            people_demo.load(community)
            assert qr_demo.load(community) == []
        yield community.pk


@pytest.fixture
def demo(db: Any, _shared_demo: int) -> Iterator[Community]:
    """The demo as loaded (each test's writes are rolled back), read afresh, caches empty."""
    reset_process_caches()
    yield Community.objects.get(pk=_shared_demo)
    reset_process_caches()


def bench(community: Community) -> Code:
    return Code.objects.in_community(community).get(title="Bank in het Blaisantvestpark")


def test_the_whole_demo_loads_in_order() -> None:
    names = [loader.name for loader in demo_loaders()]
    assert names.index("people") < names.index("ledger") < names.index("ledger-qr")
    assert names.index("ledger-qr") < names.index("qrcodes")


def check_the_bakerys_counter_code(community: Community) -> None:
    """In the whole demo (all loaders, in order): the bakery's counter code, scanned by the demo
    resident, opens "pay the bakery". Called by tests/test_demo_command.py's test, which loads
    the whole demo anyway (loading it once more here cost ~13 s on each engine). Scans are
    written at once and the code cache starts empty, as in this module (tests/qrcodes/conftest.py).
    """
    with override_settings(QR_SCAN_RECORDING="sync"):
        qr_cache.clear()
        try:
            _scan_the_bakerys_counter_code(community)
        finally:
            qr_cache.clear()


def _scan_the_bakerys_counter_code(community: Community) -> None:
    counter = Code.objects.in_community(community).get(link_type="ledger.account")
    assert counter.title == "Toonbank Bakkerij Het Torentje"
    assert counter.scans.filter(outcome="ledger.pay").count() > 50
    # The demo resident scans it: off to pay the bakery, the "who do you pay?" step skipped.
    client = en()
    client.force_login(get_user_model().objects.get(username="bewoner"))
    scan = client.get(f"/Q/{counter.code}")
    assert scan.status_code == 302
    page = client.get(scan["Location"], follow=True)
    assert page.redirect_chain[-1][0].startswith("/rabot/pay/amount/?to=")
    assert "Bakkerij Het Torentje" in page.content.decode()


def test_the_bench_code_shows_the_report_form(demo: Community) -> None:
    code = bench(demo)
    assert code.owner is not None and code.owner.kind == "city_department"
    client = en()
    page = client.get(f"/Q/{code.code}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Report a problem" in html
    for choice in ("broken", "dirty", "graffiti", "something else"):
        assert choice in html
    assert 'type="tel"' in html
    dutch = Client(HTTP_ACCEPT_LANGUAGE="nl").get(f"/Q/{code.code}").content.decode()
    assert "Meld een probleem" in dutch and "kapot" in dutch
    # Only "what is wrong" is required: a choice alone is a valid report.
    before = Submission.objects.count()
    sent = client.post(f"/q/{code.code}", {"wat": "2", "beschrijving": "", "telefoon": ""})
    assert sent.status_code == 200
    assert Submission.objects.count() == before + 1
    assert Submission.objects.order_by("-pk").first().data["wat"] == "graffiti"  # type: ignore[union-attr]


def test_the_library_poster_gives_residents_and_staff_different_menus(
    demo: Community, make_login: Callable[..., Any]
) -> None:
    poster = Code.objects.in_community(demo).get(slug="bib-rabot")
    public = en().get("/q/bib-rabot")
    resident = en()
    resident.force_login(make_login(demo, "resident"))
    staff = en()
    staff.force_login(make_login(demo, "staff"))
    for client in (resident, staff):
        assert client.get(f"/Q/{poster.code}").status_code == 200
    answers = {
        "public": public.content.decode(),
        "resident": resident.get("/q/bib-rabot").content.decode(),
        "staff": staff.get("/q/bib-rabot").content.decode(),
    }
    for who in ("public", "resident"):
        html = answers[who]
        assert "Rabot library" in html
        for label in ("Opening hours", "Digipunt: free computers and help", "IT café on Thursday"):
            assert label in html, (who, label)
        assert "intranet" not in html
    assert "For staff" in answers["staff"] and "Library intranet" in answers["staff"]
    assert "/rabot/people/" in answers["staff"]
    assert "Opening hours" not in answers["staff"]
    # A choice of the menu opens its page, in the scanner's language.
    before = clock.now()
    hours = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/q/bib-rabot?toon=uren&src=menu")
    assert "mercredi : 10 h à 18 h" in hours.content.decode()
    assert Scan.objects.filter(code=poster, source="menu", at__gte=before).exists()


def test_there_is_a_roll_of_blank_stickers(demo: Community) -> None:
    batch = Batch.objects.in_community(demo).get()
    assert (batch.size, batch.done, batch.status) == (50, 50, "done")
    codes = Code.objects.in_community(demo).filter(batch=batch)
    statuses = Counter(codes.values_list("status", flat=True))
    assert statuses == {"unassigned": 49, "active": 1}  # one was claimed for a picnic table
    table = codes.get(status="active")
    assert table.title == "Picknicktafel Blaisantvest"
    assert table.routes.get().action == "form"
    assert {t.name for t in codes.filter(status="unassigned").first().tags.all()} == {"sticker"}  # type: ignore[union-attr]
    blank = codes.filter(status="unassigned").first()
    assert blank is not None
    page = en().get(f"/Q/{blank.code}")
    assert "not in use yet" in page.content.decode()


def test_the_party_poster_is_paused(demo: Community) -> None:
    party = Code.objects.in_community(demo).get(title="Affiche buurtfeest")
    assert party.status == "paused"
    assert "paused" in en().get(f"/q/{party.code}").content.decode()
    assert party.scans.filter(outcome="paused").exists()
    last_answered = party.scans.filter(outcome="redirect").order_by("-at").first()
    first_paused = party.scans.filter(outcome="paused").order_by("at").first()
    assert last_answered is not None and first_paused is not None
    assert last_answered.at < first_paused.at


def test_three_months_of_realistic_scans_rolled_up(demo: Community) -> None:
    scans = Scan.objects.in_community(demo)
    now = clock.now()
    today = local_day(now)
    assert 1000 < scans.count() < 20_000
    oldest = scans.order_by("at").first()
    newest = scans.order_by("-at").first()
    assert oldest is not None and newest is not None
    assert timedelta(days=85) < now - oldest.at < timedelta(days=93)
    assert newest.at <= now
    # No scan before its code was put up, every scan names the answer it got.
    for code in Code.objects.in_community(demo).exclude(status="unassigned"):
        first = code.scans.order_by("at").first()
        assert first is not None, code.title
        assert first.at >= code.events.order_by("at").first().at  # type: ignore[union-attr]
    outcomes = set(scans.values_list("outcome", flat=True))
    assert {"form", "menu", "info", "redirect", "paused"} <= outcomes
    assert set(scans.values_list("language", flat=True)) == {"nl", "fr", "en"}
    languages = Counter(scans.filter(bot=False).values_list("language", flat=True))
    assert languages["nl"] > languages["fr"] > languages["en"] > 0
    assert {"print", "link", "menu"} <= set(scans.values_list("source", flat=True))
    assert 0 < scans.filter(bot=True).count() < scans.count() * 0.1
    assert {"android", "ios"} <= set(scans.values_list("os", flat=True))
    # Busy in the afternoon, quiet at night (Brussels time); the library poster not on Sunday.
    hours = Counter(s.at.astimezone(qr_demo.BRUSSELS).hour for s in scans.only("at"))
    assert hours[16] > 10 * (hours[3] + 1) and hours[3] == 0
    poster_days = Counter(
        s.day.weekday() for s in scans.filter(code__slug="bib-rabot", source="print")
    )
    assert poster_days[2] > 3 * poster_days[6]
    # Visitors: the same phone on one day is one visitor; different days, different hashes.
    per_day = scans.filter(bot=False).values("code_id", "day")
    repeated = per_day.annotate(n=Count("id"), v=Count("visitor", distinct=True)).filter(
        n__gt=F("v")
    )
    assert repeated.exists()
    assert all(len(v) == 16 for v in scans.values_list("visitor", flat=True)[:50])

    # Rolled up: every day before today, and the sums match the single scans.
    days = set(scans.filter(day__lt=today).values_list("day", flat=True))
    assert days == set(RolledUpDay.objects.in_community(demo).values_list("day", flat=True))
    people = scans.filter(bot=False, day__lt=today).count()
    assert CodeDay.objects.in_community(demo).aggregate(n=Sum("scans"))["n"] == people
    assert (
        ScanDaily.objects.in_community(demo).aggregate(n=Sum("scans"))["n"]
        == scans.filter(day__lt=today).count()
    )
    # The dashboards' reads have figures.
    actor = Actor.system(demo)
    start = today - timedelta(days=89)
    daily = selectors.scans_per_day(actor=actor, start=start, end=today)
    assert sum(d["scans"] for d in daily) == scans.filter(bot=False, day__gte=start).count()
    assert sum(1 for d in daily if d["scans"]) > 80
    top = selectors.top_codes(actor=actor, start=start, end=today, limit=3)
    assert top[0]["title"] == "Affiche Bibliotheek Rabot"
    routes = selectors.scans_breakdown(
        actor=actor, start=start, end=today, by="route", code_id=top[0]["id"]
    )
    assert len(routes) == 5


def test_a_few_form_answers(demo: Community) -> None:
    answers = Submission.objects.in_community(demo)
    assert 5 <= answers.count() <= 12
    assert set(answers.values_list("language", flat=True)) == {"nl", "fr", "en"}
    assert {a.code.title for a in answers.select_related("code") if a.code} == {
        "Bank in het Blaisantvestpark",
        "Picknicktafel Blaisantvest",
    }
    assert all(a.at <= clock.now() for a in answers)
    assert answers.exclude(data__telefoon="").filter(data__telefoon__startswith="+32").exists()


def test_the_demo_has_a_bookable_room_and_an_entrance(demo: Community) -> None:
    client = en()
    room = client.get("/q/vergaderzaal-de-kring", follow=True)
    assert room.status_code == 200 and "/book/" in room.redirect_chain[-1][0]
    assert "Vergaderzaal De Kring" in room.content.decode()
    door = client.get("/q/inkom-buurthuis", follow=True)
    assert door.status_code == 200 and "/checkin/" in door.redirect_chain[-1][0]
    staff = Client()
    staff.force_login(get_user_model().objects.get(username="medewerker"))
    point = door.redirect_chain[-1][0].rstrip("/").split("/")[-1]
    page = staff.get(f"/{demo.slug}/qr/entrances/{point}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "3 people in the building now" in page.content.decode()
