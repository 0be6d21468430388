"""Issue 17 item 17: dates and amounts follow each language's conventions; English dates no
longer end in "a.m." (a sentence ending with one read "8:13 a.m..")."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

pytestmark = pytest.mark.engine_independent  # formatting only, no database

AT = dt.datetime(2026, 12, 7, 8, 13, tzinfo=ZoneInfo("Europe/Brussels"))
SENTENCE = Template('{% load i18n %}Checked on {{ at|date:"SHORT_DATETIME_FORMAT" }}.')


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Checked on 07/12/2026 08:13."), ("nl", "Checked on 7-12-2026 08:13.")],
)
def test_a_sentence_ending_in_a_date_has_one_full_stop(language: str, expected: str) -> None:
    with translation.override(language):
        text = SENTENCE.render(Context({"at": AT}))
    assert text == expected
    assert ".." not in text and "a.m" not in text


def test_english_dates_are_day_first_in_words_too() -> None:
    with translation.override("en"):
        text = Template('{{ at|date:"DATE_FORMAT" }} {{ at|time }}').render(Context({"at": AT}))
    assert text == "7 December 2026 08:13"


@pytest.mark.parametrize(
    ("language", "cents", "expected"),
    [
        ("nl", 123456, "€ 1.234,56"),
        ("en", 123456, "€ 1,234.56"),
        ("fr", 123456, "€ 1\xa0234,56"),
        ("nl", -250, "€ -2,50"),
        ("nl", 5, "€ 0,05"),
    ],
)
def test_euro_amounts_per_language(language: str, cents: int, expected: str) -> None:
    with translation.override(language):
        text = Template("{% load buurtkit %}{{ cents|euro }}").render(Context({"cents": cents}))
    assert text == expected
