"""Inserting many copies of one row fast (a batch's blank codes)."""

from __future__ import annotations

from typing import Any


def _insert_copies(cursor: Any, row: Any, varying: str, values: list[Any]) -> None:
    """Insert one copy of ``row`` per value of its field ``varying`` (a batch's blank codes).

    ``bulk_create`` spends most of its time preparing every field of every row; here each field
    is prepared once, the way Django saves it (``pre_save``, ``get_db_prep_save``). PostgreSQL
    gets one statement per chunk (the values as one array, ``unnest``); other databases get
    ``executemany``, which is as fast there.
    """
    model = type(row)
    connection = cursor.db
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    prepared = [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
    names = [f.name for f in fields]
    at = names.index(varying)
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({})".format(
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    if connection.vendor == "postgresql":
        selected = [
            "v" if i == at else f"%s::{f.cast_db_type(connection)}" for i, f in enumerate(fields)
        ]
        params = [p for i, p in enumerate(prepared) if i != at]
        column_type = fields[at].cast_db_type(connection)
        cursor.execute(
            f"{head} SELECT {', '.join(selected)} FROM unnest(%s::{column_type}[]) AS v",  # noqa: S608
            [*params, [fields[at].get_db_prep_save(v, connection) for v in values]],
        )
        return
    rows = []
    for value in values:
        copy = list(prepared)
        copy[at] = fields[at].get_db_prep_save(value, connection)
        rows.append(copy)
    cursor.executemany(f"{head} VALUES ({', '.join(['%s'] * len(fields))})", rows)
