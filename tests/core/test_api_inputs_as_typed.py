"""Request bodies take values as the OpenAPI document types them (issue 18, item 8).

pydantic's lax mode reads ``0`` as false, ``false`` and ``"5"`` as numbers and ``0`` as
1970-01-01: a request the document calls invalid would be carried out (schemathesis' "schema-
violating request accepted"). ``core.apitools.In`` refuses them; the fuzz test
(tests/api/test_openapi_truth.py) checks every operation, these check the rule itself.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from buurtkit.core.apitools import ClockTime, Day, Email, In, Language, one_of


class Sample(In):
    flag: bool = False
    count: int = 0
    ratio: float = 0.0
    weight: int | float = 1
    day: date | None = None
    opens: ClockTime | None = None
    ids: list[int] = []
    consents: dict[str, bool] = {}
    nested: list[Nested] = []
    email: Email = ""
    language: Language = "nl"
    colour: one_of({"red", "green"}) = "red"  # type: ignore[valid-type]


class Nested(In):
    done: bool = True
    size: int | None = Field(None, ge=0)


Sample.model_rebuild()


@pytest.mark.engine_independent
@pytest.mark.parametrize(
    "body",
    [
        {"flag": 0},
        {"flag": "true"},
        {"count": False},
        {"count": "5"},
        {"count": 2.5},
        {"ratio": True},
        {"ratio": "0.5"},
        {"weight": False},
        {"day": 0},
        {"day": "0"},
        {"day": "20260301"},
        {"opens": 0},
        {"opens": "09:00:00Z"},
        {"opens": "9"},
        {"ids": [1, "2"]},
        {"consents": {"sms": 1}},
        {"nested": [{"done": 0}]},
        {"nested": [{"size": True}]},
        {"email": "__main__"},
        {"language": "de"},
        {"colour": "blue"},
    ],
    ids=repr,
)
def test_a_value_of_another_type_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Sample.model_validate(body)


@pytest.mark.engine_independent
def test_values_of_the_documented_type_are_taken() -> None:
    sample = Sample.model_validate(
        {
            "flag": True,
            "count": 3.0,  # an integer in JSON's sense
            "ratio": 1,
            "weight": 0.5,
            "day": "2026-03-01",
            "opens": "09:30",
            "ids": [1, 2],
            "consents": {"sms": False},
            "nested": [{"done": False, "size": None}],
            "email": "an@example.be",
            "language": "fr",
            "colour": "green",
        }
    )
    assert (sample.flag, sample.count, sample.day, sample.opens) == (
        True,
        3,
        date(2026, 3, 1),
        time(9, 30),
    )


@pytest.mark.engine_independent
def test_a_query_day_is_written_in_full() -> None:
    class Query(BaseModel):
        to: Day | None = None

    assert Query.model_validate({"to": "2026-03-01"}).to == date(2026, 3, 1)
    for wrong in ("0", "1700000000", "2026-3-1"):
        with pytest.raises(ValidationError):
            Query.model_validate({"to": wrong})


@pytest.mark.engine_independent
def test_the_document_says_what_is_taken() -> None:
    schema = Sample.model_json_schema()["properties"]
    assert schema["opens"]["anyOf"][0]["pattern"].startswith("^")
    assert "format" not in schema["opens"]["anyOf"][0]  # JSON Schema's "time" wants an offset
    assert schema["colour"]["enum"] == ["green", "red"]
    assert schema["language"]["enum"] == ["nl", "en", "fr"]
