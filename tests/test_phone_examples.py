"""Issue 17 item 16: every example number buurtkit shows in a phone-number message or hint
is itself accepted, in every language (the old landline example "+32 9 123 45 67" was not)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from buurtkit.core.errors import ValidationFailed
from buurtkit.people.phones import normalise_phone
from buurtkit.web.forms import PersonForm

# A run of digits, spaces, dots, slashes and a leading + with at least 8 digits.
EXAMPLE = re.compile(r"\+?\d[\d ./]{6,}\d")

pytestmark = pytest.mark.engine_independent  # text and phonenumbers only, no database


def _examples(text: str) -> list[str]:
    found = [m.group(0) for m in EXAMPLE.finditer(text)]
    return [f for f in found if sum(c.isdigit() for c in f) >= 8]


@pytest.mark.parametrize("language", ["nl", "en", "fr"])
def test_every_example_in_the_phone_messages_is_valid(language: str) -> None:
    with translation.override(language):
        with pytest.raises(ValidationFailed) as refused:
            normalise_phone("123")
        texts = [str(refused.value.detail), str(PersonForm.base_fields["phone"].help_text)]
    examples = [e for text in texts for e in _examples(text)]
    assert len(examples) >= 3, texts  # a mobile and a landline in the error, one in the hint
    kinds = set()
    for example in examples:
        _e164, kind = normalise_phone(example)  # raises if an example is refused
        kinds.add(kind)
    assert kinds == {"mobile", "landline"}
