"""The helpdesk phone line's settings: the service's checks and the coordinators' page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from buurtkit.core.errors import ValidationFailed
from buurtkit.helpdesk import services
from buurtkit.helpdesk.models import HelpdeskSettings
from buurtkit.helpdesk.services.phone import in_hours, staff_on_duty

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Brussels")


def test_the_page_saves_number_staff_phones_and_office_hours(community, login_client):
    client = login_client(community, "coordinator")
    response = client.post(
        "/rabot/helpdesk/phone/",
        {
            "phone_number": "056 27 77 77",
            "staff_numbers": "0470 11 22 33\n0470 11 22 33\n056 23 91 11",
            "hours": "1-5 09:00-12:00\n3 13:00-16:00",
        },
    )
    assert response.status_code == 302
    found = HelpdeskSettings.objects.get(community=community)
    assert found.phone_number == "+3256277777"
    assert found.phone_staff_numbers == ["+32470112233", "+3256239111"]  # normalised, once
    assert found.phone_hours == [
        {"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "12:00"},
        {"days": [3], "from": "13:00", "to": "16:00"},
    ]
    page = client.get("/rabot/helpdesk/phone/").content.decode()
    assert "1-5 09:00-12:00\n3 13:00-16:00" in page
    # Wednesday 14:00 is open (the afternoon slot), Thursday 14:00 is not.
    wednesday = dt.datetime(2026, 11, 25, 14, 0, tzinfo=TZ)
    assert staff_on_duty(found, wednesday) == "+32470112233"
    assert staff_on_duty(found, wednesday + dt.timedelta(days=1)) == ""
    assert not in_hours(found.phone_hours, wednesday.replace(hour=12))  # "to" is exclusive


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ("1-5 9:00-12:00", "hours"),
        ("8 09:00-12:00", "hours"),
        ("1 12:00-09:00", "hours"),
        ("maandag", "hours"),
    ],
)
def test_the_page_refuses_unclear_office_hours(community, login_client, hours, field):
    client = login_client(community, "coordinator")
    response = client.post(
        "/rabot/helpdesk/phone/", {"phone_number": "", "staff_numbers": "", "hours": hours}
    )
    assert response.status_code == 422
    assert not HelpdeskSettings.objects.filter(community=community).exclude(phone_hours=[]).exists()


def test_one_number_belongs_to_one_communitys_helpdesk(system, other_system):
    services.phone_settings_update(
        actor=system, phone_number="+3256277777", staff_numbers=[], hours=[]
    )
    with pytest.raises(ValidationFailed) as refused:
        services.phone_settings_update(
            actor=other_system, phone_number="056 27 77 77", staff_numbers=[], hours=[]
        )
    assert "phone_number" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        services.phone_settings_update(
            actor=system,
            phone_number="+3256277777",
            staff_numbers=["056 27 77 77"],
            hours=[],
        )
    assert "staff_numbers" in refused.value.fields
    with pytest.raises(ValidationFailed):
        services.phone_settings_update(actor=system, phone_number="12", staff_numbers=[], hours=[])
