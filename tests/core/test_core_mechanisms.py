"""The shared mechanisms every module builds on: registry, idempotency, tasks by name, API base."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest
from ninja import Schema
from pydantic import ValidationError

from buurtkit.core.actor import Actor
from buurtkit.core.apitools import In, actor_of
from buurtkit.core.errors import Conflict, ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.models import Community
from buurtkit.core.registry import DuplicateRegistration, Registry
from buurtkit.core.tasks_util import enqueue_after_commit, resolve_task
from buurtkit.messaging.models import Message
from buurtkit.messaging.tasks import send_message


def test_a_registry_refuses_a_second_entry_under_the_same_key() -> None:
    reg: Registry[str, int] = Registry("numbers")
    reg.register("one", 1)
    with pytest.raises(DuplicateRegistration, match="numbers: 'one' is already registered"):
        reg.register("one", 2)
    assert reg["one"] == 1
    # The same value again (an AppConfig.ready() that runs twice) is fine; another is not.
    assert reg.register_once("one", 1) == 1
    with pytest.raises(DuplicateRegistration):
        reg.register_once("one", 3)


def test_a_registry_keeps_order_and_names_itself_when_a_key_is_missing() -> None:
    reg: Registry[str, str] = Registry("colours")
    for key in ("red", "green", "blue"):
        reg.register(key, key.upper())
    assert reg.keys() == ["red", "green", "blue"]
    assert reg.items()[1] == ("green", "GREEN")
    assert "red" in reg and "pink" not in reg and len(reg) == 3
    assert reg.get("pink") is None
    with pytest.raises(KeyError, match="colours: nothing is registered as 'pink'"):
        reg["pink"]


def test_a_registry_override_puts_the_old_state_back() -> None:
    reg: Registry[str, int] = Registry("numbers")
    reg.register("one", 1)
    with reg.override("one", 10), reg.override("two", 2):
        assert reg["one"] == 10 and reg["two"] == 2
    assert reg.items() == [("one", 1)]


def test_a_key_is_cleaned_and_checked() -> None:
    assert clean_key("  abc ") == "abc"
    assert clean_key("", required=False) == ""
    with pytest.raises(ValidationFailed) as empty:
        clean_key("  ", message="Give a key.")
    assert empty.value.fields == {"idempotency_key": "Give a key."}
    with pytest.raises(ValidationFailed):
        clean_key("x" * 101, required=False)
    assert clean_key("x" * 100) == "x" * 100


def test_a_fingerprint_depends_on_the_request_not_on_key_order() -> None:
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
    # The digest the ledger stored before this helper existed stays the same.
    import hashlib
    import json

    fields = {"debit": 1, "credit": 2, "amount": 500, "reverses": None}
    old = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
    assert fingerprint(fields) == old


def _message(community: Community, key: str, body: str) -> Message:
    from buurtkit.core import clock

    return Message.objects.create(
        community=community,
        channel="sms",
        to="+32470000000",
        body=body,
        idempotency_key=key,
        request_hash=fingerprint({"body": body}),
        created_at=clock.now(),
    )


@pytest.mark.django_db
def test_run_once_makes_the_row_once_and_replays_it(community: Community) -> None:
    rows = Message.objects.filter(community=community)
    calls: list[str] = []

    def create(body: str) -> Any:
        def make() -> Message:
            calls.append(body)
            return _message(community, "k1", body)

        return make

    first = run_once(
        queryset=rows,
        key="k1",
        same=same_fingerprint(fingerprint({"body": "hi"})),
        create=create("hi"),
        conflict="used",
    )
    again = run_once(
        queryset=rows,
        key="k1",
        same=same_fingerprint(fingerprint({"body": "hi"})),
        create=create("hi"),
        conflict="used",
    )
    assert again.pk == first.pk and getattr(again, "replayed", False)
    assert not getattr(first, "replayed", False)
    assert calls == ["hi"]
    with pytest.raises(Conflict) as refused:
        run_once(
            queryset=rows,
            key="k1",
            same=same_fingerprint(fingerprint({"body": "other"})),
            create=create("other"),
            conflict="This key was used for another message.",
        )
    assert refused.value.code == "idempotency_conflict"
    assert str(refused.value.detail) == "This key was used for another message."
    assert rows.count() == 1


@pytest.mark.django_db
def test_run_once_settles_a_race_by_the_unique_key(community: Community) -> None:
    """Another request inserts the row after our look-up: our insert hits the unique key, and
    we return the winner's row instead of an error."""
    winner = _message(community, "k2", "hi")
    rows = Message.objects.filter(community=community)
    lookups: list[int] = []

    class StaleFirstRead:
        """The look-up as a concurrent request sees it: the first read misses the row."""

        def filter(self, **lookup: Any) -> Any:
            lookups.append(1)
            return rows.none() if len(lookups) == 1 else rows.filter(**lookup)

    got = run_once(
        queryset=StaleFirstRead(),  # type: ignore[arg-type]
        key="k2",
        same=same_fingerprint(fingerprint({"body": "hi"})),
        create=lambda: _message(community, "k2", "hi"),
        conflict="used",
    )
    assert got.pk == winner.pk and getattr(got, "replayed", False)
    assert len(lookups) == 2
    assert rows.count() == 1  # the loser's savepoint rolled back; the database is usable


