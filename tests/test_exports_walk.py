"""Every spreadsheet the product hands out is safe to open (CSV/XLSX formula injection, issue 18).

- The export walk finds every page and API route that answers a CSV or XLSX file (from the URL
  resolver, the OpenAPI document and the views' source), checks that each one is listed in
  ``PAGE_EXPORTS`` / ``API_EXPORTS`` below, fetches every one of them from a community whose
  residents, shops, teams, codes and form answers are named like formulas, and checks that no
  cell starts like a formula (a plain number such as ``-1.50`` is a number, not a formula).
- A lint: only ``buurtkit.core.exports`` writes CSV or XLSX (``csv.writer``, openpyxl's
  ``Workbook``) or names their content types, so a new export has to use the one writer.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import inspect
import io
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook

from buurtkit.conf.api import api as ninja_api
from buurtkit.core import exports
from buurtkit.core.actor import Actor
from buurtkit.core.models import Community
from buurtkit.ledger import services as ledger
from buurtkit.ledger.models import Account
from buurtkit.neighbours import services as neighbours
from buurtkit.people import services as people
from buurtkit.qrcodes import cache as qr_cache
from buurtkit.qrcodes import services as qr

SRC = Path(__file__).resolve().parents[1] / "src" / "buurtkit"
WRITER = SRC / "core" / "exports.py"

# What people type into names, titles and answers, as an attacker would.
LINK = '=HYPERLINK("http://evil.example/","x")'
SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
PLUS = "+1+2"
MINUS = "-1+2"
FORMULA_START = re.compile(r"^\s*[=+\-@\t\r\n]")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

# --- which routes are exports ---------------------------------------------------------------------

#: page route name -> (how to build its URL from the world, carries typed text)
PAGE_EXPORTS: dict[str, tuple[Callable[[World], str], bool]] = {}
#: API path (as in the OpenAPI document) -> (URL, carries typed text)
API_EXPORTS: dict[str, tuple[Callable[[World], str], bool]] = {}
#: Routes that look like exports (by name) but never answer a spreadsheet.
FORBIDDEN_ATTRIBUTES = {("csv", "writer"), ("csv", "DictWriter"), ("openpyxl", "Workbook")}
NOT_SPREADSHEETS = {
    "web:my_data_export": "the GDPR export of one's own data (JSON)",
    "web:person_export": "a person's GDPR export (JSON)",
    "web:qr_download": "one code as an image or PDF (svg, png, pdf, eps)",
}


def _export_like(route: str) -> bool:
    return any(part in route for part in (".csv", ".xlsx", ".<str:fmt>", "export"))


def _calls_the_writer(view: Any) -> bool:
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    try:
        source = inspect.getsource(view)
    except (OSError, TypeError):
        return False
    return bool(re.search(r"exports\.(csv_|xlsx_|write_csv)", source))


def _page_routes() -> Iterator[tuple[str, str, Any]]:
    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str, Any]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "api":
                    continue  # the API: from its OpenAPI document below
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and p.name:
                yield f"{namespace}{p.name}", prefix + str(p.pattern), p.callback

    yield from walk(get_resolver().url_patterns, "", "")


@pytest.mark.engine_independent  # which routes exist is decided in Python
def test_every_export_route_is_walked() -> None:
    found = {
        name
        for name, route, view in _page_routes()
        if _export_like(route) or _calls_the_writer(view)
    }
    assert found == set(PAGE_EXPORTS) | set(NOT_SPREADSHEETS), (
        "A page route answers a file: add it to PAGE_EXPORTS (and write it with core.exports) "
        "or to NOT_SPREADSHEETS"
    )
    schema = ninja_api.get_openapi_schema()
    spreadsheet_types = {"text/csv", exports.XLSX_CONTENT_TYPE}
    api_found = set()
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            content = {
                kind
                for response in operation.get("responses", {}).values()
                for kind in response.get("content", {})
            }
            if path.endswith((".csv", ".xlsx")) or content & spreadsheet_types:
                api_found.add(path)
    assert api_found == set(API_EXPORTS)


@pytest.mark.engine_independent  # reads the source
def test_only_the_writer_writes_spreadsheets() -> None:
    """No module but ``core.exports`` uses ``csv.writer`` or openpyxl's ``Workbook``, or names
    the spreadsheet content types (reading an uploaded file with ``load_workbook`` is fine)."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path == WRITER or "migrations" in path.parts:
            continue
        text = path.read_text()
        tree = ast.parse(text)
        name = str(path.relative_to(SRC))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    if (node.module == "csv" and alias.name in ("writer", "DictWriter")) or (
                        node.module.startswith("openpyxl")
                        and alias.name in ("Workbook", "WriteOnlyCell")
                    ):
                        offenders.append(f"{name}: from {node.module} import {alias.name}")
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and (node.value.id, node.attr) in FORBIDDEN_ATTRIBUTES
            ):
                offenders.append(f"{name}: {node.value.id}.{node.attr}")
        for literal in ("text/csv", "spreadsheetml", "\\ufeff", "\ufeff"):
            if literal in text:
                offenders.append(f"{name}: {literal!r}")
    assert offenders == []


