"""Retention per form, resource and entrance: personal data is cleared when its time is up.

Each bookable resource and check-in point says how many days names and contacts are kept
(``keep_days``, 14 by default), a form may say it too (``Form.keep_days``; empty: until staff
remove the answers). The nightly job :func:`personal_data_expire` (``core.scheduler``, job
``qr_retention``) anonymises what is older: the rows stay, so the counts (bookings, no-shows,
visitors per day, answers per choice) survive; names, phone numbers, e-mails and typed texts go.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from buurtkit.core import clock
from buurtkit.core.anonymising import force_update
from buurtkit.qrcodes.models import Booking, CheckInPoint, Form, Resource, Submission, Visit

#: Form answer types that describe the person in their own words; cleared at expiry.
FREE_TYPES = frozenset({"text", "phone", "email"})


def _bookings(now: dt.datetime) -> int:
    count = 0
    for resource in Resource.objects.all().only("pk", "keep_days"):
        limit = now - dt.timedelta(days=resource.keep_days)
        count += Booking.objects.filter(
            resource=resource, anonymised=False, slot__ends_at__lt=limit
        ).update(name="", contact="", person=None, anonymised=True)
    return count


def _visits(now: dt.datetime) -> int:
    count = 0
    for point in CheckInPoint.objects.all().only("pk", "keep_days"):
        limit = now - dt.timedelta(days=point.keep_days)
        count += Visit.objects.filter(
            point=point, anonymised=False, in_at__lt=limit, out_at__isnull=False
        ).update(name="", person=None, anonymised=True)
    return count


def _submissions(now: dt.datetime) -> int:
    count = 0
    for form in Form.objects.filter(keep_days__isnull=False).only("pk", "fields", "keep_days"):
        assert form.keep_days is not None
        limit = now - dt.timedelta(days=form.keep_days)
        free = {f["key"] for f in form.fields if f.get("type") in FREE_TYPES}
        for submission in Submission.objects.filter(form=form, expired=False, at__lt=limit):
            cleared = {k: ("" if k in free else v) for k, v in submission.data.items()}
            force_update(
                Submission.objects.filter(pk=submission.pk),
                data=cleared,
                submitted_by="",
                expired=True,
            )
            count += 1
    return count


@transaction.atomic
def personal_data_expire() -> dict[str, int]:
    """Anonymise bookings, visits and form answers older than their retention period (all
    communities). Returns how many of each; running it again changes nothing more."""
    now = clock.now()
    return {"bookings": _bookings(now), "visits": _visits(now), "answers": _submissions(now)}
