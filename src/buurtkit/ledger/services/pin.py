"""Paying with one phone: the resident's payment PIN, checked on every own payment, and what
staff do at the counter when a phone is lost (reset the PIN, end every session).

A wrong PIN is counted in its own transaction, so the count survives the refusal that follows.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import PermissionDenied, ValidationFailed
from buurtkit.core.scoping import get_scoped
from buurtkit.ledger.models import Account, PaymentPin
from buurtkit.people.models import Person

PIN_MAX_TRIES = 5


_TRIVIAL_PINS = frozenset(
    {"1212", "1122", "2580", "0852", "1004", "2000", "6969", "121212", "112233", "123123", "696969"}
)


def _pin_error(message: str, *, code: str = "validation_error") -> ValidationFailed:
    return ValidationFailed(message, fields={"pin": message}, code=code)


def _check_pin_rules(pin: str) -> str:
    pin = (pin or "").strip()
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 6):
        raise _pin_error(_("Choose a PIN of 4 to 6 digits."))
    digits = [int(ch) for ch in pin]
    steps = {digits[i + 1] - digits[i] for i in range(len(digits) - 1)}
    if len(set(digits)) == 1 or steps in ({1}, {-1}) or pin in _TRIVIAL_PINS:
        raise _pin_error(_("This PIN is too easy to guess. Choose another one."))
    return pin


def _require_identity_check(identity_checked: bool) -> None:
    if not identity_checked:
        msg = _("Check the person's identity first (identity card), then tick the box.")
        raise ValidationFailed(msg, fields={"identity_checked": msg})


def _staff_for_person(actor: Actor) -> bool:
    return actor.has("ledger.pay_on_behalf") or actor.has("ledger.manage")


def pin_status(*, actor: Actor, person_id: int) -> str:
    """``"none"``, ``"set"`` or ``"locked"``: for the pages, never the PIN itself."""
    if person_id not in (actor.person_id, actor.on_behalf_of_id) and not _staff_for_person(actor):
        raise PermissionDenied(_("You may not see this."))
    pin = PaymentPin.objects.in_community(actor.community).filter(person_id=person_id).first()
    if pin is None:
        return "none"
    return "locked" if pin.locked_at else "set"


@transaction.atomic
def pin_set(
    *,
    actor: Actor,
    person_id: int,
    pin: str,
    current_pin: str | None = None,
    identity_checked: bool = False,
) -> None:
    """Set a resident's payment PIN (4 to 6 digits, not trivial).

    The resident sets their own; to change an existing one they give the current one (a stolen
    phone with an open session cannot change it). Staff with ``ledger.pay_on_behalf`` or
    ``ledger.manage`` set it at the counter, after checking the person's identity.
    """
    person = get_scoped(Person, actor.community, pk=person_id)
    own = person.pk == actor.person_id and actor.on_behalf_of_id is None
    if not own:
        if not _staff_for_person(actor):
            raise PermissionDenied(_("You may only set your own PIN."))
        _require_identity_check(identity_checked)
    pin = _check_pin_rules(pin)
    existing = (
        PaymentPin.objects.in_community(actor.community)
        .select_for_update()
        .filter(person=person)
        .first()
    )
    if own and existing is not None:
        if existing.locked_at:
            raise _pin_error(
                _("Your PIN is locked after too many wrong tries. Ask at the counter."),
                code="pin_locked",
            )
        if not check_password(current_pin or "", existing.pin_hash):
            msg = _("Your current PIN is not right.")
            raise ValidationFailed(msg, fields={"current_pin": msg}, code="pin_wrong")
    PaymentPin.objects.update_or_create(
        community=actor.community,
        person=person,
        defaults={
            "pin_hash": make_password(pin),
            "failed_attempts": 0,
            "locked_at": None,
            "set_at": clock.now(),
        },
    )
    audit_record(
        actor=actor,
        verb="ledger.pin_set",
        obj=person,
        data={"by": "self" if own else "staff", "identity_checked": bool(identity_checked)},
    )


@transaction.atomic
def pin_reset_by_staff(
    *, actor: Actor, person_id: int, identity_checked: bool, new_pin: str = ""
) -> None:
    """At the counter, after an identity check: clear the lock and the wrong tries.

    With ``new_pin`` (typed by the resident) that becomes the PIN; without, the old PIN is
    removed and the resident chooses a new one after signing in again.
    """
    if not _staff_for_person(actor):
        raise PermissionDenied(_("Only staff at the counter can reset a PIN."))
    person = get_scoped(Person, actor.community, pk=person_id)
    _require_identity_check(identity_checked)
    if new_pin:
        pin_set(actor=actor, person_id=person.pk, pin=new_pin, identity_checked=True)
    else:
        PaymentPin.objects.in_community(actor.community).filter(person=person).delete()
    audit_record(
        actor=actor,
        verb="ledger.pin_reset",
        obj=person,
        data={"new_pin": bool(new_pin), "identity_checked": True},
    )


def pin_verify(actor: Actor, person_id: int, pin: str) -> None:
    """Check the PIN (for a payment, a withdrawal, a payment request); a wrong try is counted and committed even though the payment is refused."""
    error: ValidationFailed | None = None
    # Its own transaction: the count of wrong tries must survive the refusal that follows.
    with transaction.atomic():
        row = (
            PaymentPin.objects.in_community(actor.community)
            .select_for_update()
            .filter(person_id=person_id)
            .first()
        )
        if row is None:
            error = _pin_error(
                _("There is no payment PIN yet. Choose one first."), code="pin_not_set"
            )
        elif row.locked_at is not None:
            error = _pin_error(
                _("Your PIN is locked after too many wrong tries. Ask at the counter."),
                code="pin_locked",
            )
        elif not check_password(str(pin or "").strip(), row.pin_hash):
            row.failed_attempts += 1
            left = PIN_MAX_TRIES - row.failed_attempts
            if left <= 0:
                row.locked_at = clock.now()
                error = _pin_error(
                    _("Wrong PIN. Your PIN is now locked. Ask at the counter."),
                    code="pin_locked",
                )
            else:
                error = _pin_error(
                    ngettext(
                        "Wrong PIN. You can try %(n)d more time.",
                        "Wrong PIN. You can try %(n)d more times.",
                        left,
                    )
                    % {"n": left},
                    code="pin_wrong",
                )
            row.save(update_fields=["failed_attempts", "locked_at"])
            audit_record(
                actor=actor,
                verb="ledger.pin_locked" if row.locked_at else "ledger.pin_wrong",
                obj=row.person,
                data={"failed_attempts": row.failed_attempts},
            )
        elif row.failed_attempts:
            row.failed_attempts = 0
            row.save(update_fields=["failed_attempts"])
    if error is not None:
        raise error


def paying_person(actor: Actor, debit_account_id: int) -> Account:
    """The resident's account a PIN (or a clerk acting for them) pays from; checked first."""
    account = get_scoped(Account, actor.community, pk=debit_account_id)
    if account.person_id is None:
        raise ValidationFailed(_("Only residents' accounts are paid from with a PIN."))
    if account.person_id != (actor.on_behalf_of_id or actor.person_id):
        # Checked before the PIN: nobody can lock someone else's PIN by guessing.
        raise PermissionDenied(_("You may not move money from this account."))
    return account


