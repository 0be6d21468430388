"""Shared fixtures: two communities, logins per role, API keys. No network, real databases."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.core.modules import MODULES
from buurtkit.core.services import community_create
from buurtkit.people import services as people_services
from buurtkit.people.models import Person
from tests.demo_data import demo_template  # noqa: F401  (a fixture: the demo, loaded once per run)

# Hypothesis's per-example deadline (200 ms) measures the machine, not the code: on a busy
# two-core CI machine a cheap example can take longer. The checks themselves are unchanged.
hypothesis.settings.register_profile("buurtkit", deadline=None)
hypothesis.settings.load_profile("buurtkit")

PASSWORD = "a-long-test-password"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``engine_independent`` run on SQLite only.

    They test what is decided in Python (which role may call which route), not what the
    database does; the same routes run on both engines in other tests (tests/api isolation).
    Running them once keeps CI within its budget; each such marker says why in a comment.
    Anything about PostgreSQL itself (concurrency, the fast path, triggers, isolation through
    SQL) is never marked.
    """
    from django.db import connection

    if connection.vendor == "sqlite":
        return
    kept, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("engine_independent") else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


# --- One migrated PostgreSQL template per run, copied for each xdist worker -------------------
# A full migrate costs ~40 s of CPU (Django renders the model states of 50 migrations). With
# two xdist workers each migrating its own test database, that was paid twice per PostgreSQL
# run. Now the first worker migrates ``<test db>_template`` (in a new process: exactly the
# ``migrate --run-syncdb`` Django's test runner does) and every worker's test database is a
# ``CREATE DATABASE … TEMPLATE`` copy of it: the same schema, functions, triggers and migrated
# rows. Django then finds the database there (``keepdb``) and only checks that nothing is left
# to migrate. The benchmarks' smoke runs copy the same template (tests/test_bench_smoke.py).
# Only with xdist on PostgreSQL without --reuse-db/--create-db; otherwise nothing changes.
# The template of this run, once it is built (an environment variable: pytest imports this file
# as ``conftest``, and a test module importing ``tests.conftest`` gets another copy of it).
PG_TEMPLATE_ENV = "BUURTKIT_TEST_PG_TEMPLATE"


def _pg_admin(sql: str) -> None:
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        cursor.execute(sql)


def _pg_drop(name: str) -> None:
    """Drop a database, ending any session still connected to it (PostgreSQL 13+)."""
    from django.db import connection

    force = " WITH (FORCE)" if connection.pg_version >= 130000 else ""
    _pg_admin(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}{force}")


@pytest.fixture(scope="session")
def django_db_keepdb(
    request: pytest.FixtureRequest,
    django_db_modify_db_settings: None,
    django_db_blocker: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[bool]:
    import fcntl
    import os
    import subprocess
    import sys
    from urllib.parse import urlsplit

    from django.db import connection, connections

    reuse = bool(request.config.getvalue("reuse_db"))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if (
        reuse
        or request.config.getvalue("create_db")
        or request.config.getvalue("nomigrations")
        or not worker
        or connection.vendor != "postgresql"
    ):
        yield reuse
        return
    quote = connection.ops.quote_name
    test_name = connection.creation._get_test_db_name()
    template = test_name.removesuffix(f"_{worker}") + "_template"
    shared = tmp_path_factory.getbasetemp().parent  # one directory per run, for all workers
    with django_db_blocker.unblock(), (shared / "pg-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = shared / "pg-template.built"
        if not built.exists():
            _pg_drop(template)
            _pg_admin(f"CREATE DATABASE {quote(template)}")
            url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{template}").geturl()
            subprocess.run(
                [sys.executable, "-m", "buurtkit.conf.cli", "migrate", "--run-syncdb", "-v", "0"],
                env={**os.environ, "DATABASE_URL": url},
                check=True,
            )
            built.write_text(template)
        _pg_drop(test_name)
        _pg_admin(f"CREATE DATABASE {quote(test_name)} TEMPLATE {quote(template)}")
    os.environ[PG_TEMPLATE_ENV] = template
    yield True  # found there by Django's test runner, dropped below
    with django_db_blocker.unblock():
        connections.close_all()
        try:
            _pg_drop(test_name)
        except Exception as exc:  # as pytest-django does when it cannot drop a test database
            request.node.warn(pytest.PytestWarning(f"Could not drop {test_name}: {exc!r}"))


# Modules whose every test is ``engine_independent`` and whose collection alone is costly are
# not even collected on the other engines: schemathesis builds a hypothesis test per API
# operation while collecting tests/api/test_openapi_truth.py (~25% of collecting the suite,
# in every xdist worker), only for all of them to be deselected above.
SQLITE_ONLY_MODULES = {"tests/api/test_openapi_truth.py"}


def pytest_ignore_collect(collection_path: Any, config: pytest.Config) -> bool | None:
    from django.db import connection

    if collection_path.suffix != ".py" or not collection_path.is_relative_to(config.rootpath):
        return None
    relative = collection_path.relative_to(config.rootpath).as_posix()
    if relative in SQLITE_ONLY_MODULES and connection.vendor != "sqlite":
        return True
    return None


_seq = itertools.count(1)


@pytest.fixture
def community(db: Any) -> Community:
    return community_create(name="Rabot", slug="rabot", enabled_modules=list(MODULES))


@pytest.fixture
def other_community(db: Any) -> Community:
    return community_create(
        name="Heuvelwijk", slug="heuvelwijk", default_language="fr", enabled_modules=list(MODULES)
    )


@pytest.fixture
def system(community: Community) -> Actor:
    return Actor.system(community, label="test")


@pytest.fixture
def other_system(other_community: Community) -> Actor:
    return Actor.system(other_community, label="test")


@pytest.fixture
def make_person(db: Any) -> Callable[..., Person]:
    def make(actor: Actor, **values: Any) -> Person:
        n = next(_seq)
        values.setdefault("first_name", f"Resident{n}")
        values.setdefault("last_name", "Peeters")
        return people_services.person_create(actor=actor, **values)

    return make


@pytest.fixture
def make_login(db: Any) -> Callable[..., Any]:
    """A login with ``role`` in ``community`` (``resident`` makes a Person with a login)."""

    def make(community: Community, role: str, username: str | None = None) -> Any:
        username = username or f"{role}-{community.slug}-{next(_seq)}"
        system = Actor.system(community, label="test")
        if role == "resident":
            person = people_services.person_create(
                actor=system, first_name="Resi", last_name=username
            )
            return people_services.person_give_login(
                actor=system, person_id=person.pk, username=username, password=PASSWORD
            )
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        people_services.membership_grant(actor=system, username=username, roles=[role])
        return user

    return make


@pytest.fixture
def login_client(make_login: Callable[..., Any]) -> Callable[..., Client]:
    def make(community: Community, role: str) -> Client:
        user = make_login(community, role)
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_key(db: Any) -> Callable[..., str]:
    def make(community: Community, roles: list[str]) -> str:
        _key, raw = people_services.apikey_create(
            actor=Actor.system(community, label="test"), name="test key", roles=roles
        )
        return raw

    return make


@pytest.fixture
def api(api_key: Callable[..., str]) -> Callable[..., Client]:
    """A test client that sends a bearer key with every request."""

    def make(community: Community, roles: list[str]) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {api_key(community, roles)}")

    return make


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis (CI always has one); a newcomer's machine without Redis skips."""
    import os

    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI but {url} does not answer")
        pytest.skip(f"Redis is not running at {url}")
    return url
