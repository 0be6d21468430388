"""The public list, its embed and feeds (no personal data beyond first name and neighbourhood,
cached, filtered), the pages of a resident and of staff, and the demo."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils.translation import override

from buurtkit.core.models import Community
from buurtkit.helpexchange import services
from buurtkit.helpexchange.models import Deal, Post

from .world import World, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(community: Community) -> World:
    world = make_world(community)
    world.anna.phone, world.anna.email = "+32470111222", "anna@example.org"
    world.anna.save()
    return world


def _post(w: World, **extra: object) -> Post:
    values = {
        "kind": "request",
        "category": "moving",
        "title": "Kast dragen <script>alert(1)</script>",
        "text": "Op zaterdag",
        "neighbourhood": "Rabot",
    }
    values.update(extra)
    return services.post_create(actor=w.staff(), person_id=w.anna.pk, **values)  # type: ignore[arg-type]


def test_embed_and_feeds_carry_no_personal_data(w: World) -> None:
    post = _post(w, reward=20, reward_account_id=w.issuer.pk)
    client = Client()
    urls = [
        "/rabot/helpexchange/",
        "/rabot/helpexchange/embed/",
        "/rabot/helpexchange/feed.json",
        "/rabot/helpexchange/feed.rss",
        f"/rabot/helpexchange/posts/{post.pk}/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "Anna" in body and "Kast dragen" in body, url
        for secret in ("Claes", "470111222", "anna@example.org", "<script>"):
            assert secret not in body, (url, secret)
    feed = json.loads(client.get("/rabot/helpexchange/feed.json").content)
    item = feed["posts"][0]
    assert set(item) == {
        "id", "kind", "category", "neighbourhood", "title", "text", "when_on", "when_note",
        "duration_minutes", "reward", "first_name", "posted_at", "respond_url",
    }  # fmt: skip
    assert item["respond_url"].endswith(f"/rabot/helpexchange/posts/{post.pk}/")
    embed = client.get("/rabot/helpexchange/embed/")
    assert "frame-ancestors" in embed["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed


def test_filters_and_the_cache_follows_changes(w: World) -> None:
    moving = _post(w)
    garden = _post(w, category="garden", title="Haag snoeien", neighbourhood="Brugse Poort")
    client = Client()
    only_garden = json.loads(client.get("/rabot/helpexchange/feed.json?category=garden").content)
    assert [p["id"] for p in only_garden["posts"]] == [garden.pk]
    _post(w, title="Nog een", neighbourhood="Brugse Poort")
    from buurtkit.helpexchange.selectors import public_neighbourhoods

    assert public_neighbourhoods(community=w.community) == ["Brugse Poort", "Rabot"]  # once each
    by_place = json.loads(client.get("/rabot/helpexchange/feed.json?neighbourhood=Rabot").content)
    assert [p["id"] for p in by_place["posts"]] == [moving.pk]
    first = client.get("/rabot/helpexchange/embed/").content
    assert b"Haag snoeien" in first
    services.post_cancel(actor=w.staff(), post_id=garden.pk)  # the cache is stale now
    after = client.get("/rabot/helpexchange/embed/").content
    assert b"Haag snoeien" not in after and b"Kast dragen" in after
    start = time.perf_counter()
    for _ in range(20):
        client.get("/rabot/helpexchange/embed/")
    assert (time.perf_counter() - start) / 20 < 0.5  # served from the cache (generous bound)


@pytest.mark.engine_independent  # the cache and the template: the same on both engines
def test_the_public_list_is_rendered_once_per_change_and_the_header_per_visitor(
    w: World, community: Community, login_client: Callable[..., Client]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _post(w)
    anonymous = Client()
    assert b"Kast dragen" in anonymous.get("/rabot/helpexchange/?category=moving").content
    with CaptureQueriesContext(connection) as read:
        again = anonymous.get("/rabot/helpexchange/?category=moving")
    assert b"Kast dragen" in again.content
    # From the cache: the community, and no post, setting or neighbourhood read.
    assert not [q for q in read.captured_queries if "helpexchange_" in q["sql"]], read
    # The page around the cached list is the visitor's own: staff see their menu.
    staff = login_client(community, "staff")
    page = staff.get("/rabot/helpexchange/?category=moving", HTTP_ACCEPT_LANGUAGE="en")
    assert b"Kast dragen" in page.content and b"Sign out" in page.content
    in_english = anonymous.get("/rabot/helpexchange/?category=moving", HTTP_ACCEPT_LANGUAGE="en")
    assert b"Kast dragen" in in_english.content and b"Sign out" not in in_english.content
    # A change of a post (or of the counter's number) shows on the next request.
    garden = _post(w, category="moving", title="Zetel dragen")
    assert b"Zetel dragen" in anonymous.get("/rabot/helpexchange/?category=moving").content
    services.post_cancel(actor=w.staff(), post_id=garden.pk)
    assert b"Zetel dragen" not in anonymous.get("/rabot/helpexchange/?category=moving").content
    services.settings_set(
        actor=w.staff(), open_days=30, retention_days=365, counter_phone="09 266 99 99"
    )
    assert b"09 266 99 99" in anonymous.get("/rabot/helpexchange/embed/").content
    assert b"09 266 99 99" in anonymous.get("/rabot/helpexchange/?category=moving").content


@pytest.mark.engine_independent  # middleware: nothing about the engine
def test_the_embed_and_feeds_skip_the_session_and_the_login(
    w: World, community: Community, login_client: Callable[..., Client]
) -> None:
    _post(w)
    staff = login_client(community, "staff")
    for url in (
        "/rabot/helpexchange/embed/",
        "/rabot/helpexchange/feed.json",
        "/rabot/helpexchange/feed.rss",
    ):
        answer = staff.get(url)
        assert answer.status_code == 200 and b"Kast dragen" in answer.content, url
        # No session loaded, no login looked up, whoever asks: the same cached answer.
        assert not hasattr(answer.wsgi_request, "session"), url
        assert not hasattr(answer.wsgi_request, "user"), url
        assert "Cookie" not in answer.get("Vary", ""), url
    # The list page is not sessionless (it shows who is signed in), nor is a POST.
    assert hasattr(staff.get("/rabot/helpexchange/").wsgi_request, "user")
    assert staff.get("/rabot/helpexchange/embed/nope").status_code == 404


def test_respond_link_leads_to_sign_in_or_the_counter(w: World) -> None:
    services.settings_set(
        actor=w.staff(), open_days=30, retention_days=365, counter_phone="09 266 12 34"
    )
    post = _post(w)
    with override("en"):
        body = Client().get(f"/rabot/helpexchange/posts/{post.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = body.content.decode()
    assert "/accounts/login/?next=" in text and "tel:092661234" in text


def test_resident_pages_post_answer_accept_confirm(
    w: World, community: Community, login_client: Callable[..., Client], make_login: Callable
) -> None:
    from buurtkit.people.models import Person

    poster_login = make_login(community, "resident")
    helper_login = make_login(community, "resident")
    poster = Client()
    poster.force_login(poster_login)
    helper = Client()
    helper.force_login(helper_login)
    response = poster.post(
        "/rabot/helpexchange/new/",
        {"kind": "request", "category": "errands", "title": "", "key": "k1"},
    )
    assert response.status_code == 200  # the form again, what was typed kept
    response = poster.post(
        "/rabot/helpexchange/new/",
        {"kind": "request", "category": "errands", "title": "Boodschappen", "key": "k1"},
    )
    assert response.status_code == 302
    poster.post(
        "/rabot/helpexchange/new/",
        {"kind": "request", "category": "errands", "title": "Boodschappen", "key": "k1"},
    )
    post = Post.objects.get(title="Boodschappen")  # a double submit made one post
    helper.post(f"/rabot/helpexchange/posts/{post.pk}/respond/", {"message": "ik kom"})
    answer = post.responses.get()
    poster.post(f"/rabot/helpexchange/responses/{answer.pk}/accept/")
    deal = Deal.objects.get(post=post)
    poster.post(f"/rabot/helpexchange/deals/{deal.pk}/confirm/")
    helper.post(f"/rabot/helpexchange/deals/{deal.pk}/confirm/")
    deal.refresh_from_db()
    assert deal.state == "done"
    with override("en"):
        page = poster.get("/rabot/helpexchange/mine/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Boodschappen" in page
    assert Person.objects.filter(user=helper_login).exists()
    staff = login_client(community, "staff")
    for url in (
        "/rabot/helpexchange/staff/",
        f"/rabot/helpexchange/staff/posts/{post.pk}/",
        "/rabot/helpexchange/overview/",
        "/rabot/helpexchange/moderation/",
    ):
        assert staff.get(url).status_code == 200, url
    assert helper.get("/rabot/helpexchange/staff/").status_code == 403


def test_the_demo_has_forty_posts_with_rewards_and_counter_posts(community: Community) -> None:
    from buurtkit.helpexchange import demo
    from buurtkit.helpexchange.selectors import held_mismatch
    from buurtkit.ledger import demo as ledger_demo
    from buurtkit.ledger.models import Currency
    from buurtkit.ledger.selectors import invariant_violations
    from buurtkit.people import demo as people_demo

    people_demo.load(community)
    ledger_demo.load(community)
    demo.load(community)
    posts = Post.objects.filter(community=community)
    assert posts.count() >= 38
    assert len(set(posts.values_list("category", flat=True))) >= 8
    assert Deal.objects.filter(state="done", reward__gt=0).exists()
    assert posts.filter(state="open").count() >= 8
    assert posts.filter(on_behalf=True, person__has_smartphone=False).exists()
    assert invariant_violations(currency=Currency.objects.get(community=community)) == []
    assert held_mismatch(community=community) == []
