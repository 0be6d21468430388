"""Repairs: a ticket for a device that needs repair, from the moment it is reported until it
is fixed, replaced or found beyond repair.

    open → in_repair → fixed
      │        ├─────→ replaced (the household gets another device)
      └────────┴─────→ beyond_repair

"Fixed" needs a repair first; a swap at the counter ("replaced") or a device that is clearly
lost ("beyond repair") may be closed straight from "open". The device's own history moves
with the ticket through the stock service: "in repair" when the repair starts; back to the
household ("handed over") or to the shelf ("checked") when fixed; "written off" otherwise.

Who opens a ticket: staff (``lending.repair``), at a counter on behalf of the resident, or a
referrer (``lending.refer``) for a device handed over to a household their organisation
referred. The hand-over of a replacement device is the counter's (``handover_create``): the
ticket records which device replaces the broken one.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, PermissionDenied, ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.scoping import get_scoped
from buurtkit.lending import rules
from buurtkit.lending.models import (
    Device,
    DeviceState,
    HandOver,
    Loan,
    LoanState,
    OpenedVia,
    Repairer,
    RepairState,
    RepairTicket,
)
from buurtkit.lending.services.stock import device_record_event

OPEN_STATES = (RepairState.OPEN, RepairState.IN_REPAIR)
OUTCOMES = (RepairState.FIXED, RepairState.REPLACED, RepairState.BEYOND_REPAIR)
#: The device states a ticket can be opened in: those "in repair" may follow, or already there.
REPAIRABLE = frozenset(
    {state for state, following in rules.NEXT.items() if rules.IN_REPAIR in following}
    | {rules.IN_REPAIR}
)
PROBLEM_MAX = 500


def latest_handover(device: Device) -> HandOver | None:
    """The hand-over that brought ``device`` to the household that has it now."""
    if device.state != DeviceState.HANDED_OVER:
        return None
    return (
        HandOver.objects.in_community(device.community_id)
        .filter(items__device=device)
        .select_related("referral")
        .order_by("-handed_at", "-pk")
        .first()
    )


def referring_organisation(handover: HandOver | None) -> int | None:
    if handover is None:
        return None
    if handover.organisation_id:
        return handover.organisation_id
    return handover.referral.organisation_id if handover.referral_id else None  # type: ignore[union-attr]


def may_see_all_repairs(actor: Actor) -> bool:
    """Staff follow every repair; a referrer only those of the households they referred."""
    return actor.has("lending.repair")


def require_referrer(actor: Actor) -> frozenset[int]:
    """The organisations a referrer acts for; refused without the right or an organisation."""
    if not actor.has("lending.refer") or not actor.organisation_ids:
        actor.require("lending.repair")  # raises: names the right that is missing
    return actor.organisation_ids


def _refuse_not_theirs() -> PermissionDenied:
    refused = PermissionDenied(
        _(
            "You can report only a device that was handed over to a household your "
            "organisation referred."
        ),
        code="permission_denied",
    )
    refused.permission = "lending.repair"
    return refused


def _clean(problem: str, repairer: str, repairer_name: str) -> dict[str, str]:
    problem = problem.strip()
    if not problem:
        msg = _("Say what is wrong with the device.")
        raise ValidationFailed(msg, fields={"problem": msg})
    if len(problem) > PROBLEM_MAX:
        msg = _("At most %(n)d characters.") % {"n": PROBLEM_MAX}
        raise ValidationFailed(msg, fields={"problem": msg})
    if repairer not in Repairer.values:
        msg = _("Choose who repairs the device.")
        raise ValidationFailed(msg, fields={"repairer": msg})
    repairer_name = repairer_name.strip()
    if len(repairer_name) > 150:
        msg = _("At most %(n)d characters.") % {"n": 150}
        raise ValidationFailed(msg, fields={"repairer_name": msg})
    if repairer == Repairer.PARTNER and not repairer_name:
        msg = _("Name the partner who repairs the device.")
        raise ValidationFailed(msg, fields={"repairer_name": msg})
    return {"problem": problem, "repairer": repairer, "repairer_name": repairer_name}


@transaction.atomic
def repair_open(
    *,
    actor: Actor,
    device_id: int,
    problem: str,
    repairer: str = Repairer.AFTER_SALES,
    repairer_name: str = "",
    idempotency_key: str | None = None,
) -> RepairTicket:
    """Open a repair ticket for a device: one open ticket per device.

    Staff may open one for any device in the digibank's care or with a household; a referrer
    only for a device handed over to a household their organisation referred. A retry with
    the same ``idempotency_key`` answers the first ticket.
    """
    staff = may_see_all_repairs(actor)
    referrer_orgs = frozenset() if staff else require_referrer(actor)
    cleaned = _clean(problem, repairer, repairer_name)
    key = clean_key(idempotency_key, required=False)
    request_hash = fingerprint({"device": device_id, **cleaned})
    device = get_scoped(Device, actor.community, for_update=True, pk=device_id)
    handover = latest_handover(device)
    organisation_id = referring_organisation(handover)
    if not staff and organisation_id not in referrer_orgs:
        raise _refuse_not_theirs()

    def create() -> RepairTicket:
        if device.state not in REPAIRABLE:
            msg = _("A device that is %(state)s cannot go in for repair.") % {
                "state": DeviceState(device.state).label
            }
            raise Conflict(msg, fields={"device_id": msg})
        if RepairTicket.objects.filter(device=device, state__in=OPEN_STATES).exists():
            raise _already_open()
        if actor.on_behalf_of_id:
            via = OpenedVia.COUNTER
        elif staff:
            via = OpenedVia.STAFF
        else:
            via = OpenedVia.REFERRER
        try:
            with transaction.atomic():
                ticket = RepairTicket.objects.create(
                    community=actor.community,
                    device=device,
                    handover=handover,
                    organisation_id=organisation_id,
                    opened_via=via,
                    opened_by_label=actor.label[:150],
                    opened_at=clock.now(),
                    idempotency_key=key,
                    request_hash=request_hash,
                    **cleaned,
                )
        except IntegrityError as exc:  # another ticket was opened for it just now
            if (
                key
                and RepairTicket.objects.filter(
                    community=actor.community, idempotency_key=key
                ).exists()
            ):
                raise
            raise _already_open() from exc
        audit_record(
            actor=actor,
            verb="lending.repair_opened",
            obj=ticket,
            data={"device": device.label, "repairer": ticket.repairer, "via": via},
        )
        return ticket

    if not key:
        return create()
    return run_once(
        queryset=RepairTicket.objects.in_community(actor.community),
        key=key,
        same=same_fingerprint(request_hash),
        create=create,
        conflict=_("This idempotency key was used for another repair ticket."),
    )


def _already_open() -> Conflict:
    msg = _("This device already has an open repair ticket.")
    return Conflict(msg, code="repair_open", fields={"device_id": msg})


def _ticket(actor: Actor, ticket_id: int) -> RepairTicket:
    actor.require("lending.manage")
    return get_scoped(RepairTicket, actor.community, for_update=True, pk=ticket_id)


@transaction.atomic
def repair_start(
    *,
    actor: Actor,
    ticket_id: int,
    repairer: str | None = None,
    repairer_name: str | None = None,
) -> RepairTicket:
    """The repair starts: the device goes "in repair" (who repairs it may be said again)."""
    ticket = _ticket(actor, ticket_id)
    if ticket.state != RepairState.OPEN:
        msg = _("Only an open ticket can start; this one is %(state)s.") % {
            "state": RepairState(ticket.state).label
        }
        raise Conflict(msg, fields={"state": msg})
    cleaned = _clean(
        ticket.problem,
        repairer if repairer is not None else ticket.repairer,
        repairer_name if repairer_name is not None else ticket.repairer_name,
    )
    device = Device.objects.get(pk=ticket.device_id)
    if device.state != rules.IN_REPAIR:
        device_record_event(
            actor=actor,
            device_id=device.pk,
            kind=rules.IN_REPAIR,
            note=_("Repair ticket %(n)d") % {"n": ticket.pk},
        )
    ticket.state = RepairState.IN_REPAIR
    ticket.repairer, ticket.repairer_name = cleaned["repairer"], cleaned["repairer_name"]
    ticket.save(update_fields=["state", "repairer", "repairer_name"])
    audit_record(
        actor=actor,
        verb="lending.repair_started",
        obj=ticket,
        data={"repairer": ticket.repairer},
    )
    return ticket


def _replacement(actor: Actor, ticket: RepairTicket, device_id: int | None) -> Device:
    if ticket.handover_id is None:
        msg = _(
            "Only a device that a household had can be replaced. Close this one as beyond repair."
        )
        raise Conflict(msg, fields={"outcome": msg})
    if not device_id:
        msg = _("Choose the device that replaces it.")
        raise ValidationFailed(msg, fields={"replacement_device_id": msg})
    replacement = get_scoped(Device, actor.community, for_update=True, pk=device_id)
    if replacement.pk == ticket.device_id:
        msg = _("A device cannot replace itself.")
        raise ValidationFailed(msg, fields={"replacement_device_id": msg})
    if replacement.state != DeviceState.AVAILABLE:
        msg = _("The replacement must be available; %(label)s is %(state)s.") % {
            "label": replacement.label,
            "state": DeviceState(replacement.state).label,
        }
        raise Conflict(msg, fields={"replacement_device_id": msg})
    return replacement


@transaction.atomic
def repair_close(
    *,
    actor: Actor,
    ticket_id: int,
    outcome: str,
    note: str = "",
    replacement_device_id: int | None = None,
) -> RepairTicket:
    """Close a ticket: fixed (the device goes back where it was), replaced (another device
    goes to the household; the broken one is written off) or beyond repair (written off).

    A loan still open on a device that is written off ends here: the device came back.
    """
    ticket = _ticket(actor, ticket_id)
    if outcome not in OUTCOMES:
        msg = _("Choose how the repair ended.")
        raise ValidationFailed(msg, fields={"outcome": msg})
    if ticket.state not in OPEN_STATES:
        msg = _("This ticket is closed already: %(state)s.") % {
            "state": RepairState(ticket.state).label
        }
        raise Conflict(msg, fields={"state": msg})
    if outcome == RepairState.FIXED and ticket.state != RepairState.IN_REPAIR:
        msg = _("Start the repair before you close the ticket as fixed.")
        raise Conflict(msg, fields={"outcome": msg})
    note = note.strip()
    if len(note) > 300:
        msg = _("At most %(n)d characters.") % {"n": 300}
        raise ValidationFailed(msg, fields={"note": msg})
    replacement = None
    if outcome == RepairState.REPLACED:
        replacement = _replacement(actor, ticket, replacement_device_id)
    elif replacement_device_id:
        msg = _("Only a replaced device has a replacement.")
        raise ValidationFailed(msg, fields={"replacement_device_id": msg})
    said = _("Repair ticket %(n)d") % {"n": ticket.pk}
    state = Device.objects.values_list("state", flat=True).get(pk=ticket.device_id)
    if outcome == RepairState.FIXED:
        # Back to the household it belongs to, or checked again for the shelf. A device that
        # moved on meanwhile (returned by the household while in repair) keeps its state.
        back = rules.HANDED_OVER if ticket.handover_id else rules.CHECKED
        if state == rules.IN_REPAIR:
            device_record_event(actor=actor, device_id=ticket.device_id, kind=back, note=said)
    else:
        if state != rules.WRITTEN_OFF:
            device_record_event(
                actor=actor, device_id=ticket.device_id, kind=rules.WRITTEN_OFF, note=said
            )
        _end_open_loan(actor, ticket, said)
    now = clock.now()
    ticket.state, ticket.closed_at, ticket.outcome_note = outcome, now, note
    ticket.replacement = replacement
    ticket.save(update_fields=["state", "closed_at", "outcome_note", "replacement"])
    data: dict[str, Any] = {"outcome": outcome}
    if replacement is not None:
        data["replacement"] = replacement.label
    audit_record(actor=actor, verb="lending.repair_closed", obj=ticket, data=data)
    return ticket


def _end_open_loan(actor: Actor, ticket: RepairTicket, said: str) -> None:
    loans = Loan.objects.in_community(actor.community).filter(
        Q(device_id=ticket.device_id), state=LoanState.OPEN
    )
    for loan in loans.select_for_update():
        loan.state = LoanState.RETURNED
        loan.returned_at = clock.now()
        loan.returned_damaged = True
        loan.return_note = said
        loan.save(update_fields=["state", "returned_at", "returned_damaged", "return_note"])
        audit_record(actor=actor, verb="lending.loan_ended_by_repair", obj=loan)
