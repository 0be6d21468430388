"""Scan statistics: dashboards per code, tag and team; the roll-up of finished days; CSV; cron."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.qrcodes import selectors, services
from buurtkit.qrcodes.models import Code, CodeDay, RolledUpDay, Scan, ScanDaily

BRUSSELS = ZoneInfo("Europe/Brussels")
PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 Mobile Safari/537.36"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile"
BOT = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def scan(
    client: Client,
    code: Code,
    *,
    ua: str = PHONE,
    ip: str = "198.51.100.7",
    lang: str = "nl",
    printed: bool = False,
    src: str = "",
) -> None:
    path = f"/{'Q' if printed else 'q'}/{code.code}" + (f"?src={src}" if src else "")
    response = client.get(path, HTTP_USER_AGENT=ua, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code in (200, 302)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in Brussels (as the aware datetime the clock gives)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRUSSELS)


@pytest.fixture
def staff(login_client: Callable[..., Client], community: Community) -> Client:
    return login_client(community, "staff")


@pytest.fixture
def other_code(system: Actor) -> Code:
    return services.code_create(
        actor=system,
        title="Affiche bibliotheek",
        tags=["poster"],
        routes=[{"action": "redirect", "params": {"url": "https://example.org/library"}}],
    )


def figures(response: Any) -> dict[str, int]:
    assert response.status_code == 200
    return dict(response.context["totals"])


def breakdown(response: Any, key: str) -> dict[str, int]:
    (found,) = [b for b in response.context["breakdowns"] if b["key"] == key]
    return {row.full_label: row.value for row in found["rows"]}


def test_dashboard_numbers_match_the_scans_made(
    client: Client, staff: Client, community: Community, bench_code: Code, other_code: Code
) -> None:
    scan(client, bench_code, printed=True)
    scan(client, bench_code, printed=True)
    scan(client, bench_code, ua=IPHONE, ip="198.51.100.8", lang="fr")
    scan(client, bench_code, src="newsletter")
    scan(client, other_code)
    scan(client, bench_code, ua=BOT)

    response = staff.get(f"/{community.slug}/qr/stats/", **EN)
    assert figures(response) == {"scans": 5, "visitors": 3, "bots": 1}
    assert [(t["id"], t["scans"], t["bots"]) for t in response.context["top"]] == [
        (bench_code.pk, 4, 1),
        (other_code.pk, 1, 0),
    ]
    assert breakdown(response, "source") == {
        "Printed code": 2,
        "Shared link": 2,
        "Own tag “newsletter”": 1,
    }
    assert breakdown(response, "device") == {"Phone": 5}
    assert breakdown(response, "language") == {"Dutch": 4, "French": 1}
    today = response.context["days"][-1]
    assert (today["day"], today["scans"], today["bots"]) == (selectors.local_today(), 5, 1)
    page = response.content.decode()
    assert 'role="img"' in page and "<details" in page  # charts, each with a table
    assert f"/{community.slug}/qr/codes/{bench_code.pk}/stats/" in page  # top codes link

    one = staff.get(f"/{community.slug}/qr/codes/{bench_code.pk}/stats/", **EN)
    assert figures(one) == {"scans": 4, "visitors": 2, "bots": 1}
    # The iPhone in French got route 2 ("french"), the others route 3 ("everyone").
    assert breakdown(one, "route") == {"Route 3: everyone": 3, "Route 2: french": 1}


def test_unique_visitors_per_day(client: Client, system: Actor, bench_code: Code) -> None:
    today = selectors.local_today()

    def visitors() -> int:
        days = selectors.scans_per_day(actor=system, start=today, end=today, code_id=bench_code.pk)
        return int(days[0]["visitors"])

    scan(client, bench_code, ip="203.0.113.1")
    scan(client, bench_code, ip="203.0.113.1")
    assert visitors() == 1  # the same address and browser twice: one visitor
    scan(client, bench_code, ip="203.0.113.1", ua=IPHONE)
    assert visitors() == 2  # another browser at that address
    scan(client, bench_code, ip="203.0.113.2")
    assert visitors() == 3  # another address


def test_bots_are_counted_apart(
    client: Client, staff: Client, community: Community, bench_code: Code
) -> None:
    scan(client, bench_code, ua=BOT)
    scan(client, bench_code, ua="")  # no browser at all: a script
    response = staff.get(f"/{community.slug}/qr/stats/", **EN)
    assert figures(response) == {"scans": 0, "visitors": 0, "bots": 2}
    assert response.context["top"] == []  # bots do not make a code popular
    assert breakdown(response, "device") == {}


def test_yesterday_rolled_up_and_today_live_add_up(
    client: Client, staff: Client, system: Actor, community: Community, bench_code: Code
) -> None:
    today = dt.date(2025, 6, 11)
    yesterday = today - dt.timedelta(days=1)
    with clock.frozen(at(yesterday, 10)):
        scan(client, bench_code, ip="203.0.113.1")
        scan(client, bench_code, ip="203.0.113.1")
        scan(client, bench_code, ip="203.0.113.2", printed=True)
        scan(client, bench_code, ua=BOT)
    with clock.frozen(at(today, 9)):
        scan(client, bench_code, ip="203.0.113.1")
        scan(client, bench_code, ip="203.0.113.3", lang="fr")
        response = staff.get(f"/{community.slug}/qr/stats/?period=7", **EN)
    # Opening the dashboard summed yesterday; today is counted from the single scans.
    assert RolledUpDay.objects.filter(community=community, day=yesterday).exists()
    assert not RolledUpDay.objects.filter(day=today).exists()
    assert CodeDay.objects.get(day=yesterday).visitors == 2
    days = {d["day"]: (d["scans"], d["visitors"], d["bots"]) for d in response.context["days"]}
    assert days[yesterday] == (3, 2, 1)
    assert days[today] == (2, 2, 0)
    assert figures(response) == {"scans": 5, "visitors": 4, "bots": 1}
    assert breakdown(response, "source") == {"Shared link": 4, "Printed code": 1}

    def everything() -> Any:
        week = dict(actor=system, start=today - dt.timedelta(days=6), end=today)
        return (
            selectors.scans_per_day(**week),
            [selectors.scans_breakdown(by=by, **week) for by in selectors.BREAKDOWNS],
            selectors.top_codes(**week),
        )

    with clock.frozen(at(today, 9)):
        before = everything()
        assert services.rollup_pending(community_id=community.pk) == 0  # nothing left to do
        services.rollup_day(community_id=community.pk, day=yesterday)  # again: same sums
        assert services.rollup_pending(full=True) == 0
        assert everything() == before
    assert CodeDay.objects.filter(day=yesterday).count() == 1
    assert sum(ScanDaily.objects.filter(day=yesterday).values_list("scans", flat=True)) == 4


def test_days_are_brussels_days(client: Client, system: Actor, bench_code: Code) -> None:
    # Summer time starts on 30 March 2025: 23:59 on the 29th is 22:59 UTC, 00:30 on the 30th
    # is 23:30 UTC the day before; 23:30 on the 30th is 21:30 UTC.
    moments = [
        dt.datetime(2025, 3, 29, 22, 59, tzinfo=dt.UTC),
        dt.datetime(2025, 3, 29, 23, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 3, 30, 21, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 3, 30, 22, 30, tzinfo=dt.UTC),  # 00:30 on the 31st
    ]
    for moment in moments:
        with clock.frozen(moment):
            scan(client, bench_code)
    assert sorted(Scan.objects.values_list("day", flat=True)) == [
        dt.date(2025, 3, 29),
        dt.date(2025, 3, 30),
        dt.date(2025, 3, 30),
        dt.date(2025, 3, 31),
    ]
    with clock.frozen(dt.datetime(2025, 3, 31, 12, tzinfo=dt.UTC)):
        days = selectors.scans_per_day(
            actor=system, start=dt.date(2025, 3, 29), end=dt.date(2025, 3, 31)
        )
    assert [d["scans"] for d in days] == [1, 2, 1]


def test_a_day_is_summed_only_a_few_minutes_after_midnight(
    client: Client, system: Actor, community: Community, bench_code: Code
) -> None:
    """Scans still waiting in a process's buffer at midnight are written before the roll-up."""
    day = dt.date(2025, 6, 10)
    with clock.frozen(at(day, 23, 59)):
        scan(client, bench_code)
    with clock.frozen(at(day + dt.timedelta(days=1), 0, 1)):
        assert services.rollup_pending(community_id=community.pk) == 0
        days = selectors.scans_per_day(actor=system, start=day, end=day)
        assert days[0]["scans"] == 1  # still counted, from the single scans
    with clock.frozen(at(day + dt.timedelta(days=1), 0, 10)):
        assert services.rollup_pending(community_id=community.pk) == 1
        assert selectors.scans_per_day(actor=system, start=day, end=day)[0]["scans"] == 1


