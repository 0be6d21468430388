"""Scan statistics: finished days summed into daily rows, old single scans pruned."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q

from buurtkit.core import clock
from buurtkit.qrcodes.models import (
    CodeDay,
    CommunityDay,
    CommunityScanDaily,
    DailySalt,
    RolledUpDay,
    Scan,
    ScanDaily,
)
from buurtkit.qrcodes.recording import local_day


@transaction.atomic
def rollup_day(*, community_id: int, day: dt.date) -> int:
    """Sum one day's scans into :class:`ScanDaily` and :class:`CodeDay` (per code) and into
    :class:`CommunityScanDaily` and :class:`CommunityDay` (all codes together). Safe to run
    again. Returns the number of codes that were scanned that day."""
    scans = Scan.objects.in_community(community_id).filter(day=day)
    rolled = RolledUpDay.objects.in_community(community_id).filter(day=day)
    if rolled.exists() and not scans.exists():
        return 0  # the single scans were pruned: the sums are all that is left, keep them
    for model in (ScanDaily, CodeDay, CommunityScanDaily, CommunityDay):
        model.objects.in_community(community_id).filter(day=day).delete()
    dims = ("route", "source", "device", "language", "bot")
    groups = list(scans.values("code_id", *dims).annotate(n=Count("id")).order_by())
    whole: dict[tuple[Any, ...], int] = {}
    for g in groups:
        g["route"] = -1 if g["route"] is None else g["route"]
        key = tuple(g[d] for d in dims)
        whole[key] = whole.get(key, 0) + g["n"]
    ScanDaily.objects.bulk_create(
        [
            ScanDaily(
                community_id=community_id,
                code_id=g["code_id"],
                day=day,
                scans=g["n"],
                **{d: g[d] for d in dims},
            )
            for g in groups
        ],
        batch_size=1000,
    )
    CommunityScanDaily.objects.bulk_create(
        [
            CommunityScanDaily(
                community_id=community_id, day=day, scans=n, **dict(zip(dims, key, strict=True))
            )
            for key, n in whole.items()
        ],
        batch_size=1000,
    )
    per_code = (
        scans.values("code_id")
        .annotate(
            n=Count("id", filter=Q(bot=False)),
            v=Count("visitor", distinct=True, filter=Q(bot=False)),
            b=Count("id", filter=Q(bot=True)),
        )
        .order_by()
    )
    days = [
        CodeDay(
            community_id=community_id,
            code_id=row["code_id"],
            day=day,
            scans=row["n"],
            visitors=row["v"],
            bot_scans=row["b"],
        )
        for row in per_code
    ]
    CodeDay.objects.bulk_create(days, batch_size=1000)
    if days:
        CommunityDay.objects.create(
            community_id=community_id,
            day=day,
            scans=sum(d.scans for d in days),
            visitors=sum(d.visitors for d in days),
            bot_scans=sum(d.bot_scans for d in days),
        )
    RolledUpDay.objects.update_or_create(
        community_id=community_id, day=day, defaults={"at": clock.now()}
    )
    return len(days)


#: A day is finished this long after midnight (Brussels): scans still waiting in a process's
#: buffer at midnight are written by then, so the roll-up does not miss them.
ROLLUP_GRACE = timedelta(minutes=5)


def rollup_pending(
    *, community_id: int | None = None, today: dt.date | None = None, full: bool = False
) -> int:
    """Roll up the finished days that have scans and are not rolled up yet. Returns days done.

    By default only days after a community's last rolled-up day are looked at: an index range
    over the few newest scans, cheap enough to run before every dashboard. ``full`` also looks
    for older days that still have single scans but no sums (the nightly command does).
    """
    today = today or local_day(clock.now() - ROLLUP_GRACE)
    scans = Scan.objects.filter(day__lt=today)
    rolled = RolledUpDay.objects.filter(day__lt=today)
    if community_id is not None:
        scans = scans.filter(community_id=community_id)
        rolled = rolled.filter(community_id=community_id)
    if full:
        pairs = set(scans.values_list("community_id", "day").distinct())
        todo = sorted(pairs - set(rolled.values_list("community_id", "day")))
    else:
        last = dict(
            rolled.values("community_id")
            .annotate(last=Max("day"))
            .order_by()
            .values_list("community_id", "last")
        )
        newer = ~Q(community_id__in=list(last))
        for cid, day in last.items():
            newer |= Q(community_id=cid, day__gt=day)
        todo = sorted(set(scans.filter(newer).values_list("community_id", "day").distinct()))
    for cid, day in todo:
        try:
            rollup_day(community_id=cid, day=day)
        except IntegrityError:
            continue  # another process rolled it up at the same moment
    return len(todo)


def scans_prune(*, keep_days: int = 400, today: dt.date | None = None) -> int:
    """Delete single scans older than ``keep_days`` (their daily sums stay) and old salts."""
    today = today or local_day(clock.now())
    rollup_pending(today=today, full=True)
    limit = today - timedelta(days=keep_days)
    summed = RolledUpDay.objects.filter(community_id=OuterRef("community_id"), day=OuterRef("day"))
    deleted, _detail = Scan.objects.filter(Exists(summed), day__lt=limit).delete()
    DailySalt.objects.filter(day__lt=today - timedelta(days=2)).delete()
    return deleted


SCANS_KEEP_DAYS = 400


def scans_rollup_and_prune(keep_days: int = SCANS_KEEP_DAYS) -> str:
    """The nightly ``qr_rollup`` job (and ``buurtkit qr_rollup``): sum finished days of scans,
    delete single scans older than ``keep_days`` (their daily sums stay). Says what it did."""
    days = rollup_pending(full=True)
    deleted = scans_prune(keep_days=keep_days)
    return (
        f"{days} day(s) of scans summed; "
        f"{deleted} single scan(s) older than {keep_days} days deleted"
    )
