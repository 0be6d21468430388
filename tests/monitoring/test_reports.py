"""Reports: the funder's summary, the steering group's quarter and the open statistics, made in
the background as immutable snapshots (XLSX with Excel charts, PDF with charts, CSV), with small
counts suppressed and no personal data; bad periods; pages and API with permissions and
isolation. The world (conftest) has its clock frozen on 15 June 2026."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.permissions import permissions_for_roles
from buurtkit.monitoring import services
from buurtkit.monitoring.models import Plan, ReportSnapshot, ReportStatus
from buurtkit.monitoring.reports import selectors as report_selectors
from buurtkit.monitoring.reports.services import reports_dir
from buurtkit.monitoring.reports.suppression import SUPPRESSED, suppress
from buurtkit.people.models import Person
from tests.monitoring.conftest import NOW, World

pytestmark = pytest.mark.django_db
START, END = date(2026, 1, 1), date(2027, 12, 31)


def community(world: World) -> Community:
    return Community.objects.get(pk=world.community_id)


def system(world: World) -> Actor:
    return Actor.system(community(world), label="test")


def role(world: World, name: str) -> Actor:
    c = community(world)
    return Actor(
        community=c, label=name, permissions=permissions_for_roles({name}, c.enabled_modules)
    )


def make_plan(world: World, name: str = "Digibank", **kw: Any) -> Plan:
    actor = system(world)
    plan = services.plan_create(
        actor=actor, name=name, funder="Departement WSE", starts_on=kw.pop("starts_on", START),
        ends_on=kw.pop("ends_on", END), municipality_ids=[world.kortrijk, world.heule],
    )  # fmt: skip
    objective = services.objective_create(actor=actor, plan_id=plan.pk, title="Toegang")
    for title, indicator, breakdown, value in (
        ("Zestien IT-cafés", "activities.sessions_held", "kind:it_cafe", 16),
        ("Vierhonderd toestellen", "lending.devices_handed_out", "", 400),
        ("Twintig digipunten", "places.digipunten_open", "", 20),
        ("Deelnemers", "activities.participants", "", 1150),
    ):
        services.target_create(
            actor=actor, plan_id=plan.pk, objective_id=objective.pk, title=title,
            indicator=indicator, breakdown=breakdown, value=value,
        )  # fmt: skip
    services.target_create(
        actor=actor, plan_id=plan.pk, title="Hulp aan huis", value=200, note="helpdesk"
    )
    line = services.budget_line_create(
        actor=actor, plan_id=plan.pk, category="wages", title="Coördinator",
        planned_cents=147_576_00,
    )  # fmt: skip
    if plan.starts_on < NOW.date():  # spending is entered once it happened
        services.spending_add(
            actor=actor, plan_id=plan.pk, line_id=line.pk, spent_on=plan.starts_on,
            amount_cents=6_149_00, note="Loon",
        )  # fmt: skip
    services.milestone_create(
        actor=actor, plan_id=plan.pk, title="Stuurgroep 1", due_on=date(2026, 3, 31)
    )
    return plan


def generate(
    world: World, capture: Any, plan: Plan, kind: str = "funder", **kw: Any
) -> ReportSnapshot:
    with capture(execute=True):
        snapshot = services.report_generate(actor=system(world), plan_id=plan.pk, kind=kind, **kw)
    snapshot.refresh_from_db()
    return snapshot


def file_of(snapshot: ReportSnapshot, fmt: str) -> bytes:
    entry = next(f for f in snapshot.files if f["format"] == fmt)
    return (reports_dir() / entry["path"]).read_bytes()


def xlsx_text(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data))
    return [
        str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
        for cell in row if cell is not None
    ]  # fmt: skip


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


# --- each kind of report --------------------------------------------------------------------


def test_the_funder_report_is_made_in_the_background_with_xlsx_and_pdf_and_charts(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    plan = make_plan(world)
    snapshot = generate(world, django_capture_on_commit_callbacks, plan, language="nl")
    assert (snapshot.status, snapshot.progress, snapshot.step) == ("done", 100, "done")
    assert (snapshot.first_month, snapshot.last_month) == (date(2026, 1, 1), date(2026, 6, 1))
    assert {f["format"] for f in snapshot.files} == {"xlsx", "pdf"}
    for entry in snapshot.files:  # stored as made: the sha256 is the file's
        assert hashlib.sha256(file_of(snapshot, entry["format"])).hexdigest() == entry["sha256"]
    figures = snapshot.figures
    by_title = {t["title"]: t for t in figures["targets"]}
    # Two IT cafés held (Jan, Feb; the cancelled one and the one to come are not): "< 5".
    assert by_title["Zestien IT-cafés"]["measured"] == SUPPRESSED
    assert by_title["Zestien IT-cafés"]["share"] is None  # a share would give it away
    assert by_title["Hulp aan huis"]["status"] == "no_indicator"
    assert figures["budget"]["spent_cents"] == 6_149_00
    assert figures["has_data"] is True
    book = load_workbook(io.BytesIO(file_of(snapshot, "xlsx")))
    assert book.sheetnames == [
        "Over dit rapport",
        "Outputs",
        "Per maand",
        "Bereik",
        "Budget",
        "Mijlpalen",
    ]
    assert book["Outputs"]._charts and book["Budget"]._charts  # native Excel charts
    assert "Zestien IT-cafés" in [c.value for c in book["Outputs"]["B"]]
    pdf = file_of(snapshot, "pdf")
    reader = PdfReader(io.BytesIO(pdf))
    text = pdf_text(pdf)
    assert "Digibank" in text and "Zestien IT-cafés" in text and "Coördinator" in text
    assert len(reader.pages) >= 2


def test_the_steering_report_covers_one_quarter_in_french(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    plan = make_plan(world)
    snapshot = generate(
        world, django_capture_on_commit_callbacks, plan, kind="steering", language="fr",
        first_month=date(2026, 1, 1),
    )  # fmt: skip
    assert snapshot.status == "done", snapshot.error
    assert (snapshot.first_month, snapshot.last_month) == (date(2026, 1, 1), date(2026, 3, 1))
    devices = next(t for t in snapshot.figures["targets"] if t["title"] == "Vierhonderd toestellen")
    assert [m for m, _v in devices["months"]] == ["2026-01", "2026-02", "2026-03"]
    assert "Jalons" in load_workbook(io.BytesIO(file_of(snapshot, "xlsx"))).sheetnames
    assert "Résultats par rapport aux objectifs chiffrés" in pdf_text(file_of(snapshot, "pdf"))


def test_open_statistics_per_month_municipality_and_neighbourhood_as_csv_and_xlsx(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    plan = make_plan(world)
    snapshot = generate(
        world, django_capture_on_commit_callbacks, plan, kind="open_statistics", language="en",
        first_month=date(2026, 1, 1), last_month=date(2026, 6, 1),
    )  # fmt: skip
    assert snapshot.status == "done", snapshot.error
    assert {f["format"] for f in snapshot.files} == {"csv", "xlsx"}
    text = file_of(snapshot, "csv").decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].split(",")[:4] == ["Indicator (key)", "Indicator", "Unit", "Month"]
    rows = [line.split(",") for line in lines[1:]]
    assert {r[3] for r in rows} == {f"2026-0{m}" for m in range(1, 7)}
    # QR scans: 8 in February in total (5 + 3), shown; digipunten open in Heule: 1, "< 5".
    assert any(
        r[0] == "qrcodes.scans" and r[3] == "2026-02" and r[4] == "all" and r[-1] == "8"
        for r in rows
    )
    assert any(
        r[0] == "places.digipunten_open" and r[4] == "Heule" and r[-1] == SUPPRESSED for r in rows
    )
    values = {r[-1] for r in rows}
    assert not values & {"1", "2", "3", "4"}  # small counts never shown
    cells = xlsx_text(file_of(snapshot, "xlsx"))
    assert "Heule" in cells and SUPPRESSED in cells


def test_suppression_is_one_rule() -> None:
    assert [suppress(v) for v in (0, 1, 4, 5, 120, -3)] == [
        0,
        SUPPRESSED,
        SUPPRESSED,
        5,
        120,
        SUPPRESSED,
    ]


# --- no personal data -----------------------------------------------------------------------


def test_no_report_or_export_holds_a_name_phone_email_or_birth_year(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """Every person in the database gets a name, phone, e-mail and birth year no figure could
    hold; then every kind of report is made (and both open-data files) and searched."""
    secrets: list[str] = []
    for n, person in enumerate(Person.objects.all()):
        values = {
            "first_name": f"Zerlinda{n:02d}", "last_name": f"Quackenbush{n:02d}",
            "phone": f"+3247099{n:04d}", "email": f"zq{n:02d}@example.org", "birth_year": 1931 + n,
        }  # fmt: skip
        Person.objects.filter(pk=person.pk).update(**values)
        secrets += [values["first_name"], values["last_name"], values["phone"],
                    "0" + values["phone"][3:], values["email"], str(values["birth_year"])]  # fmt: skip
    assert len(secrets) >= 6 * 7
    plan = make_plan(world)
    files: list[tuple[str, str]] = []
    for kind, kw in (
        ("funder", {}),
        ("steering", {"first_month": date(2026, 4, 1)}),
        ("open_statistics", {}),
    ):
        snapshot = generate(world, django_capture_on_commit_callbacks, plan, kind=kind, **kw)
        assert snapshot.status == "done", snapshot.error
        files.append((f"{kind}.json", json.dumps(snapshot.figures, ensure_ascii=False)))
        for entry in snapshot.files:
            data = file_of(snapshot, entry["format"])
            text = {
                "xlsx": lambda d: "\n".join(xlsx_text(d)),
                "pdf": pdf_text,
                "csv": lambda d: d.decode("utf-8-sig"),
            }[entry["format"]](data)
            files.append((entry["name"], text))
    for name, text in files:
        assert text.strip(), name
        for secret in secrets:
            assert not re.search(rf"(?<!\d){re.escape(secret)}(?!\d)", text), (name, secret)


# --- snapshots are never changed ------------------------------------------------------------


def test_a_finished_snapshot_is_never_changed(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    snapshot = generate(world, django_capture_on_commit_callbacks, make_plan(world))
    before = (snapshot.files, snapshot.figures)
    # The background work again (a retried task) leaves it as it is.
    services.report_build(snapshot_id=snapshot.pk)
    snapshot.refresh_from_db()
    assert (snapshot.files, snapshot.figures) == before
    # The database itself refuses a change, whoever asks.
    with pytest.raises(DatabaseError), transaction.atomic():
        ReportSnapshot.objects.filter(pk=snapshot.pk).update(figures={"targets": []})
    with pytest.raises(DatabaseError), transaction.atomic():
        ReportSnapshot.objects.filter(pk=snapshot.pk).update(status=ReportStatus.QUEUED)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            ReportSnapshot.objects.filter(pk=snapshot.pk).delete()
    snapshot.refresh_from_db()
    assert (snapshot.files, snapshot.figures) == before
    # What is downloaded is what was made; a file changed on disk is refused, not served.
    got = report_selectors.report_file(actor=system(world), snapshot_id=snapshot.pk, fmt="pdf")
    assert hashlib.sha256(got.data).hexdigest() == snapshot.files[1]["sha256"] or hashlib.sha256(
        got.data
    ).hexdigest() in {f["sha256"] for f in snapshot.files}
    path = reports_dir() / next(f["path"] for f in snapshot.files if f["format"] == "pdf")
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"%tampered")
        with pytest.raises(Conflict):
            report_selectors.report_file(actor=system(world), snapshot_id=snapshot.pk, fmt="pdf")
    finally:
        path.write_bytes(original)


def test_progress_is_shown_while_it_is_made_and_the_page_stops_polling_when_done(
    world: World, make_login: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> None:
    plan = make_plan(world)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        snapshot = services.report_generate(actor=system(world), plan_id=plan.pk, kind="funder")
    assert (snapshot.status, snapshot.progress, snapshot.step) == ("queued", 0, "queued")
    client = Client()
    client.force_login(make_login(community(world), "staff"))
    url = f"/kortrijk/monitoring/plans/{plan.pk}/reports/{snapshot.pk}/"
    with translation.override("en"):
        waiting = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'hx-trigger="every 2s"' in waiting and 'value="0"' in waiting
    assert "waiting for its turn" in waiting
    assert len(callbacks) == 1  # the task is enqueued once the request commits
    callbacks[0]()
    with translation.override("en"):
        part = client.get(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "every 2s" not in part and 'value="100"' in part
    assert f"/reports/{snapshot.pk}/files/xlsx/" in part and "<html" not in part


# --- bad input ------------------------------------------------------------------------------


def test_a_period_with_no_data_gives_a_clear_report(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    plan = make_plan(world, name="Later", starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31))
    snapshot = generate(world, django_capture_on_commit_callbacks, plan, language="en")
    assert snapshot.status == "done", snapshot.error
    assert snapshot.figures["has_data"] is False
    assert "There are no figures for this period" in pdf_text(file_of(snapshot, "pdf"))
    assert any("There are no figures" in c for c in xlsx_text(file_of(snapshot, "xlsx")))


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"first_month": date(2026, 5, 1), "last_month": date(2026, 2, 1)}, "last_month"),
        ({"first_month": date(2025, 6, 1)}, "first_month"),  # before the plan
        (
            {"kind": "steering", "first_month": date(2026, 2, 1), "last_month": date(2026, 4, 1)},
            "first_month",
        ),
        ({"kind": "weekly"}, "kind"),
        ({"language": "de"}, "language"),
    ],
)
def test_a_bad_report_request_is_refused_clearly(world: World, kw: dict, field: str) -> None:
    plan = make_plan(world)
    kw = {"kind": "funder", **kw}
    with pytest.raises(ValidationFailed) as refused:
        services.report_generate(actor=system(world), plan_id=plan.pk, **kw)
    assert field in refused.value.fields
    assert not ReportSnapshot.objects.filter(plan=plan).exists()


def test_another_communitys_plan_and_report_are_not_found(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    plan = make_plan(world)
    snapshot = generate(world, django_capture_on_commit_callbacks, plan)
    other = Actor.system(Community.objects.get(pk=world.other_id))
    with pytest.raises(NotFound):
        services.report_generate(actor=other, plan_id=plan.pk, kind="funder")
    with pytest.raises(NotFound):
        report_selectors.report_get(actor=other, snapshot_id=snapshot.pk)
    with pytest.raises(NotFound):
        report_selectors.report_file(actor=other, snapshot_id=snapshot.pk, fmt="pdf")
    assert not report_selectors.reports_list(actor=other).exists()


def test_generate_is_idempotent_and_needs_monitoring_manage(world: World) -> None:
    plan = make_plan(world)
    first = services.report_generate(
        actor=system(world), plan_id=plan.pk, kind="funder", idempotency_key="r-1"
    )
    again = services.report_generate(
        actor=system(world), plan_id=plan.pk, kind="funder", idempotency_key="r-1"
    )
    assert again.pk == first.pk and getattr(again, "replayed", False)
    with pytest.raises(Conflict):
        services.report_generate(
            actor=system(world), plan_id=plan.pk, kind="steering", idempotency_key="r-1"
        )
    with pytest.raises(PermissionDenied):
        services.report_generate(actor=role(world, "staff"), plan_id=plan.pk, kind="funder")
    assert report_selectors.reports_list(actor=role(world, "auditor"), plan_id=plan.pk).count() == 1
    with pytest.raises(PermissionDenied):
        report_selectors.reports_list(actor=role(world, "volunteer"), plan_id=plan.pk)


# --- pages and API: permissions and isolation -----------------------------------------------


@pytest.mark.parametrize(
    ("who", "list_", "new", "detail", "file"),
    [
        ("coordinator", 200, 302, 200, 200),
        ("staff", 200, 403, 200, 200),
        ("auditor", 200, 403, 200, 200),
        ("volunteer", 403, 403, 403, 403),
        ("resident", 403, 403, 403, 403),
    ],
)
def test_the_report_pages_permission_matrix(
    world: World, make_login: Callable[..., Any], django_capture_on_commit_callbacks: Any,
    who: str, list_: int, new: int, detail: int, file: int,
) -> None:  # fmt: skip
    plan = make_plan(world)
    snapshot = generate(world, django_capture_on_commit_callbacks, plan)
    client = Client()
    client.force_login(make_login(community(world), who))
    base = f"/kortrijk/monitoring/plans/{plan.pk}/reports/"
    assert client.get(base).status_code == list_
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(
            base + "new/", {"kind": "funder", "language": "nl", "idempotency_key": f"k-{who}"}
        )
    assert made.status_code == new
    assert client.get(f"{base}{snapshot.pk}/").status_code == detail
    got = client.get(f"{base}{snapshot.pk}/files/pdf/")
    assert got.status_code == file
    if file == 200:
        assert got["Content-Type"] == "application/pdf"
        assert hashlib.sha256(got.content).hexdigest() in {f["sha256"] for f in snapshot.files}
    # Another community's coordinator finds none of it.
    theirs = Client()
    theirs.force_login(make_login(Community.objects.get(pk=world.other_id), "coordinator"))
    assert theirs.get(f"/elders/monitoring/plans/{plan.pk}/reports/").status_code == 404
    assert (
        theirs.get(
            f"/elders/monitoring/plans/{plan.pk}/reports/{snapshot.pk}/files/pdf/"
        ).status_code
        == 404
    )


def test_the_form_shows_a_bad_period_and_keeps_what_was_typed(
    world: World, make_login: Callable[..., Any]
) -> None:
    plan = make_plan(world)
    client = Client()
    client.force_login(make_login(community(world), "coordinator"))
    with translation.override("en"):
        page = client.post(
            f"/kortrijk/monitoring/plans/{plan.pk}/reports/new/",
            {"kind": "funder", "language": "en", "first_month": "2026-05",
             "last_month": "2026-02", "idempotency_key": "k-bad"},
            HTTP_ACCEPT_LANGUAGE="en",
        )  # fmt: skip
    assert page.status_code == 422
    assert "The end of the period lies before its start." in page.content.decode()
    assert not ReportSnapshot.objects.filter(plan=plan).exists()


def test_the_api_generates_reports_and_serves_the_same_files(
    world: World, api: Callable[..., Client], django_capture_on_commit_callbacks: Any
) -> None:
    plan = make_plan(world)
    client = api(community(world), ["coordinator"])
    body = json.dumps({"kind": "funder", "language": "en"})
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(
            f"/api/v1/monitoring/plans/{plan.pk}/reports", body,
            content_type="application/json", headers={"Idempotency-Key": "api-r-1"},
        )  # fmt: skip
    assert made.status_code == 202, made.content
    again = client.post(
        f"/api/v1/monitoring/plans/{plan.pk}/reports", body,
        content_type="application/json", headers={"Idempotency-Key": "api-r-1"},
    )  # fmt: skip
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    report_id = made.json()["id"]
    status = client.get(f"/api/v1/monitoring/reports/{report_id}").json()
    assert (status["status"], status["progress"]) == ("done", 100)
    assert status["figures"]["kind"] == "funder"
    for f in status["files"]:
        got = client.get(f"/api/v1/monitoring/reports/{report_id}/files/{f['format']}")
        assert got.status_code == 200
        assert hashlib.sha256(got.content).hexdigest() == f["sha256"]
    listed = client.get(f"/api/v1/monitoring/plans/{plan.pk}/reports").json()["items"]
    assert [r["id"] for r in listed] == [report_id]
    bad = client.post(
        f"/api/v1/monitoring/plans/{plan.pk}/reports",
        json.dumps({"kind": "funder", "first_month": "2026-05", "last_month": "2026-01"}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and "last_month" in bad.json()["fields"]
    staff = api(community(world), ["staff"])
    assert (
        staff.post(
            f"/api/v1/monitoring/plans/{plan.pk}/reports", body, content_type="application/json"
        ).status_code
        == 403
    )
    assert staff.get(f"/api/v1/monitoring/reports/{report_id}").status_code == 200
    theirs = api(Community.objects.get(pk=world.other_id), ["coordinator"])
    assert theirs.get(f"/api/v1/monitoring/reports/{report_id}").status_code == 404
    assert theirs.get(f"/api/v1/monitoring/reports/{report_id}/files/pdf").status_code == 404