def test_quick_rollup_looks_only_after_the_last_summed_day(
    client: Client, community: Community, bench_code: Code
) -> None:
    first, second = dt.date(2025, 6, 1), dt.date(2025, 6, 5)
    with clock.frozen(at(second, 12)):
        scan(client, bench_code)
    services.rollup_pending(today=dt.date(2025, 6, 6))
    with clock.frozen(at(first, 12)):  # an old day that somehow was never summed
        scan(client, bench_code)
    assert services.rollup_pending(community_id=community.pk, today=dt.date(2025, 6, 6)) == 0
    assert services.rollup_pending(today=dt.date(2025, 6, 6), full=True) == 1
    assert RolledUpDay.objects.filter(day=first).exists()


def test_pruned_days_keep_their_sums(
    client: Client,
    system: Actor,
    other_system: Actor,
    community: Community,
    other_community: Community,
    bench_code: Code,
) -> None:
    day = dt.date(2025, 1, 10)
    theirs = services.code_create(
        actor=other_system, routes=[{"action": "redirect", "params": {"url": "https://a.example"}}]
    )
    with clock.frozen(at(day, 12)):
        scan(client, bench_code)
        scan(client, theirs)
    services.rollup_day(community_id=community.pk, day=day)  # only ours is summed
    assert services.scans_prune(keep_days=30, today=day + dt.timedelta(days=31)) == 2
    assert not Scan.objects.exists()  # theirs was summed by the prune's own roll-up first
    services.rollup_day(community_id=community.pk, day=day)  # no single scans left: no harm
    days = selectors.scans_per_day(actor=system, start=day, end=day)
    assert days[0]["scans"] == 1
    assert CodeDay.objects.filter(day=day).count() == 2


