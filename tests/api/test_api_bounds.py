"""Numbers out of range: every integer an operation reads is bounded (issue 18, item 5).

For every route of the OpenAPI document, each integer parameter (path and query) and each
integer field of its request body in turn gets a number no database column holds (beyond 64
bits, both signs) and one just beyond 32 bits (an ``integer`` column on PostgreSQL); the rest
of the request is the one that succeeds for a coordinator (``apispec.ENDPOINTS``). The answer
is a 422 in the API's error shape for the first kind, and never a 5xx. It runs on both
engines: what overflows differs between SQLite and PostgreSQL.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

from apispec import PREFIX, Rows, World, assert_error, endpoint_for
from django.http import HttpResponse
from django.test import Client

from buurtkit.conf.api import api as ninja_api

#: No column of either engine holds these: the schema must refuse them (422).
OUT_OF_RANGE = (2**63, -(2**63) - 1)
#: Beyond an ``integer`` column on PostgreSQL but a valid 64-bit number: never a 5xx.
BEYOND_INT32 = (2**31,)


@functools.cache
def _schema() -> dict[str, Any]:
    return ninja_api.get_openapi_schema(path_prefix=PREFIX)


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        return _resolve(schema, schema["components"]["schemas"][ref.rsplit("/", 1)[1]])
    return node


def _is_int(schema: dict[str, Any], node: dict[str, Any]) -> bool:
    node = _resolve(schema, node)
    if node.get("type") == "integer":
        return True
    return any(_is_int(schema, n) for n in node.get("anyOf", []) + node.get("oneOf", []))


def integer_inputs(method: str, path: str) -> Iterator[tuple[str, str]]:
    """(where, name) of every integer the operation reads: "path", "query" or "body"."""
    schema = _schema()
    operation = schema["paths"][path][method.lower()]
    for param in operation.get("parameters", []):
        if _is_int(schema, param.get("schema", {})):
            yield param["in"], param["name"]
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema")
    if body:
        for name, prop in _resolve(schema, body).get("properties", {}).items():
            if _is_int(schema, prop):
                yield "body", name


def _send(
    client: Client, route: tuple[str, str], rows: Rows, where: str, name: str, value: int
) -> HttpResponse:
    method, template = route
    spec = endpoint_for(route)
    values = rows.path_values()
    query = ""
    if where == "path":
        values[name] = value
    elif where == "query":
        query = f"?{name}={value}"
    url = template.format(**values) + query
    headers = spec.headers(rows) if spec.headers else {}
    if method == "GET":
        return client.get(url, headers=headers)
    body = spec.body(rows) if spec.body else {}
    if where == "body":
        body = {**body, name: value}
    return client.generic(
        method, url, json.dumps(body), content_type="application/json", headers=headers
    )


def test_every_list_and_id_is_bounded() -> None:
    """The walk below has something to walk: paging and ids are integers in the document."""
    inputs = {
        (route, where, name)
        for route in [("GET", f"{PREFIX}/people"), ("GET", f"{PREFIX}/people/{{person_id}}")]
        for where, name in integer_inputs(*route)
    }
    assert (("GET", f"{PREFIX}/people"), "query", "offset") in inputs
    assert (("GET", f"{PREFIX}/people/{{person_id}}"), "path", "person_id") in inputs


def test_huge_offset_is_a_422(api: Callable[..., Client], rows_a: Rows) -> None:
    client = api(rows_a.community, ["coordinator"])
    for path in ("people", "ledger/accounts", "qr/codes", "buurbel/participants"):
        response = client.get(f"{PREFIX}/{path}?offset=9999999999999999999")
        body = assert_error(response, 422, "validation_error")
        assert "offset" in body["fields"], body


def test_numbers_out_of_range(
    route: tuple[str, str], api: Callable[..., Client], world: World
) -> None:
    inputs = list(integer_inputs(*route))
    if not inputs:
        return
    client = api(world.rows_a.community, ["coordinator"])
    for where, name in inputs:
        for value in OUT_OF_RANGE:
            response = _send(client, route, world.rows_a, where, name, value)
            body = assert_error(response, 422, "validation_error")
            assert body["fields"], (where, name, value, body)
        for value in BEYOND_INT32:
            response = _send(client, route, world.rows_a, where, name, value)
            assert response.status_code < 500, (where, name, value, response.content[:300])


def test_patch_with_nulls_leaves_fields_alone(api: Callable[..., Client], rows_a: Rows) -> None:
    """Found by the schema fuzzer: null in a PATCH of a person or organisation was a 500."""
    client = api(rows_a.community, ["coordinator"])
    person = client.patch(
        f"{PREFIX}/people/{rows_a.person.pk}",
        {"postcode": None, "phone": None, "first_name": "Mira"},
        content_type="application/json",
    )
    assert person.status_code == 200, person.content
    assert person.json()["postcode"] == rows_a.person.postcode
    organisation = client.patch(
        f"{PREFIX}/organisations/{rows_a.organisation.pk}",
        {"slug": None, "active": None, "name": "Bib"},
        content_type="application/json",
    )
    assert organisation.status_code == 200, organisation.content
    assert organisation.json()["slug"] == rows_a.organisation.slug
