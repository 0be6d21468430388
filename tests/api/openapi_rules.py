"""What a schema-valid request may still be refused for: the rules no JSON schema can state.

Used by ``tests/api/test_openapi_truth.py`` and, as a schemathesis hooks module, by
``scripts/api_fuzz.sh`` (``SCHEMATHESIS_HOOKS=tests.api.openapi_rules``). schemathesis'
``positive_data_acceptance`` check fails on any 4xx other than 401/403/404/409/429 for a request
the document calls valid; :func:`schema_valid_requests_are_accepted` is that check, except that a
422 naming only fields listed for its operation in :data:`RULES` passes. Anything that a schema
*can* say (a pattern, an enum, a minimum length, a required header) belongs in the schema, not
here.
"""

from __future__ import annotations

import json
from fnmatch import fnmatch
from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

PREFIX = "/api/v1"

_AMOUNT = "no more decimals than the community's currency has, at most 10^15 minor units"
_PHONE = "a phone number that exists (phonenumbers), not only digits"
_DATES = "the end on or after the start, at most a year (366 days) apart"
_UNIQUE = "not taken by another row of the community"
_SAID = "a text or a recording in at least one language"
_RECORDING = "a recording of this community, in the language it is given for"
_VANITY = "not a code's own name, not taken by another code"
_LINK = "a kind of platform object the product knows (a registry), with its id"
_LATLON = "both latitude and longitude, or neither"
_FIELDS = "each field of a type the forms know (text, number, …) with that type's settings"
_VOCABULARY = {
    name: "words of Buurbel's vocabulary (neighbours/profiles), kept as data"
    for name in ("needs", "can_offer", "interests", "activities", "wish")
}
_OPEN_TICKET = "a ticket that is not closed"
_ROW = "a row of the right kind in this community (e.g. an issuer's account, a partner)"

