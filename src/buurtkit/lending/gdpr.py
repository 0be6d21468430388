"""What the device bank holds about a resident: the referrals filed for them, the hand-overs
they signed, their loans and the repairs of what they received.

Anonymising keeps every row (stock, hand-overs per month and per partner, loans, repairs and
"households online" stay countable) and clears what says who the person was: the name and
signature on the agreement and its PDF, free text that may name them, and the partner's own
client reference.
"""

from __future__ import annotations

from typing import Any

from buurtkit.core.anonymising import force_update, scrub_rows
from buurtkit.lending.models import HandOver, Loan, Referral, RepairTicket
from buurtkit.people.hooks import PersonTraces
from buurtkit.people.models import Person


def _handovers(person_id: int, community_id: int) -> Any:
    return HandOver.objects.in_community(community_id).filter(person_id=person_id)


def export(person: Person) -> Any:
    referrals = (
        Referral.objects.in_community(person.community_id)
        .filter(person=person)
        .select_related("organisation", "pickup_place")
    )
    handovers = (
        _handovers(person.pk, person.community_id)
        .select_related("agreement_text")
        .prefetch_related("items__device")
    )
    loans = Loan.objects.in_community(person.community_id).filter(handover__person=person)
    repairs = RepairTicket.objects.in_community(person.community_id).filter(handover__person=person)
    return {
        "referrals": [
            {
                "filed_at": r.filed_at.isoformat(),
                "referred_by": r.organisation.name,
                "client_ref": r.client_ref,
                "household_size": r.household_size,
                "kind": r.kind,
                "purpose": r.purpose,
                "eligibility": r.eligibility,
                "eligibility_note": r.eligibility_note,
                "wished": r.wished,
                "state": r.state,
                "refusal_reason": r.refusal_reason,
                "pickup_place": r.pickup_place.name if r.pickup_place else None,
                "pickup_at": r.pickup_at.isoformat() if r.pickup_at else None,
            }
            for r in referrals
        ],
        "handovers": [
            {
                "handed_at": h.handed_at.isoformat(),
                "kind": h.kind,
                "devices": [item.device.label for item in h.items.all()],
                "price_cents": h.price_cents,
                "receipt_number": h.receipt_number,
                "connectivity": h.connectivity,
                "identity_document": h.identity_document,
                "agreement_text": f"{h.agreement_text.kind} {h.language} "
                f"v{h.agreement_text.version}",
                "signed_agreement_sha256": h.pdf_sha256,
            }
            for h in handovers
        ],
        "loans": [
            {
                "device": loan.device.label,
                "due_on": loan.due_on.isoformat(),
                "extensions": loan.extensions,
                "state": loan.state,
                "returned_at": loan.returned_at.isoformat() if loan.returned_at else None,
            }
            for loan in loans.select_related("device")
        ],
        "repairs": [
            {
                "device": t.device.label,
                "opened_at": t.opened_at.isoformat(),
                "problem": t.problem,
                "state": t.state,
            }
            for t in repairs.select_related("device")
        ],
    }


def anonymise(traces: PersonTraces) -> None:
    referrals = Referral.objects.in_community(traces.community_id).filter(
        person_id=traces.person_id
    )
    referrals.update(client_ref="", eligibility_note="")
    scrub_rows(referrals, ("purpose", "refusal_reason"), traces.needles())
    handovers = _handovers(traces.person_id, traces.community_id)
    force_update(
        handovers,
        recipient_label="",
        signature_png=b"",
        agreement_pdf=b"",
        pdf_sha256="",
        connectivity_note="",
    )
    loans = Loan.objects.in_community(traces.community_id).filter(
        handover__person_id=traces.person_id
    )
    scrub_rows(loans, ("return_note",), traces.needles())
    repairs = RepairTicket.objects.in_community(traces.community_id).filter(
        handover__person_id=traces.person_id
    )
    scrub_rows(repairs, ("problem", "outcome_note"), traces.needles())