def test_tag_and_team_filters(
    client: Client,
    staff: Client,
    community: Community,
    team: Any,
    bench_code: Code,
    other_code: Code,
) -> None:
    scan(client, bench_code)
    scan(client, bench_code, ip="203.0.113.5")
    scan(client, other_code)
    by_tag = staff.get(f"/{community.slug}/qr/stats/?tag=poster", **EN)
    assert figures(by_tag)["scans"] == 1
    assert [t["id"] for t in by_tag.context["top"]] == [other_code.pk]
    by_team = staff.get(f"/{community.slug}/qr/stats/?team={team.pk}", **EN)
    assert figures(by_team)["scans"] == 2
    assert [t["id"] for t in by_team.context["top"]] == [bench_code.pk]
    for nonsense in ("x", "-1", "9" * 30):  # ignored: all teams
        assert figures(staff.get(f"/{community.slug}/qr/stats/?team={nonsense}"))["scans"] == 3


def test_custom_period_and_its_errors(
    staff: Client, community: Community, bench_code: Code
) -> None:
    url = f"/{community.slug}/qr/stats/"
    ok = staff.get(url, {"custom": "1", "start": "2025-01-01", "end": "2025-01-31"}, **EN)
    assert len(ok.context["days"]) == 31
    assert "period=custom" in ok.context["query"]
    wrong = staff.get(url, {"custom": "1", "start": "2025-02-01", "end": "2025-01-01"}, **EN)
    assert len(wrong.context["days"]) == 30  # the default period, with a message
    page = wrong.content.decode()
    assert "The first day must come before the last day." in page
    assert 'aria-invalid="true"' in page
    too_long = staff.get(url, {"custom": "1", "start": "2020-01-01", "end": "2024-12-31"}, **EN)
    assert "at most 731 days" in too_long.content.decode()
    future = (selectors.local_today() + dt.timedelta(days=3)).isoformat()
    late = staff.get(url, {"custom": "1", "start": "2025-01-01", "end": future}, **EN)
    assert "cannot end after today" in late.content.decode()
    for key, n in (("7", 7), ("90", 90), ("365", 365), ("nonsense", 30)):
        assert len(staff.get(url, {"period": key}).context["days"]) == n


