"""The staff import page: a CSV/XLSX file is checked first (dry run, per-row results), then imported."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from buurtkit.core.models import Community
from buurtkit.qrcodes.models import Code

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
GOOD = (
    "slug,title,tags,team,url\n"
    "bank-noordpark,Bank Noord,bank,groendienst,https://example.org/noord\n"
    'bank-zuid,Bank Zuid,"bank, park",,https://example.org/zuid\n'
)


@pytest.fixture
def staff(login_client: Callable[..., Client], community: Community, team: Any) -> Client:
    return login_client(community, "coordinator")


def upload(
    client: Client, community: Community, text: str | bytes, name: str = "codes.csv", **extra: Any
) -> Any:
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        f"/{community.slug}/qr/import/",
        {"step": "check", "file": SimpleUploadedFile(name, data), **extra},
        **EN,
    )


def confirm(client: Client, community: Community, token: str) -> Any:
    return client.post(f"/{community.slug}/qr/import/", {"step": "import", "token": token}, **EN)


def test_check_first_then_import(staff: Client, community: Community) -> None:
    page = staff.get(f"/{community.slug}/qr/import/", **EN)
    assert page.status_code == 200
    assert 'type="file"' in page.content.decode()

    checked = upload(staff, community, GOOD)
    assert checked.status_code == 200
    assert [(r["row"], r["slug"], r["action"]) for r in checked.context["results"]] == [
        (2, "bank-noordpark", "created"),
        (3, "bank-zuid", "created"),
    ]
    assert "will be made" in checked.content.decode()
    assert not Code.objects.exists()  # the check saves nothing

    done = confirm(staff, community, checked.context["token"])
    assert done.status_code == 200
    assert done.context["created"] == 2
    noord = Code.objects.get(slug="bank-noordpark")
    assert noord.owner is not None and noord.owner.slug == "groendienst"
    assert sorted(Code.objects.get(slug="bank-zuid").tags.values_list("name", flat=True)) == [
        "bank",
        "park",
    ]
    # The same check cannot be imported twice.
    again = confirm(staff, community, checked.context["token"])
    assert again.status_code == 400
    assert Code.objects.count() == 2

    # A second file changes a known code by its slug.
    changed = upload(staff, community, "slug,title\nbank-noordpark,Bank Noord (park)\nbank-zuid,\n")
    assert [r["action"] for r in changed.context["results"]] == ["updated", "unchanged"]
    confirm(staff, community, changed.context["token"])
    assert Code.objects.get(slug="bank-noordpark").title == "Bank Noord (park)"


def test_bad_rows_are_shown_per_row(staff: Client, community: Community) -> None:
    text = (
        "slug,title,team,url\n"
        "goed,Goed,,https://example.org/\n"
        "slecht,Slecht,geen-team,https://example.org/\n"
        "ftp,Ftp,,ftp://example.org/\n"
    )
    checked = upload(staff, community, text)
    results = checked.context["results"]
    assert [r["ok"] for r in results] == [True, False, False]
    page = checked.content.decode()
    assert "There is no team “geen-team” here." in page
    assert "Import the 1 good rows" in page or "Import the good row" in page
    confirm(staff, community, checked.context["token"])
    assert list(Code.objects.values_list("slug", flat=True)) == ["goed"]


def test_all_or_nothing_offers_no_import_with_a_bad_row(
    staff: Client, community: Community
) -> None:
    text = "slug,url\ngoed,https://example.org/\nslecht,javascript:alert(1)\n"
    checked = upload(staff, community, text, atomic="on")
    page = checked.content.decode()
    assert "Nothing can be imported" in page
    assert 'name="token"' in page  # the form is there, but without an import button
    assert "Import the" not in page


def test_xlsx_file(staff: Client, community: Community) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["slug", "title", "url"])
    sheet.append(["poster-bieb", "Affiche", "https://example.org/bib"])
    out = io.BytesIO()
    book.save(out)
    checked = upload(staff, community, out.getvalue(), name="codes.xlsx")
    assert [r["slug"] for r in checked.context["results"]] == ["poster-bieb"]
    confirm(staff, community, checked.context["token"])
    assert Code.objects.get(slug="poster-bieb").title == "Affiche"


def test_unreadable_file_is_an_error_on_the_field(staff: Client, community: Community) -> None:
    response = upload(staff, community, "naam,adres\nx,y\n")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Unknown column" in page
    assert 'aria-invalid="true"' in page
    assert upload(staff, community, b"\x00\x01binary", name="x.xlsx").status_code == 400
    nothing = staff.post(f"/{community.slug}/qr/import/", {"step": "check"}, **EN)
    assert nothing.status_code == 400
    assert "Choose a CSV or XLSX file." in nothing.content.decode()


def test_only_staff_who_may_make_codes(
    client: Client,
    login_client: Callable[..., Client],
    community: Community,
    other_community: Community,
) -> None:
    url = f"/{community.slug}/qr/import/"
    assert client.get(url).status_code == 302
    assert login_client(community, "volunteer").get(url).status_code == 403  # view only
    # Another community's staff get nothing here, and a token is per community.
    theirs = login_client(other_community, "coordinator")
    assert theirs.get(url).status_code == 403
    checked = upload(theirs, other_community, GOOD.replace("groendienst", ""))
    assert confirm(theirs, community, checked.context["token"]).status_code == 403
    assert not Code.objects.filter(community=community).exists()
