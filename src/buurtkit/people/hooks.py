"""Extension points for the GDPR rights: other apps add what they hold about a person.

An app that stores personal data about a :class:`~buurtkit.people.models.Person` registers
(in its ``AppConfig.ready``) an exporter, so the person's data export is complete, and an
anonymiser, which clears personal fields while keeping rows for statistics and money history.
Both run inside the export/anonymise service's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from buurtkit.core.registry import Registry
from buurtkit.people.models import Person

PersonExporter = Callable[[Person], Any]
PersonAnonymiser = Callable[[Person], None]

PERSON_EXPORTERS: Registry[str, PersonExporter] = Registry("person data exporters")
PERSON_ANONYMISERS: Registry[str, PersonAnonymiser] = Registry("person data anonymisers")


def register_person_data(name: str, *, export: PersonExporter, anonymise: PersonAnonymiser) -> None:
    PERSON_EXPORTERS.register(name, export)
    PERSON_ANONYMISERS.register(name, anonymise)
