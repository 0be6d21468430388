"""``apispec.snapshot`` is one query and sees every write to a community's rows.

The API matrix asserts "nothing written" and "a permitted write wrote something" by comparing
two snapshots; these tests prove the snapshot good enough for that: every scoped table, every
row of the community, every column (but a key's ``last_used_at``), and a write to any table
changes it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from apispec import (
    SNAPSHOT_IGNORED_COLUMNS,
    World,
    snapshot,
    snapshot_models,
)
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import Model

from buurtkit.audit.services import audit_record
from buurtkit.core.actor import Actor
from buurtkit.people.models import Membership, Person

TOKEN = re.compile(r"(\w+)=(NULL|(\d+):)")


def _columns(model: type[Model]) -> list[str]:
    return [
        f.column
        for f in model._meta.concrete_fields
        if (model._meta.label, f.column) not in SNAPSHOT_IGNORED_COLUMNS
    ]


def _parse(text: str) -> list[tuple[str, str | None]]:
    """``name=<length>:<value> ...`` back into (name, value) pairs."""
    out: list[tuple[str, str | None]] = []
    pos = 0
    while pos < len(text):
        match = TOKEN.match(text, pos)
        assert match, text[pos:]
        if match.group(2) == "NULL":
            out.append((match.group(1), None))
            pos = match.end()
        else:
            length = int(match.group(3))
            out.append((match.group(1), text[match.end() : match.end() + length]))
            pos = match.end() + length
        if pos < len(text):
            assert text[pos] == " ", text
            pos += 1
    return out


def _scoped_ids(model: type[Model], community_id: int) -> list[Any]:
    return list(
        model._default_manager.filter(community_id=community_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def test_the_snapshot_is_one_query(world: World, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        snapshot(world.rows_a.community)


def test_the_snapshot_holds_every_row_and_column_of_the_community(world: World) -> None:
    community = world.rows_a.community
    data = snapshot(community)
    labels = {m._meta.label for m in snapshot_models()} | {"users"}
    assert set(data) <= labels
    for model in snapshot_models():
        texts = data.get(model._meta.label, [])
        ids = _scoped_ids(model, community.pk)
        assert len(texts) == len(ids), model._meta.label
        for text, pk in zip(texts, ids, strict=True):
            pairs = _parse(text)
            assert [name for name, _ in pairs] == _columns(model), model._meta.label
            assert dict(pairs)[model._meta.pk.column] == str(pk)
    user_ids = set(
        Membership.objects.filter(community=community).values_list("user_id", flat=True)
    ) | set(
        Person.objects.filter(community=community, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    User = get_user_model()
    assert sorted(int(dict(_parse(t))["id"] or 0) for t in data["users"]) == sorted(user_ids)
    assert all([n for n, _ in _parse(t)] == _columns(User) for t in data["users"])
    # B's rows are not A's.
    other = snapshot(world.rows_b.community)
    assert not set(map(str, data.get("people.Person", []))) & set(other.get("people.Person", []))


def _insert_one(model: type[Model], community: Any) -> Model:
    """A new row of ``model`` in ``community`` with plain values in its required fields (and
    a row of each table it must point at, found in the community or made the same way)."""
    from datetime import UTC, date, datetime, time

    values: dict[str, Any] = {}
    used: dict[Any, int] = {}  # two keys to one table point at two rows (a pair of people)
    for field in model._meta.concrete_fields:
        if field.primary_key or field.null or field.has_default():
            continue
        if field.name == "community":
            values["community"] = community
        elif field.is_relation:
            related = field.related_model
            scoped = related in snapshot_models()
            queryset = related._default_manager.all()
            queryset = (queryset.filter(community=community) if scoped else queryset).order_by("pk")
            nth = used[related] = used.get(related, -1) + 1
            found = queryset[nth : nth + 1].first()
            values[field.name] = found or _insert_one(related, community)
        else:
            kind = field.get_internal_type()
            if kind in {"DateTimeField"}:
                values[field.name] = datetime(2030, 1, 1, tzinfo=UTC)
            elif kind == "DateField":
                values[field.name] = date(2030, 1, 1)
            elif kind == "TimeField":
                values[field.name] = time(9, 0)
            elif kind == "JSONField":
                values[field.name] = {}
            elif kind == "BooleanField":
                values[field.name] = False
            elif field.name == "seq":  # a device's step number: one no world row has
                values[field.name] = 9999
            elif "Integer" in kind or kind in {"FloatField", "DecimalField"}:
                values[field.name] = 1
            elif field.choices:
                values[field.name] = field.choices[0][0]
            else:
                values[field.name] = "x"
    return model._default_manager.bulk_create([model(**values)])[0]


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


@pytest.mark.parametrize(
    "label", [*sorted(m._meta.label for m in snapshot_models()), "users"], ids=str
)
def test_a_write_to_any_scoped_table_changes_the_snapshot(world: World, label: str) -> None:
    """For each table: remove one of A's rows, or move one of B's rows into A, or (a table the
    world has no row of) add one; the snapshot of A changes."""
    community_a, community_b = world.rows_a.community, world.rows_b.community
    before = snapshot(community_a)
    if label == "users":
        user = Membership.objects.filter(community=community_a).first().user
        user.first_name = user.first_name + "x"
        user.save(update_fields=["first_name"])
        assert snapshot(community_a) != before
        return
    model = next(m for m in snapshot_models() if m._meta.label == label)
    table, pk = _qn(model._meta.db_table), _qn(model._meta.pk.column)
    community_column = _qn(model._meta.get_field("community").column)
    ids_a, ids_b = _scoped_ids(model, community_a.pk), _scoped_ids(model, community_b.pk)
    with transaction.atomic(), connection.cursor() as cursor:
        if label == "audit.AuditEvent":
            # Append-only (a trigger on PostgreSQL): its only write is a new event.
            audit_record(actor=Actor.system(community_a, label="test"), verb="test.written")
        elif ids_a:
            # Foreign keys are checked at commit; this savepoint is rolled back before.
            try:
                with transaction.atomic():
                    cursor.execute(f"DELETE FROM {table} WHERE {pk} = %s", [ids_a[0]])
            except DatabaseError:
                # Append-only on PostgreSQL (a trigger refuses): its only write is a new row.
                _insert_one(model, community_a)
        elif ids_b:
            cursor.execute(
                f"UPDATE {table} SET {community_column} = %s WHERE {pk} = %s",
                [community_a.pk, ids_b[0]],
            )
        else:
            _insert_one(model, community_a)
        changed = snapshot(community_a)
        transaction.set_rollback(True)
    assert changed != before, label


@pytest.mark.parametrize(
    ("label", "column", "value"),
    [
        ("people.Person", "first_name", "Mirb"),  # text
        ("people.Person", "birth_year", 1950),  # NULL that gets a value
        ("people.ApiKey", "roles", '["auditor"]'),  # JSON
        ("people.ApiKey", "revoked_at", "2030-01-01 00:00:00+00:00"),  # a time
        ("ledger.Account", "balance", 7),  # integer
        ("ledger.Account", "frozen", True),  # boolean
        ("qrcodes.Code", "version", 99),  # integer
    ],
)
def test_a_changed_column_value_changes_the_snapshot(
    world: World, api: Any, label: str, column: str, value: Any
) -> None:
    community = world.rows_a.community
    api(community, ["staff"])  # so there is a key
    model = next(m for m in snapshot_models() if m._meta.label == label)
    before = snapshot(community)
    field = next(f for f in model._meta.concrete_fields if f.column == column)
    row = model._default_manager.filter(community=community).order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_qn(model._meta.db_table)} SET {_qn(column)} = %s WHERE id = %s",
            [value, row.pk],
        )
    assert snapshot(community) != before, (label, field.name)