def test_csv_export(
    client: Client, staff: Client, system: Actor, community: Community, bench_code: Code
) -> None:
    services.code_update(actor=system, code_id=bench_code.pk, title="=HYPERLINK(1)")
    today = selectors.local_today()
    yesterday = today - dt.timedelta(days=1)
    with clock.frozen(at(yesterday, 12)):
        scan(client, bench_code, ip="203.0.113.1")
        scan(client, bench_code, ip="203.0.113.2")
        scan(client, bench_code, ua=BOT)
    scan(client, bench_code, ip="203.0.113.1")
    response = staff.get(f"/{community.slug}/qr/stats.csv?period=7", **EN)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="qr-scans-rabot-')
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == [
        "day",
        "code",
        "vanity name",
        "title",
        "team",
        "scans",
        "visitors",
        "bot scans",
    ]
    assert rows[1:] == [
        [
            yesterday.isoformat(),
            bench_code.code,
            "",
            "'=HYPERLINK(1)",
            "Groendienst",
            "2",
            "2",
            "1",
        ],
        [today.isoformat(), bench_code.code, "", "'=HYPERLINK(1)", "Groendienst", "1", "1", "0"],
    ]
    visitor_hashes = set(Scan.objects.values_list("visitor", flat=True))
    assert not any(h in body for h in visitor_hashes)  # nothing about who scanned
    assert "203.0.113" not in body


def test_permissions(
    client: Client,
    login_client: Callable[..., Client],
    community: Community,
    bench_code: Code,
) -> None:
    urls = [
        f"/{community.slug}/qr/stats/",
        f"/{community.slug}/qr/stats.csv",
        f"/{community.slug}/qr/codes/{bench_code.pk}/stats/",
    ]
    resident = login_client(community, "resident")
    volunteer = login_client(community, "volunteer")  # qrcodes.view: may look, not change
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
        assert resident.get(url).status_code == 403
        assert volunteer.get(url).status_code == 200


def test_another_communitys_figures_stay_out(
    client: Client,
    staff: Client,
    login_client: Callable[..., Client],
    community: Community,
    other_community: Community,
    other_system: Actor,
    bench_code: Code,
) -> None:
    theirs = services.code_create(
        actor=other_system,
        title="Hun code",
        routes=[{"action": "redirect", "params": {"url": "https://a.example"}}],
    )
    scan(client, theirs)
    scan(client, theirs, ip="203.0.113.9")
    scan(client, bench_code)
    response = staff.get(f"/{community.slug}/qr/stats/", **EN)
    assert figures(response)["scans"] == 1
    assert [t["id"] for t in response.context["top"]] == [bench_code.pk]
    assert staff.get(f"/{community.slug}/qr/codes/{theirs.pk}/stats/", **EN).status_code == 404
    body = b"".join(staff.get(f"/{community.slug}/qr/stats.csv").streaming_content).decode()
    assert theirs.code not in body and bench_code.code in body
    # Their staff cannot read ours through their own community either.
    their_staff = login_client(other_community, "staff")
    url = f"/{other_community.slug}/qr/codes/{bench_code.pk}/stats/"
    assert their_staff.get(url).status_code == 404
    assert staff.get(f"/{other_community.slug}/qr/stats/").status_code == 403