@transaction.atomic
def sessions_end_everywhere(*, actor: Actor, person_id: int) -> int:
    """A lost phone: sign the person's login out on every device. Returns how many sessions ended.

    The login model is Django's own ``User``, whose session hash depends only on the password;
    rotating it would mean changing the password and locking the resident out as well. So the
    sessions themselves are deleted, in the session store every web process shares (the
    database, see settings). A request still running on the lost phone cannot bring its
    session back: saving a deleted database session raises ``SessionInterrupted``.
    """
    if not _staff_for_person(actor) and actor.person_id != person_id:
        raise PermissionDenied(_("Only staff at the counter can do this."))
    person = get_scoped(Person, actor.community, pk=person_id)
    ended = 0
    if person.user_id is not None:
        user = get_user_model().objects.get(pk=person.user_id)
        if user.is_superuser or user.is_staff:
            raise PermissionDenied(
                _("This login can only be signed out by a platform administrator.")
            )
        store = import_module(settings.SESSION_ENGINE).SessionStore
        model = store.get_model_class()  # database-backed stores only (settings pin "db")
        wanted = str(user.pk)
        for session in model.objects.filter(expire_date__gt=clock.now()).iterator():
            if session.get_decoded().get("_auth_user_id") == wanted:
                store(session_key=session.session_key).delete()
                ended += 1
    audit_record(actor=actor, verb="ledger.sessions_ended", obj=person, data={"sessions": ended})
    return ended


@transaction.atomic
def lost_phone(*, actor: Actor, person_id: int, identity_checked: bool) -> int:
    """At the counter, after an identity check: sign out everywhere and reset the PIN, together.

    Returns how many sessions were ended.
    """
    pin_reset_by_staff(actor=actor, person_id=person_id, identity_checked=identity_checked)
    return sessions_end_everywhere(actor=actor, person_id=person_id)
