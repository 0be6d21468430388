"""What telephony holds about a person: calls and SMS to or from their number.

Export: the calls to or from the person's number. Anonymise: the number goes from the call
(from/to), and every copy of it (or of the person's name) goes from the call's flow state,
error and its append-only events (the provider's webhook parameters and our TwiML answers).
Direction, status, times, duration and cost stay, so call statistics and costs do not change.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from buurtkit.core.anonymising import scrub_rows
from buurtkit.people.hooks import PersonTraces, declare_no_personal_data, register_person_data
from buurtkit.people.models import Person
from buurtkit.telephony.models import Call, CallEvent


def _calls(community_id: int, numbers: tuple[str, ...]) -> Any:
    return Call.objects.in_community(community_id).filter(
        Q(from_number__in=numbers) | Q(to_number__in=numbers)
    )


def export(person: Person) -> list[dict[str, Any]]:
    if not person.phone:
        return []
    return [
        {
            "direction": c.direction,
            "from": c.from_number,
            "to": c.to_number,
            "purpose": c.purpose,
            "status": c.status,
            "created_at": c.created_at.isoformat(),
            "duration_seconds": c.duration_seconds,
        }
        for c in _calls(person.community_id, (person.phone,)).order_by("created_at", "id")
    ]


def clear_calls(calls: Any, needles: tuple[str, ...]) -> None:
    """Remove ``needles`` from the calls and their events (used by modules whose calls name
    a person, e.g. Buurbel's introductions)."""
    ids = list(calls.values_list("pk", flat=True))
    if not ids:
        return
    scrub_rows(Call.objects.filter(pk__in=ids), ["flow_state", "error"], needles)
    scrub_rows(CallEvent.objects.filter(call_id__in=ids), ["params", "response"], needles)


def anonymise(traces: PersonTraces) -> None:
    if not traces.phones:
        return
    calls = _calls(traces.community_id, traces.phones)
    ids = list(calls.values_list("pk", flat=True))
    clear_calls(Call.objects.filter(pk__in=ids), traces.needles())
    Call.objects.filter(pk__in=ids, from_number__in=traces.phones).update(from_number="")
    Call.objects.filter(pk__in=ids, to_number__in=traces.phones).update(to_number="")
    # Events (SMS status callbacks…) that name the number without a call of theirs.
    mentions = Q()
    for form in traces.phone_forms():
        mentions |= Q(params__icontains=form)
    scrub_rows(
        CallEvent.objects.in_community(traces.community_id).filter(call_id__in=ids)
        | CallEvent.objects.in_community(traces.community_id).filter(mentions),
        ["params", "response"],
        traces.phone_forms(),
    )


def register() -> None:
    register_person_data(
        "telephony",
        models=("telephony.Call", "telephony.CallEvent"),
        export=export,
        anonymise=anonymise,
    )
    declare_no_personal_data(
        "telephony.PriceTable",
        "telephony.Price",
        "telephony.FlowVersion",
        "telephony.Recording",
        reason="prices, call flows and recorded prompts made by staff",
    )