# --- the world: everything named like a formula ---------------------------------------------------


@dataclass
class World:
    community: Community
    resident_account: int
    run_id: int
    batch_id: int
    form_id: int
    resource_id: int = 0  # a bookable room with a booking by a formula-named person
    booking_day: str = ""
    report_id: int = 0  # open statistics of monitoring (CSV) over a plan named like a formula


def _key() -> str:
    return uuid.uuid4().hex


def _helpdesk(system: Actor, person_id: int) -> None:
    """A topic and a public service named like formulas, a ticket in them (hd-home)."""
    from buurtkit.helpdesk import services as helpdesk

    topic = helpdesk.category_save(actor=system, key="hostile", name={"en": PLUS, "nl": PLUS})
    service = helpdesk.public_service_save(actor=system, key="hostile", name={"en": LINK})
    ticket = helpdesk.ticket_create(
        actor=system, channel="phone", subject=SUM, body=MINUS, category_id=topic.pk,
        person_id=person_id,
    )  # fmt: skip
    helpdesk.ticket_barriers_set(actor=system, ticket_id=ticket.pk, service_ids=[service.pk])


def _build(system: Actor, client: Client) -> World:
    person = people.person_create(
        actor=system, first_name=LINK, last_name=SUM, phone="+32470123456"
    )
    participant = neighbours.participant_register(
        actor=system,
        person_id=person.pk,
        consent=True,
        language="nl",
        call_windows=[{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"}],
        interests=["cards"],
        activities=["coffee"],
        max_distance_m=1000,
        wish="social",
        neighbourhood="rabot",
        lat=51.06,
        lon=3.71,
    )
    shop = people.organisation_create(actor=system, name=SUM, slug="shop", kind="merchant")
    club = people.organisation_create(actor=system, name=PLUS, slug="club", kind="association")
    team = people.organisation_create(actor=system, name=MINUS, slug="team", kind="city_department")
    # The participant was registered by a partner named like a formula (figures per partner).
    neighbours.participant_update(
        actor=system, participant_id=participant.pk, organisation_id=club.pk
    )

    # The currency: a resident pays a shop (description typed by someone), the shop is paid out.
    currency = ledger.currency_create(
        actor=system,
        code="TOR",
        names={"nl": {"singular": "toreke", "plural": "torekes"}},
        decimals=2,
    )
    issuer = ledger.account_open(actor=system, kind="organisation", organisation_id=club.pk)
    merchant = ledger.account_open(actor=system, kind="merchant", organisation_id=shop.pk)
    resident = ledger.account_open(actor=system, kind="resident", person_id=person.pk)
    issuance = Account.objects.get(currency=currency, kind="system", system_role="issuance")
    for debit, credit, amount, kind, description in [
        (issuance, issuer, 10_000, "issue", ""),
        (issuer, resident, 5_000, "reward", PLUS),
        (resident, merchant, 150, "payment", LINK),
    ]:
        ledger.transfer_create(
            actor=system,
            debit_account_id=debit.pk,
            credit_account_id=credit.pk,
            amount=amount,
            kind=kind,
            description=description,
            idempotency_key=_key(),
        )
    run = ledger.redemption_run(actor=system, month=dt.date.today().strftime("%Y-%m"))

    # QR codes: a code with a formula title, tag and team, scanned once; a batch; a form.
    code = qr.code_create(
        actor=system,
        title=LINK,
        tags=[MINUS, "@tag"],
        owner_id=team.pk,
        routes=[{"action": "redirect", "params": {"url": "https://example.org/"}}],
    )
    qr_cache.clear()
    assert client.get(f"/q/{code.code}", HTTP_USER_AGENT="Mozilla/5.0 (Android 14)").status_code
    batch = qr.batch_create(actor=system, size=2, title=SUM, tags=["=1+1"])
    qr.batch_run(batch_id=batch.pk)
    form = qr.form_create(
        actor=system,
        title={"nl": PLUS},
        fields=[{"key": "note", "type": "text", "label": {"nl": LINK}}],
    )
    for answer in (LINK, SUM, MINUS):
        qr.submission_create(
            community=system.community, form_id=form.pk, code_id=code.pk, data={"note": answer}
        )
    room = qr.resource_create(actor=system, name=MINUS, capacity=3)
    day = dt.date.today() + dt.timedelta(days=1)
    (slot,) = qr.slots_add(
        actor=system, resource_id=room.pk, day=day, start=dt.time(10), end=dt.time(11)
    )
    qr.booking_create(
        community=system.community, slot_id=slot.pk, name=LINK, contact="+32470123456"
    )
    _lending(system, club.pk)
    _activities(system)
    _helpexchange(system, person.pk)
    _helpdesk(system, person.pk)
    report_id = _monitoring(system)
    return World(
        community=system.community,
        resident_account=resident.pk,
        run_id=run.pk,
        batch_id=batch.pk,
        form_id=form.pk,
        resource_id=room.pk,
        booking_day=day.isoformat(),
        report_id=report_id,
    )


def _activities(system: Actor) -> None:
    """An activity titled like a formula in January 2026 at a place named like one, in a
    municipality named like one; a formula-named person from a formula neighbourhood came."""
    from buurtkit.activities import services as activities
    from buurtkit.core import clock
    from buurtkit.places import services as places

    town = places.municipality_create(actor=system, name=MINUS)
    place = places.place_create(
        actor=system, name=PLUS, kind="digipunt", municipality_id=town.pk, street=SUM
    )
    with clock.frozen(dt.datetime(2026, 1, 2, 9, tzinfo=dt.UTC)):
        series = activities.series_create(actor=system, kind="it_cafe", title={"en": LINK})
        session = activities.session_add(
            actor=system,
            series_id=series.pk,
            place_id=place.pk,
            starts_at=dt.datetime(2026, 1, 15, 13, tzinfo=dt.UTC),
            ends_at=dt.datetime(2026, 1, 15, 15, tzinfo=dt.UTC),
            capacity=5,
        )
        person = people.person_create(
            actor=system, first_name=SUM, last_name=LINK, neighbourhood=MINUS
        )
        (registration,), _secret = activities.registration_create(
            actor=system, session_id=session.pk, person_id=person.pk, channel="desk"
        )
    activities.attendance_mark(
        actor=system, registration_id=registration.pk, session_id=session.pk, attended=True
    )
    with clock.frozen(dt.datetime(2026, 1, 15, 16, tzinfo=dt.UTC)):  # the evaluation, typed in
        activities.evaluation_create(
            actor=system,
            series_id=series.pk,
            registration_id=registration.pk,
            satisfaction=4,
            learned=LINK,
            suggestion=MINUS,
        )


def _monitoring(system: Actor) -> int:
    """A plan named like a formula and its open statistics for January 2026 (the activity in
    the municipality named like one): a report snapshot, made as the worker would."""
    from buurtkit.core import clock
    from buurtkit.monitoring import rollup
    from buurtkit.monitoring import services as monitoring

    plan = monitoring.plan_create(
        actor=system, name=LINK, funder=SUM, starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
    )  # fmt: skip
    with clock.frozen(clock.now()):
        rollup.recount_community(system.community, full=True)
    snapshot = monitoring.report_generate(
        actor=system, plan_id=plan.pk, kind="open_statistics", language="en",
        first_month=dt.date(2026, 1, 1), last_month=dt.date(2026, 1, 1),
    )  # fmt: skip
    done = monitoring.report_build(snapshot_id=snapshot.pk)
    assert done.status == "done", done.error
    return snapshot.pk


def _helpexchange(system: Actor, person_id: int) -> None:
    """A request for help in a neighbourhood typed like a formula (the overview's export)."""
    from buurtkit.helpexchange import services as hx

    hx.post_create(
        actor=system,
        person_id=person_id,
        kind="request",
        category="errands",
        title=LINK,
        neighbourhood=SUM,
    )


def _lending(system: Actor, partner_id: int) -> None:
    """Devices with typed brands and models: one lent to a household referred by a partner
    named like a formula, one reported broken."""
    from buurtkit.core import clock
    from buurtkit.lending import services as lending
    from buurtkit.lending.models import AgreementText, HandOver, HandOverDevice, Loan

    donation = lending.donation_receive(
        actor=system,
        received_on=dt.date(2026, 1, 5),
        donor_name=MINUS,
        devices=[{"kind": "laptop", "brand": LINK, "model": SUM} for _ in range(2)],
    )
    evidence = {"method": PLUS, "tool": "nwipe", "operator": "x", "wiped_on": "2026-01-05"}
    lent, broken = donation.devices.order_by("label")
    for device in (lent, broken):
        for kind in ("wiped", "checked", "available"):
            lending.device_record_event(
                actor=system,
                device_id=device.pk,
                kind=kind,
                evidence=evidence if kind == "wiped" else None,
            )
    lending.device_record_event(actor=system, device_id=lent.pk, kind="handed_over")
    text = AgreementText.objects.create(
        community=system.community, kind="loan", language="nl", version=1, title=LINK, body=SUM
    )
    handover = HandOver.objects.create(
        community=system.community,
        kind="loan",
        recipient_label=LINK,
        organisation_id=partner_id,
        handed_at=clock.now(),
        handed_by_label=SUM,
        agreement_text=text,
        language="nl",
    )
    HandOverDevice.objects.create(community=system.community, handover=handover, device=lent)
    Loan.objects.create(
        community=system.community,
        handover=handover,
        device=lent,
        due_on=dt.date.today() - dt.timedelta(days=3),
    )
    lending.repair_open(actor=system, device_id=broken.pk, problem=LINK, repairer_name=SUM)


S = "/rabot"
PAGE_EXPORTS.update(
    {
        "web:buurbel_participants_csv": (lambda w: f"{S}/buurbel/participants/export.csv", True),
        "web:buurbel_dashboard_csv": (lambda w: f"{S}/buurbel/dashboard.csv", False),
        "web:buurbel_partners_csv": (lambda w: f"{S}/buurbel/partners.csv", True),
        "web:ledger_overview_csv": (lambda w: f"{S}/ledger/overview.csv", True),
        "web:ledger_statement": (
            lambda w: f"{S}/pay/accounts/{w.resident_account}/statement.csv",
            True,
        ),
        "web:payouts_csv": (lambda w: f"{S}/ledger/payouts/{w.run_id}.csv", True),
        "web:qr_batch_export": (lambda w: f"{S}/qr/batches/{w.batch_id}/export.csv", True),
        "web:qr_export": (lambda w: f"{S}/qr/export/?fmt=csv", True),
        "web:qr_stats_csv": (lambda w: f"{S}/qr/stats.csv?period=7", True),
        "web:qr_submissions_csv": (lambda w: f"{S}/qr/forms/{w.form_id}/answers.csv", True),
        "web:qr_submissions_xlsx": (lambda w: f"{S}/qr/forms/{w.form_id}/answers.xlsx", True),
        "web:qr_resource_csv": (
            lambda w: f"{S}/qr/resources/{w.resource_id}/bookings.csv?day={w.booking_day}",
            True,
        ),
        "web:qr_resource_xlsx": (
            lambda w: f"{S}/qr/resources/{w.resource_id}/bookings.xlsx?day={w.booking_day}",
            True,
        ),
        "web:lending_export_devices": (lambda w: f"{S}/lending/export/devices/", True),
        "web:activities_export_attendance": (
            lambda w: f"{S}/activities/figures/export/attendance/?at=2026-01",
            True,
        ),
        "web:activities_export_figures": (
            lambda w: f"{S}/activities/figures/export/figures/?at=2026-01&fmt=xlsx",
            True,
        ),
        "web:activities_export_evaluations": (
            lambda w: f"{S}/activities/figures/export/evaluations/?at=2026-01",
            True,
        ),
        "web:activities_export_names": (
            lambda w: f"{S}/activities/figures/export/names/?at=2026-01&period=year",
            True,
        ),
        "web:lending_export_handovers": (
            lambda w: f"{S}/lending/export/handovers/?fmt=xlsx",
            True,
        ),
        "web:lending_export_loans": (lambda w: f"{S}/lending/export/loans/", False),
        "web:lending_export_repairs": (lambda w: f"{S}/lending/export/repairs/?fmt=xlsx", True),
        "web:helpexchange_overview_csv": (lambda w: f"{S}/helpexchange/overview.csv", True),
        "web:helpexchange_overview_xlsx": (lambda w: f"{S}/helpexchange/overview.xlsx", True),
        # hd-home: the barrier report and the staff overview (figures; service and topic names)
        "web:helpdesk_barriers": (lambda w: f"{S}/helpdesk/barriers/?format=csv", True),
        "web:helpdesk_overview": (lambda w: f"{S}/helpdesk/overview/?format=xlsx", True),
    }
)
A = "/api/v1"
API_EXPORTS.update(
    {
        f"{A}/ledger/accounts/{{account_id}}/statement.csv": (
            lambda w: f"{A}/ledger/accounts/{w.resident_account}/statement.csv",
            True,
        ),
        f"{A}/monitoring/reports/{{report_id}}/files/{{file_format}}": (
            lambda w: f"{A}/monitoring/reports/{w.report_id}/files/csv",
            True,
        ),
        f"{A}/ledger/redemption-runs/{{run_id}}/payouts.csv": (
            lambda w: f"{A}/ledger/redemption-runs/{w.run_id}/payouts.csv",
            True,
        ),
    }
)


def _cells(response: Any) -> list[list[Any]]:
    body = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    if response["Content-Type"] == exports.XLSX_CONTENT_TYPE:
        sheet = load_workbook(io.BytesIO(body)).active
        return [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert response["Content-Type"] == exports.CSV_CONTENT_TYPE
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, so Excel reads the accents"
    return [list(row) for row in csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))]


def test_no_export_holds_a_formula(
    settings: Any,
    community: Community,
    system: Actor,
    client: Client,
    login_client: Callable[..., Client],
    api: Callable[..., Client],
) -> None:
    settings.QR_SCAN_RECORDING = "sync"
    world = _build(system, client)
    staff = login_client(community, "coordinator")
    machine = api(community, ["coordinator"])
    walked = [(url(world), staff, carries) for url, carries in PAGE_EXPORTS.values()]
    walked += [(url(world), machine, carries) for url, carries in API_EXPORTS.values()]
    numbers = 0
    for url, who, carries in walked:
        response = who.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, url
        assert "attachment" in response["Content-Disposition"], url
        rows = _cells(response)
        assert len(rows) > 1, f"{url}: the walk needs rows, not only a header"
        texts = [c for row in rows for c in row if isinstance(c, str)]
        bad = [c for c in texts if FORMULA_START.match(c) and not NUMBER.match(c)]
        assert bad == [], f"{url} writes formulas: {bad}"
        numbers += sum(1 for c in texts if NUMBER.match(c) and c.startswith("-"))
        if carries:  # the hostile text is there, written as text
            escaped = [c for c in texts if c.startswith("'") and FORMULA_START.match(c[1:])]
            assert escaped, f"{url}: none of the typed names reached the file"
    assert numbers >= 2, "negative amounts stay numbers in the statements"