def test_rollup_command(client: Client, community: Community, bench_code: Code) -> None:
    old, recent = dt.date(2025, 1, 1), dt.date(2025, 6, 1)
    for day in (old, recent):
        with clock.frozen(at(day, 12)):
            scan(client, bench_code)
    out = StringIO()
    with clock.frozen(at(dt.date(2025, 6, 10), 3)):
        call_command("qr_rollup", "--keep-days", "30", stdout=out)
    assert out.getvalue().strip() == (
        "2 day(s) of scans summed; 1 single scan(s) older than 30 days deleted"
    )
    assert list(Scan.objects.values_list("day", flat=True)) == [recent]
    assert sorted(CodeDay.objects.values_list("day", "scans")) == [(old, 1), (recent, 1)]
    out = StringIO()
    with clock.frozen(at(dt.date(2025, 6, 10), 3)):
        call_command("qr_rollup", stdout=out)
    assert out.getvalue().startswith("0 day(s) of scans summed; 0 single scan(s)")
    with pytest.raises(CommandError):
        call_command("qr_rollup", "--keep-days", "0")


def test_community_sums_match_the_codes_added_up(
    client: Client, system: Actor, community: Community, bench_code: Code, other_code: Code
) -> None:
    """Without a filter the community's own daily sums answer; they equal the codes' sums."""
    today = dt.date(2025, 6, 11)
    yesterday = today - dt.timedelta(days=1)
    with clock.frozen(at(yesterday, 10)):
        scan(client, bench_code, printed=True)
        scan(client, bench_code, ua=IPHONE, lang="fr", ip="203.0.113.4")
        scan(client, other_code, src="flyer")
        scan(client, other_code, ua=BOT)
    with clock.frozen(at(today, 10)):
        scan(client, other_code)
        services.rollup_pending(community_id=community.pk)
        week = {"actor": system, "start": today - dt.timedelta(days=6), "end": today}
        whole = selectors.scans_per_day(**week)
        codes = [selectors.scans_per_day(code_id=c.pk, **week) for c in (bench_code, other_code)]
        for i, day in enumerate(whole):
            for key in ("scans", "visitors", "bots"):
                assert day[key] == sum(c[i][key] for c in codes)
        for by in selectors.BREAKDOWNS:
            added: dict[Any, int] = {}
            for c in (bench_code, other_code):
                for row in selectors.scans_breakdown(by=by, code_id=c.pk, **week):
                    added[row[by]] = added.get(row[by], 0) + row["scans"]
            assert {r[by]: r["scans"] for r in selectors.scans_breakdown(by=by, **week)} == added
        every = {by: selectors.scans_breakdown(by=by, **week) for by in selectors.BREAKDOWNS}
        assert selectors.scans_breakdowns(**week) == every  # all four from one read
        assert every["source"][0] == {"source": "link", "scans": 2}
    assert whole[-2] == {"day": yesterday, "scans": 3, "visitors": 3, "bots": 1}
    assert whole[-1] == {"day": today, "scans": 1, "visitors": 1, "bots": 0}


def test_a_long_period_is_drawn_per_week(
    client: Client, staff: Client, community: Community, bench_code: Code
) -> None:
    scan(client, bench_code)
    response = staff.get(f"/{community.slug}/qr/stats/?period=365", **EN)
    assert response.context["per"] == "week"
    rows = response.context["rows"]
    assert 53 <= len(rows) <= 54
    assert all(row["day"].weekday() == 0 for row in rows)  # weeks start on Monday
    assert sum(row["scans"] for row in rows) == figures(response)["scans"] == 1
    assert "Scans per week" in response.content.decode()
    assert staff.get(f"/{community.slug}/qr/stats/?period=90", **EN).context["per"] == "day"