#: "METHOD /path" → {field a 422 may name (``*`` matches any text): the rule no schema can state}.
#: A 422 naming any other field, for a request the document calls valid, is a finding.
_MONTHS = "whole months: a plan starts on a first day and ends on a last day, at most 120 months"
_INDICATOR = "an indicator of a module switched on in this community"
_BREAKDOWN = "one of the indicator's breakdowns, dimension:value"
RULES: dict[str, dict[str, str]] = {
    "GET /monitoring/values": {
        "indicator": _INDICATOR,
        "breakdown": _BREAKDOWN + ", with one indicator",
        "end": "on or after the start, at most 120 months",
    },
    "GET /monitoring/reach": {"to": "on or after the start (from), at most 120 months"},
    "POST /monitoring/surveys/{survey_id}/responses": {
        "answers.*": "every question of the survey answered, on its scale",
        "pairing_code": "a person or a pairing code",
    },
    "POST /monitoring/plans": {
        "name": _UNIQUE,
        "starts_on": _MONTHS,
        "ends_on": _MONTHS,
        "municipality_ids": "municipalities of this community",
    },
    "POST /monitoring/plans/{plan_id}/targets": {
        "indicator": _INDICATOR,
        "breakdown": _BREAKDOWN + " (only with an indicator)",
        "note": "how it is measured, when there is no indicator",
        "starts_on": "inside the plan, the end after the start",
        "ends_on": "inside the plan, the end after the start",
        "title": "a title, or an indicator whose name it takes",
    },
    "POST /monitoring/plans/{plan_id}/reports": {
        "first_month": "inside the plan (funder, steering); a steering report: one quarter",
        "last_month": "on or after the first month, inside the plan, at most 120 months",
    },
    "POST /helpexchange/posts": {
        "reward": _AMOUNT + "; within the organisation's issuing budget for today",
        "reward_account_id": _ROW + ", needed with a reward",
        "when_on": "from today to a year from now",
        "title": "something left once HTML is removed",
    },
    "POST /helpexchange/blocks": {"reason": "something left once HTML is removed"},
    "POST /people": {"phone": _PHONE, "birth_year": "not after this year"},
    "PATCH /people/{person_id}": {"phone": _PHONE, "birth_year": "not after this year"},
    "POST /organisations": {"slug": _UNIQUE, "phone": _PHONE},
    "PATCH /organisations/{organisation_id}": {"slug": _UNIQUE, "phone": _PHONE},
    "POST /memberships": {
        "username": "a login name or an e-mail address, one of the two",
        "email": "a login name or an e-mail address, one of the two",
        "organisation_id": _ROW,
    },
    "GET /places": {"municipality_id": "a municipality of this community"},
    "POST /places": {"phone": _PHONE, "municipality_id": _ROW, "postcode": "in the municipality"},
    "PATCH /places/{place_id}": {
        "phone": _PHONE,
        "municipality_id": _ROW,
        "postcode": "in the municipality",
    },
    "PUT /places/{place_id}/hours": {"hours.*": "closes after it opens; periods do not overlap"},
    "POST /places/{place_id}/exceptions": {
        "closes": "closes after it opens, both or neither",
        "opens": "closes after it opens, both or neither",
        "ends_on": _DATES,
    },
    "POST /ledger/accounts": {
        "person_id": "a resident's account has a person, every other kind an organisation",
        "organisation_id": "a resident's account has a person, every other kind an organisation",
    },
    "POST /ledger/transfers": {
        "amount": _AMOUNT,
        "pin": "the payer's PIN when they pay",
        "credit_account_id": "another account than the one paying",
        "debit_account_id": _ROW,
        "kind": "a kind this key may make (payments; staff: rewards, issues)",
    },
    "POST /ledger/budgets": {"account_id": _ROW, "amount": _AMOUNT, "ends_on": _DATES},
    "PUT /ledger/currency": {"approval_threshold": _AMOUNT},
    "POST /ledger/offices": {"name": _UNIQUE},
    "POST /ledger/organisations/{organisation_id}/budgets": {
        "amount": _AMOUNT,
        "ends_on": _DATES,
        "starts_on": "no other budget of the organisation in the period",
    },
    "POST /ledger/rewards": {"amount": _AMOUNT, "issuer_account_id": _ROW},
    "POST /ledger/payment-requests": {"amount": _AMOUNT, "payee_account_id": _ROW},
    "POST /ledger/offices/{office_id}/deposit": {
        "notes": "at least one note, of the currency's denominations",
        "note_*": "a denomination of the currency",
    },
    "POST /ledger/offices/{office_id}/withdraw": {
        "notes": "at least one note, of the currency's denominations",
        "note_*": "a denomination of the currency",
    },
    "POST /ledger/offices/{office_id}/counts": {"note_*": "a denomination of the currency"},
    "POST /lending/devices/{device_id}/events": {
        "kind": "a step the device's state allows (the table in lending/rules.py)",
        "evidence*": "a wipe comes with its evidence",
    },
    "POST /lending/donations": {
        "donor_name": "a donor: an organisation (donor_id) or a name",
        "place_id": _ROW,
    },
    "POST /lending/referrals": {
        "organisation_id": "staff who triage name the partner (a referrer files for their own)",
        "resident*": "a resident's name only for a loan; a new resident or a known one",
        "household_size": "1 to 30 people",
        "eligibility_note": "a note when the reason is 'other'",
    },
    "POST /lending/referrals/{referral_id}/match": {
        "device_id": "an available device of the kind needed, for residents",
    },
    "POST /lending/referrals/{referral_id}/invite": {
        "pickup_at": "a moment still to come",
        "place_id": "an open place of this community",
        "device_id": "an available device of the kind needed, for residents",
        "channel": "someone to reach that way (a number or address, with consent)",
    },
    "POST /lending/referral-caps": {"max_referrals": "0 to the largest cap"},
    "POST /lending/handovers": {
        "device_ids": "available devices of this community, wiped since they came in",
        "recipient_name": "a name when no known resident is given",
        "person_id": "a resident of this community",
        "referral_id": "a request set aside or invited, with its device among these",
        "place_id": _ROW,
        "due_on": "for a loan: a day to come, within the longest loan",
        "price_cents": "for a sale at social tariff: the price paid",
        "receipt_number": "for a sale: the receipt's number",
        "signature": "a readable PNG with a drawn signature, not too large",
        "identity_document": "which document was seen",
        "language": "a language the agreement text exists in",
        "kind": "a kind the agreement texts cover",
    },
    "POST /lending/loans/{loan_id}/extend": {
        "due_on": "later than now, within the longest loan and the most extensions",
    },
    "POST /lending/agreement-texts": {"body": "a text that says something", "title": "a title"},
    "POST /lending/repairs": {
        "device_id": "a device of this community without an open ticket",
        "repairer_name": "a name when a partner repairs it",
    },
    "POST /lending/repairs/{ticket_id}/start": {
        "repairer_name": "a name when a partner repairs it",
    },
    "POST /lending/repairs/{ticket_id}/close": {
        "replacement_device_id": "an available device, not the broken one, when it is replaced",
        "outcome": "fixed only after the repair started",
        "note": "a note when it cannot be repaired",
    },
    # helpdesk: what the ticket's state or the community's rows decide.
    "POST /helpdesk/tickets": {
        "person": "a person of the register, or a name, number or e-mail address to answer",
        "contact_phone": _PHONE,
        "parent_id": "a question (not a home-help ticket) for a home-help child",
    },
    "PATCH /helpdesk/tickets/{helpdesk_ticket_id}": {"status": _OPEN_TICKET},
    "POST /helpdesk/tickets/{helpdesk_ticket_id}/messages": {
        "status": _OPEN_TICKET,
        "via": "a reply by SMS or e-mail needs a linked person who can be reached that way",
    },
    "POST /helpdesk/tickets/{helpdesk_ticket_id}/status": {
        "status": "one of the moves models.TRANSITIONS allows from the ticket's status",
        "handover_to": "said when the ticket is handed over",
        "volunteer_id": "an active digibuddy, named when handed over to a digibuddy",
    },
    "POST /helpdesk/tickets/{helpdesk_ticket_id}/assign": {
        "status": _OPEN_TICKET,
        "user_id": "a login with a role here that works on the helpdesk",
        "volunteer_id": "an active digibuddy",
    },
    "POST /helpdesk/categories": {
        "key": _UNIQUE,
        "resolution_hours": "not fewer hours than the first answer",
    },
    "PATCH /helpdesk/categories/{helpdesk_category_id}": {
        "resolution_hours": "not fewer hours than the first answer",
    },
    # hd-home: home visits, by the visit's state and the year's budget.
    "POST /helpdesk/visits": {
        "ticket_id": "a request for help at home (not closed)",
        "scheduled_at": "a moment in the future",
        "address": "an address (or a follow-up's earlier one)",
        "volunteer_id": "a digibuddy who does home visits, or else an outside provider's name",
        "budget": "a provider's cost within what is left of the year's budget (else override, "
        "coordinators)",
        "follow_up_of_id": "a visit of the same request",
    },
    "POST /helpdesk/visits/{helpdesk_visit_id}/check-in": {"status": "a planned visit"},
    "POST /helpdesk/visits/{helpdesk_visit_id}/check-out": {"status": "a visit checked in"},
    "POST /helpdesk/visits/{helpdesk_visit_id}/report": {
        "report": "a visit under way, done or with nobody home"
    },
    "POST /helpdesk/visits/{helpdesk_visit_id}/close": {
        "status": "a planned visit (cancel), or planned or under way (nobody home)"
    },
    "GET /activities/figures": {"at": "a day between the years 2000 and 2199"},  # act-figures
    "POST /activities/series": {"category_id": _ROW, "partner_id": _ROW},
    "POST /activities/series/{series_id}/sessions": {
        "ends_at": "after the start",
        "capacity": "1 to 500 seats",
        "buddies_needed": "0 to 50",
        "place_id": _ROW,
    },
    "POST /activities/sessions/{session_id}/registrations": {
        "referred_by_id": "a partner, when the channel is 'partner'",
    },
    "POST /activities/series/{series_id}/evaluations": {
        "satisfaction": "an evaluation says something: a face, a text or answers",
        "answers*": "only for an activity with the self-assessment; before it: every statement",
        "moment": "'before' only for an activity with the self-assessment",
        "registration_id": "a sign-up for this activity",
    },
    # act-buddy (issue 13): the digibuddy register.
    "POST /activities/volunteers": {
        "first_name": "a person: person_id, or person with a first name",
        "phone": _PHONE,
        "training_series_id": "a digibuddy training of this community",
    },
    "PATCH /activities/volunteers/{volunteer_id}": {
        "training_series_id": "a digibuddy training of this community",
    },
    "POST /activities/volunteers/{volunteer_id}/certify": {"on": "not in the future"},
    "POST /activities/volunteers/{volunteer_id}/duties": {
        "session_id": "a session, or a place with a start and an end",
        "ends_at": "after the start, at most 12 hours later",
    },
    "POST /activities/gaps/ask": {"session_id": "a session or a digipunt duty, one of the two"},
    "POST /qr/codes": {
        "routes.*": "a route action and the settings it needs (a registry)",
        "slug": _VANITY,
        "link_type": _LINK,
    },
    "PATCH /qr/codes/{code_id}": {"slug": _VANITY, "link_type": _LINK, "owner_id": _ROW},
    "PUT /qr/codes/{code_id}/routes": {"routes.*": "a route action and the settings it needs"},
    "POST /qr/codes/bulk": {
        "routes.*": "retarget needs an address (https://…)",
        "tag": "tag and untag need a tag",
    },
    "POST /qr/forms": {"fields": _FIELDS, "webhook_id": _ROW},
    "PATCH /qr/forms/{form_id}": {"fields": _FIELDS, "webhook_id": _ROW},
    "POST /qr/webhooks": {"url": "an https address whose name resolves to public addresses"},
    "GET /qr/stats": {"start": _DATES},
    "POST /qr/import": {"file": "a CSV in UTF-8 or an XLSX file with the import's columns"},
    "POST /buurbel/recordings": {"file": "a WAV or MP3 file, by its content"},
    "POST /buurbel/rules": {"test_cases": "test cases with different names", "*": "JsonLogic"},
    "POST /buurbel/announcements": {"ends_on": _DATES, "text": _SAID, "recording*": _RECORDING},
    "PATCH /buurbel/announcements/{announcement_id}": {
        "ends_on": _DATES,
        "text": _SAID,
        "recording*": _RECORDING,
    },
    "POST /buurbel/flows": {"key": "a call flow the product has", "definition": "a valid flow"},
    "POST /buurbel/rules/{rule_version_id}/activate": {
        "test_cases": "a draft with test cases that all pass",
        "*": "the draft's rules, checked against its test cases",
    },
    "PATCH /buurbel/flows/{flow_id}": {"definition": "a valid flow: its steps and start"},
    "POST /buurbel/participants/{participant_id}/verification/check": {
        "code": "the code that was sent"
    },
    "PATCH /buurbel/participants/{participant_id}": {
        "organisation_id": _ROW,
        "lat": _LATLON,
        "lon": _LATLON,
        "call_windows": "each window starts before it ends",
        **_VOCABULARY,
    },
    "POST /buurbel/partner/participants": {
        "organisation_id": _ROW,
        "phone": _PHONE,
        "first_name": "not only blanks once trimmed",
        "follow_up_note": "a note when needs_follow_up is true",
        "lat": _LATLON,
        "lon": _LATLON,
        "call_windows": "each window starts before it ends",
        **_VOCABULARY,
    },
    "POST /buurbel/partner/participants/{participant_id}/follow-up": {
        "note": "a note when needs_follow_up is true"
    },
    "POST /buurbel/participants": {
        "organisation_id": _ROW,
        "person_id": "a person with a phone, not yet a participant",
        "lat": _LATLON,
        "lon": _LATLON,
        "call_windows": "each window starts before it ends",
        **_VOCABULARY,
    },
}


@schemathesis.check
def schema_valid_requests_are_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """``positive_data_acceptance``, except a 422 naming only fields of a rule in :data:`RULES`."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        rules = RULES.get(f"{case.method.upper()} {case.path.removeprefix(PREFIX)}", {})
        if response.status_code == 422 and rules:
            fields = set(json.loads(response.content).get("fields", {}))
            if fields and all(any(fnmatch(f, rule) for rule in rules) for f in fields):
                return None
        raise
