"""Extension points for the GDPR rights: every app declares what it holds about a person.

An app whose models hold personal data registers it (in its ``AppConfig.ready``) with
:func:`register_person_data`: the models it covers, an exporter (its section of the
person's data export) and an anonymiser (which clears the personal fields and every copy of
the person's name, phone number, e-mail or login name, keeping rows for statistics and
money history). Models that hold no personal data are declared with
:func:`declare_no_personal_data`, with the reason.

``tests/test_privacy_registry.py`` walks every installed model: a model with a link to
:class:`~buurtkit.people.models.Person`, or with a field whose name suggests personal data
(name, phone, e-mail, address, free text…), must be covered by one of the two, and a model
linked to a person must be in an export. A new module cannot forget its part.

Exporters and anonymisers run inside the export/anonymise service's transaction, in the
order of registration; anonymisers run inside :func:`buurtkit.core.anonymising.unlocked`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from buurtkit.core.registry import Registry
from buurtkit.people.models import Person


@dataclass(frozen=True)
class PersonTraces:
    """What identified the person before anonymising: the needles to clear from copies.

    Built from the person's record before its own fields are cleared, so an anonymiser
    that runs afterwards can still find where the name or number was copied.
    """

    person: Person
    person_id: int
    community_id: int
    first_name: str
    last_name: str
    phones: tuple[str, ...]  # E.164 first
    emails: tuple[str, ...]
    usernames: tuple[str, ...]
    #: What a login name is replaced with in labels (the anonymised login's new name).
    label: str
    extra: tuple[str, ...] = field(default=())

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def phone_forms(self) -> tuple[str, ...]:
        """Every written form of each number (+32470123456, +32 470 12 34 56, 0470 12 34 56,
        0470123456, 470123456, 32470123456)."""
        forms: list[str] = []
        for e164 in self.phones:
            forms.append(e164)
            try:
                number = phonenumbers.parse(e164, None)
            except phonenumbers.NumberParseException:
                continue
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            forms += [
                phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
                national,
                "".join(ch for ch in national if ch.isdigit()),
                str(number.national_number),
                e164.lstrip("+"),
            ]
        return tuple(dict.fromkeys(f for f in forms if f))

    def needles(self) -> tuple[str, ...]:
        """Everything to clear from a row that is about this person (first name alone too)."""
        names = (self.full_name, self.first_name, self.last_name)
        return tuple(
            n
            for n in (*names, *self.phone_forms(), *self.emails, *self.usernames, *self.extra)
            if n
        )

    def identifiers(self) -> tuple[str, ...]:
        """What identifies the person unambiguously (for rows that may be about others too):
        the full name, the numbers, the e-mail addresses, the login names."""
        full = (self.full_name,) if self.first_name and self.last_name else ()
        return tuple(n for n in (*full, *self.phone_forms(), *self.emails, *self.usernames) if n)


PersonExporter = Callable[[Person], Any]
PersonAnonymiser = Callable[[PersonTraces], None]


@dataclass(frozen=True)
class PersonData:
    """One module's personal data: which models, how to export them, how to clear them."""

    name: str
    #: Model labels (``"ledger.Account"``) whose rows about the person this entry exports
    #: and clears.
    models: tuple[str, ...]
    export: PersonExporter | None
    anonymise: PersonAnonymiser


PERSON_DATA: Registry[str, PersonData] = Registry("person data")
#: Model label -> why it holds no personal data (or where its copies are cleared).
NO_PERSONAL_DATA: Registry[str, str] = Registry("models without personal data")


def register_person_data(
    name: str,
    *,
    models: tuple[str, ...],
    export: PersonExporter | None,
    anonymise: PersonAnonymiser,
) -> PersonData:
    """Declare the personal data a module holds (``export=None``: nothing to hand back,
    e.g. copies in logs that the export already shows elsewhere)."""
    return PERSON_DATA.register_once(
        name, PersonData(name=name, models=tuple(models), export=export, anonymise=anonymise)
    )


def declare_no_personal_data(*model_labels: str, reason: str) -> None:
    """Declare models that hold nothing about a person, so the registry check passes."""
    for label in model_labels:
        NO_PERSONAL_DATA.register_once(label, reason)


#: Sends an e-mail invitation's link: ``(actor, invitation, token)``. ``messaging`` registers
#: the one that queues an e-mail (people may not import messaging: it is the layer above).
InvitationMailer = Callable[[Any, Any, str], None]
INVITATION_MAILERS: Registry[str, InvitationMailer] = Registry("invitation mailers")


def register_invitation_mailer(name: str, send: InvitationMailer) -> None:
    INVITATION_MAILERS.register_once(name, send)