def test_a_task_is_found_by_its_dotted_path() -> None:
    assert resolve_task("buurtkit.messaging.tasks.send_message") is send_message
    assert resolve_task(send_message) is send_message
    with pytest.raises(ImportError):
        resolve_task("buurtkit.messaging.tasks.no_such_task")
    with pytest.raises(TypeError, match="not a background task"):
        resolve_task("buurtkit.core.clock.now")


@pytest.mark.django_db
def test_a_misspelt_task_fails_when_it_is_enqueued_not_later() -> None:
    with pytest.raises(ImportError):
        enqueue_after_commit("buurtkit.messaging.tasks.send_mesage", 1)


def test_in_refuses_unknown_fields() -> None:
    class Body(In):
        name: str

    assert Body(name="x").name == "x"
    with pytest.raises(ValidationError, match="extra"):
        Body(name="x", nmae="y")  # type: ignore[call-arg]
    assert issubclass(Body, Schema)


@pytest.mark.django_db
def test_actor_of_reads_the_api_auth_or_the_page_actor(community: Community) -> None:
    actor = Actor.system(community)
    api_request, page_request, bare = HttpRequest(), HttpRequest(), HttpRequest()
    api_request.auth = actor  # type: ignore[attr-defined]
    page_request.actor = actor  # type: ignore[attr-defined]
    assert actor_of(api_request) is actor
    assert actor_of(page_request) is actor
    with pytest.raises(TypeError):
        actor_of(bare)


def test_a_permission_code_cannot_be_registered_twice() -> None:
    from buurtkit.core import permissions

    with pytest.raises(DuplicateRegistration, match=r"ledger\.view"):
        permissions.register({"ledger.view": "again"}, {})
    with pytest.raises(ValueError, match="unknown module"):
        permissions.register({"nothing.new": "x"}, {}, module="nowhere")
    assert "nothing.new" not in permissions.PERMISSIONS


def test_no_app_keeps_its_own_copy_of_the_shared_helpers() -> None:
    """Pages and APIs use ``core.apitools`` (``In``, ``actor_of``), not local copies of them."""
    import re
    from pathlib import Path

    import buurtkit

    root = Path(buurtkit.__file__).parent
    allowed = {root / "core" / "apitools.py", root / "web" / "decorators.py"}
    copies = []
    for path in root.rglob("*.py"):
        if path in allowed or "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\brequest\.actor\b", r"^def _?actor(_of)?\(request", r"^class In\("):
            copies += [f"{path.relative_to(root)}: {pattern}"] * len(
                re.findall(pattern, text, flags=re.MULTILINE)
            )
    assert copies == []
