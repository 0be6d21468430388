"""The OpenAPI document declares the errors every operation can answer (issue 18, item 8)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import buurtkit
from buurtkit.conf.api import api

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


@pytest.mark.engine_independent
def test_every_operation_declares_its_errors() -> None:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    assert set(schema["components"]["schemas"]["ErrorOut"]["required"]) == {
        "error",
        "detail",
        "fields",
    }
    operations = [
        (method, path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 100
    for method, path, op in operations:
        wanted = {"401", "403", "404", "422"}
        if method != "get":
            wanted |= {"400", "409", "413"}
        declared = {str(status) for status in op["responses"]}
        assert wanted <= declared, (method, path, declared)
        for status in wanted:
            content = op["responses"][int(status)]["content"]["application/json"]
            error = content["schema"]
            if error == ERROR_REF:
                error = schema["components"]["schemas"]["ErrorOut"]
            assert set(error["required"]) == {"error", "detail", "fields"}, (method, path, status)
    verification = schema["paths"]["/api/v1/buurbel/participants/{participant_id}/verification"]
    assert 429 in verification["post"]["responses"]


@pytest.mark.engine_independent
def test_schema_names_are_unique() -> None:
    """Two schemas of one name share one entry of the document: one of them would lie."""
    names: dict[str, str] = {}
    for path in sorted(Path(buurtkit.__file__).parent.glob("*/api.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                assert node.name not in names, (node.name, names.get(node.name), str(path))
                names[node.name] = str(path)
