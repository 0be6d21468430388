"""Every model declares its personal data (issue 18, items 1 and 2).

The checks walk every installed model (``django.apps``), so a new module is covered without
a new test: a model that links to a Person, or has a field whose name suggests personal data,
must be registered with ``people.hooks.register_person_data`` (export + anonymise) or declared
with ``declare_no_personal_data`` (with the reason); a model that links to a Person must be
in the GDPR export. The failure lists what is missing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.db import models

from buurtkit.people.gdpr import BUILT_IN_EXPORT
from buurtkit.people.hooks import NO_PERSONAL_DATA, PERSON_DATA, register_person_data
from buurtkit.people.models import Person

pytestmark = pytest.mark.engine_independent  # reads the model registry, no database

PERSONAL_FIELD = re.compile(
    r"(name|phone|number|email|e_mail|address|street|contact|label|description|note|body|"
    r"^to$|^from|data|params|payload|response|answer|repr|message|text|recorded_by|created_by)"
)


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def _links_to_person(model: type[models.Model]) -> bool:
    return any(
        f.is_relation and f.many_to_one | f.one_to_one and f.related_model is Person
        for f in model._meta.get_fields()
        if f.concrete
    )


def _personal_looking_fields(model: type[models.Model]) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
        and PERSONAL_FIELD.search(f.name)
    ]


def _registered() -> dict[str, str]:
    covered = {label: entry.name for entry in PERSON_DATA.values() for label in entry.models}
    return covered


def missing_declarations() -> list[str]:
    covered = _registered()
    missing = []
    for model in apps.get_models():
        label = _label(model)
        if label in covered or label in NO_PERSONAL_DATA:
            continue
        fields = _personal_looking_fields(model)
        if _links_to_person(model) or fields:
            why = "links to Person" if _links_to_person(model) else f"fields {fields}"
            missing.append(f"{label} ({why})")
    return missing


def missing_exports() -> list[str]:
    exported = {
        label
        for entry in PERSON_DATA.values()
        if entry.export is not None
        for label in entry.models
    } | set(BUILT_IN_EXPORT)
    return [
        _label(model)
        for model in apps.get_models()
        if _links_to_person(model) and _label(model) not in exported
    ]


def test_every_model_declares_its_personal_data() -> None:
    assert missing_declarations() == []


def test_every_model_linked_to_a_person_is_in_the_gdpr_export() -> None:
    assert missing_exports() == []


def test_a_declaration_names_real_models_only() -> None:
    known = {_label(m) for m in apps.get_models()}
    assert set(_registered()) - known == set()
    assert set(NO_PERSONAL_DATA) - known == set()


def test_an_undeclared_model_is_named(monkeypatch: Any) -> None:
    """The checks really fail: take one module's registration away and they name its models."""
    saved = dict(PERSON_DATA._entries)
    try:
        del PERSON_DATA._entries["ledger"]
        missing = missing_declarations()
        assert "ledger.Account (links to Person)" in missing
        assert "ledger.Transfer (fields ['description', 'actor_label'])" in missing
        assert "ledger.PaymentPin (links to Person)" in missing
        assert "ledger.Account" in missing_exports()
        # A registration without an exporter does not count as exported.
        register_person_data(
            "ledger",
            models=saved["ledger"].models,
            export=None,
            anonymise=saved["ledger"].anonymise,
        )
        assert missing_declarations() == []
        assert "ledger.Account" in missing_exports()
    finally:
        PERSON_DATA._entries = saved
