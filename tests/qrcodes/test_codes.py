"""Codes: unguessable ids, vanity names, teams, versions, history, batches, bulk changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.people.selectors import actor_for_user
from buurtkit.people.services import membership_grant, organisation_create
from buurtkit.qrcodes import cache, codes, selectors, services
from buurtkit.qrcodes.models import Batch, Code, CodeEvent, HistoryImmutable, Route


def test_public_ids_are_random_unambiguous_and_long_enough(system: Actor) -> None:
    made = {services.code_create(actor=system).code for _ in range(50)}
    assert len(made) == 50
    assert codes.BITS >= 40
    for value in made:
        assert codes.is_code(value)
        assert not set(value) & set("ILOU")
    assert codes.normalise("7km-3qx-9td") == "7KM3QX9TD"
    assert codes.normalise("O1I-L00-UUU") == "011100VVV"


def test_vanity_slug_clash_is_an_error_never_a_silent_replacement(
    system: Actor, other_system: Actor
) -> None:
    first = services.code_create(actor=system, slug="bib-rabot")
    with pytest.raises(ValidationFailed) as err:
        services.code_create(actor=other_system, slug="Bib-Rabot")
    assert "slug" in err.value.fields
    assert Code.objects.get(slug="bib-rabot") == first
    assert Code.objects.count() == 1


def test_a_slug_that_looks_like_a_code_is_refused(system: Actor) -> None:
    with pytest.raises(ValidationFailed):
        services.code_create(actor=system, slug="abcdefghj")


def test_a_code_always_wins_over_a_slug_that_reads_like_it(client: Client, system: Actor) -> None:
    # "bank-rabot" read forgivingly (no dash, O as 0) is BANKRAB0T: allowed as a slug, and a scan
    # of the slug finds the slug's code; a real code BANKRAB0T would win over it.
    slugged = services.code_create(
        actor=system,
        slug="bank-rabot",
        routes=[{"action": "redirect", "params": {"url": "https://example.org/slug"}}],
    )
    assert client.get("/q/bank-rabot")["Location"] == "https://example.org/slug"
    other = services.code_create(
        actor=system, routes=[{"action": "redirect", "params": {"url": "https://example.org/code"}}]
    )
    Code.objects.filter(pk=other.pk).update(code="BANKRAB0T")
    cache.clear()
    assert client.get("/Q/BANKRAB0T")["Location"] == "https://example.org/code"
    assert client.get("/q/bank-rabot")["Location"] == "https://example.org/slug"
    assert selectors.code_by_public_id(actor=system, text="bank-rabot") == slugged


def test_scan_by_vanity_slug(client: Client, system: Actor) -> None:
    services.code_create(
        actor=system,
        slug="bib-rabot",
        routes=[{"action": "redirect", "params": {"url": "https://example.org/bib"}}],
    )
    assert client.get("/q/bib-rabot")["Location"] == "https://example.org/bib"


def test_only_http_targets(system: Actor) -> None:
    for url in ["javascript:alert(1)", "ftp://x.org/a", "//evil.example", "data:text/html,hi"]:
        with pytest.raises(ValidationFailed) as err:
            services.code_create(
                actor=system, routes=[{"action": "redirect", "params": {"url": url}}]
            )
        assert "routes.1.url" in err.value.fields
    assert Code.objects.count() == 0


def test_info_page_html_is_sanitised(client: Client, system: Actor) -> None:
    code = services.code_create(
        actor=system,
        routes=[
            {
                "action": "info",
                "params": {
                    "title": {"nl": "Open"},
                    "html": {"nl": '<p onclick="x()">Hallo<script>alert(1)</script></p>'},
                },
            }
        ],
    )
    stored = Route.objects.get(code=code).params["html"]["nl"]
    assert "script" not in stored and "onclick" not in stored and "Hallo" in stored
    page = client.get(f"/q/{code.code}").content.decode()
    assert "<script>alert" not in page and "Hallo" in page


def test_team_members_and_coordinators_edit_others_do_not(
    community: Any, system: Actor, make_login: Any
) -> None:
    green = organisation_create(actor=system, name="Groen", slug="groen", kind="city_department")
    library = organisation_create(actor=system, name="Bib", slug="bib", kind="library")
    code = services.code_create(actor=system, owner_id=green.pk, title="Bank")
    member = make_login(community, "staff")
    membership_grant(
        actor=system, username=member.username, roles=["staff"], organisation_id=green.pk
    )
    outsider = make_login(community, "staff")
    membership_grant(
        actor=system, username=outsider.username, roles=["staff"], organisation_id=library.pk
    )
    as_member = actor_for_user(user=member, community=community)
    as_outsider = actor_for_user(user=outsider, community=community)
    assert as_member and as_outsider
    services.code_update(actor=as_member, code_id=code.pk, title="Bank aan de vijver")
    with pytest.raises(PermissionDenied):
        services.code_update(actor=as_outsider, code_id=code.pk, title="Mijn bank")
    with pytest.raises(ValidationFailed):
        services.code_create(actor=as_outsider, owner_id=green.pk)
    code.refresh_from_db()
    assert code.title == "Bank aan de vijver"


def test_stale_version_is_refused(system: Actor, bench_code: Code) -> None:
    seen = bench_code.version
    services.code_update(actor=system, code_id=bench_code.pk, title="Eerste", expected_version=seen)
    with pytest.raises(Conflict):
        services.code_update(
            actor=system, code_id=bench_code.pk, title="Tweede", expected_version=seen
        )
    bench_code.refresh_from_db()
    assert bench_code.title == "Eerste"


def test_every_change_is_in_the_history_with_a_snapshot(system: Actor, bench_code: Code) -> None:
    services.routes_set(
        actor=system,
        code_id=bench_code.pk,
        routes=[{"action": "redirect", "params": {"url": "https://example.org/b"}}],
    )
    services.code_set_status(actor=system, code_id=bench_code.pk, status="paused")
    events = list(selectors.code_history(actor=system, code_id=bench_code.pk))
    assert [e.verb for e in events] == ["status_paused", "routes_changed", "created"]
    assert events[0].snapshot["status"] == "paused"
    assert events[1].snapshot["routes"][0]["params"]["url"] == "https://example.org/b"
    assert len(events[2].snapshot["routes"]) == 3
    with pytest.raises(HistoryImmutable):
        events[0].save()
    with pytest.raises(HistoryImmutable):
        CodeEvent.objects.all().delete()


def test_retired_code_stays_retired(client: Client, system: Actor, bench_code: Code) -> None:
    services.code_set_status(actor=system, code_id=bench_code.pk, status="retired")
    with pytest.raises(Conflict):
        services.code_set_status(actor=system, code_id=bench_code.pk, status="active")
    response = client.get(f"/q/{bench_code.code}")
    assert response.status_code == 410


def test_other_community_cannot_see_or_change_a_code(other_system: Actor, bench_code: Code) -> None:
    with pytest.raises(NotFound):
        services.code_update(actor=other_system, code_id=bench_code.pk, title="x")
    with pytest.raises(NotFound):
        selectors.code_get(actor=other_system, code_id=bench_code.pk)
    assert selectors.codes_list(actor=other_system).count() == 0


def test_blank_batch_of_codes_then_claim(
    system: Actor, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_create(
            actor=system, size=25, title="Stickers", owner_id=team.pk, tags=["zitbank"]
        )
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.size) == ("done", 25, 25)
    blank = list(Code.objects.filter(batch=batch))
    assert len(blank) == 25 and {c.status for c in blank} == {"unassigned"}
    assert all(c.tags.filter(name="zitbank").exists() for c in blank)
    claimed = services.code_claim(
        actor=system,
        code_id=blank[0].pk,
        title="Bank 1",
        routes=[{"action": "redirect", "params": {"url": "https://example.org/1"}}],
    )
    assert claimed.status == "active"
    with pytest.raises(Conflict):
        services.code_claim(
            actor=system,
            code_id=blank[0].pk,
            routes=[{"action": "redirect", "params": {"url": "https://example.org/2"}}],
        )


def test_batch_over_the_limit_writes_nothing(system: Actor) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.batch_create(actor=system, size=100_001)
    assert "size" in err.value.fields
    assert Batch.objects.count() == 0 and Code.objects.count() == 0


def test_batch_run_is_safe_to_repeat(system: Actor) -> None:
    batch = services.batch_create(actor=system, size=5)
    services.batch_run(batch_id=batch.pk)
    assert Code.objects.filter(batch=batch).count() == 5


def test_bulk_is_all_or_nothing(system: Actor, team: Any, bench_code: Code) -> None:
    blank = services.code_create(actor=system)
    with pytest.raises(Conflict):
        services.codes_bulk(actor=system, code_ids=[bench_code.pk, blank.pk], operation="activate")
    services.codes_bulk(actor=system, code_ids=[bench_code.pk], operation="pause")
    bench_code.refresh_from_db()
    assert bench_code.status == "paused"
    n = services.codes_bulk(
        actor=system,
        code_ids=[bench_code.pk, blank.pk],
        operation="retarget",
        url="https://example.org/x",
    )
    assert n == 2
    assert Route.objects.filter(code=blank).get().params == {"url": "https://example.org/x"}
    services.codes_bulk(
        actor=system, code_ids=[bench_code.pk, blank.pk], operation="tag", tag="Zomer"
    )
    assert selectors.codes_list(actor=system, tag="zomer").count() == 2


def test_preview_says_what_someone_would_get(system: Actor, bench_code: Code) -> None:
    import datetime as dt

    from buurtkit.qrcodes.routing import Audience

    answer = selectors.preview(
        actor=system,
        code_id=bench_code.pk,
        at=dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC),
        language="fr",
        device="phone",
        os_name="android",
        audience=Audience(signed_in=True, resident=True),
    )
    assert answer["route"] == 2 and "example.org/fr/banc" in answer["description"]
    staff = selectors.preview(
        actor=system,
        code_id=bench_code.pk,
        at=dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC),
        language="fr",
        device="phone",
        os_name="android",
        audience=Audience(signed_in=True, roles=frozenset({"staff"})),
    )
    assert staff["route"] == 1


def test_json_answer_for_internal_apps(client: Client, system: Actor, bench_code: Code) -> None:
    from buurtkit.people.services import apikey_create

    _key, raw = apikey_create(actor=system, name="intranet", roles=["staff"])
    response = client.get(
        f"/q/{bench_code.code}", HTTP_ACCEPT="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == bench_code.code
    assert body["answer"]["route"] == 1
    assert body["answer"]["url"] == "https://intranet.example.org/bank/12"
    anonymous = client.get(
        f"/q/{bench_code.code}", HTTP_ACCEPT="application/json", HTTP_AUTHORIZATION="Bearer nope"
    )
    assert anonymous.status_code == 401


def test_code_history_is_append_only_in_postgres(system: Actor, bench_code: Code) -> None:
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    event = CodeEvent.objects.filter(code=bench_code).first()
    assert event is not None
    for sql in (
        "UPDATE qrcodes_codeevent SET verb = 'x' WHERE id = %s",
        "DELETE FROM qrcodes_codeevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])


def test_list_shows_codes_in_use_before_blank_stickers(system: Actor, bench_code: Code) -> None:
    blank = services.code_create(actor=system, title="Sticker")
    paused = services.code_create(
        actor=system, routes=[{"action": "redirect", "params": {"url": "https://example.org/p"}}]
    )
    services.code_set_status(actor=system, code_id=paused.pk, status="paused")
    listed = list(selectors.codes_list(actor=system))
    assert listed == [bench_code, paused, blank]
