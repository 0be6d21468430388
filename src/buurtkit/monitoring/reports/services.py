"""Writes of reports: asking for one (``report_generate``) and making it in the background
(``report_build``, called by ``monitoring.tasks.report_build``).

A snapshot moves queued → running → done (or failed) and is never changed after that: the
files it points at are stored once under ``BUURTKIT_DATA_DIR/reports/`` by their sha256, so
what was sent can always be downloaded again, byte for byte.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import Conflict, ValidationFailed
from buurtkit.core.idempotency import clean_key, fingerprint, run_once, same_fingerprint
from buurtkit.core.indicators import add_months
from buurtkit.core.scoping import get_scoped
from buurtkit.core.tasks_util import enqueue_after_commit
from buurtkit.monitoring import rules, selectors
from buurtkit.monitoring.models import Plan, ReportKind, ReportSnapshot, ReportStatus
from buurtkit.monitoring.reports import figures as report_figures
from buurtkit.monitoring.reports import writers

log = logging.getLogger(__name__)

TASK = "buurtkit.monitoring.tasks.report_build"

#: The steps of making a report, with the percent reached when each one starts.
STEPS = {"queued": 0, "figures": 10, "xlsx": 45, "pdf": 70, "csv": 85, "done": 100}


def reports_dir() -> Path:
    return Path(settings.DATA_DIR) / "reports"


def _store(community_id: int, data: bytes, suffix: str) -> tuple[str, str]:
    """Write ``data`` once under reports/<community>/<sha[:2]>/<sha>.<suffix>; (path, sha)."""
    sha = hashlib.sha256(data).hexdigest()
    relative = f"{community_id}/{sha[:2]}/{sha}.{suffix}"
    target = reports_dir() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    return relative, sha


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def report_period(
    *, plan: Plan, kind: str, first_month: date | None, last_month: date | None, today: date
) -> tuple[date, date]:
    """The report's months (first days): checked, with defaults per kind.

    A funder's report covers the plan from its start to this month (or its end); a steering
    group report covers one calendar quarter (default: this one); open statistics any period
    of at most ``rules.MAX_MONTHS`` months (default: the plan's).
    """
    this = today.replace(day=1)
    plan_first, plan_last = plan.starts_on.replace(day=1), plan.ends_on.replace(day=1)
    if kind == ReportKind.STEERING:
        start = _quarter_start(first_month or this)
        default_last = add_months(start, 2)
    else:
        start = (first_month or plan_first).replace(day=1)
        default_last = min(max(this, start), plan_last)
    last = (last_month or default_last).replace(day=1)
    if last < start:
        msg = _("The end of the period lies before its start.")
        raise ValidationFailed(msg, fields={"last_month": msg}, code="bad_period")
    if rules.months_in(start, last) > rules.MAX_MONTHS:
        msg = _("Choose a period of at most %(n)d months.") % {"n": rules.MAX_MONTHS}
        raise ValidationFailed(msg, fields={"last_month": msg}, code="bad_period")
    if kind == ReportKind.STEERING and (
        start != _quarter_start(start) or last != add_months(start, 2)
    ):
        msg = _("A steering group report covers one quarter: three months from January, April, July or October.")  # fmt: skip
        raise ValidationFailed(msg, fields={"first_month": msg}, code="bad_period")
    if kind != ReportKind.OPEN_STATISTICS and (start < plan_first or last > plan_last):
        msg = _("The period lies outside the plan (%(start)s to %(end)s).") % {
            "start": plan.starts_on.isoformat(),
            "end": plan.ends_on.isoformat(),
        }
        raise ValidationFailed(
            msg, fields={"first_month" if start < plan_first else "last_month": msg},
            code="bad_period",
        )  # fmt: skip
    return start, last


@transaction.atomic
def report_generate(
    *,
    actor: Actor,
    plan_id: int,
    kind: str,
    first_month: date | None = None,
    last_month: date | None = None,
    language: str = "nl",
    idempotency_key: str | None = None,
) -> ReportSnapshot:
    """Ask for a report: a queued snapshot, made in the background once this commits.

    A retry with the same Idempotency-Key gets the same snapshot back (``replayed``)."""
    actor.require("monitoring.manage")
    plan = get_scoped(Plan, actor.community, pk=plan_id)  # another community's: not found
    if kind not in ReportKind.values:
        msg = _("Choose a kind of report.")
        raise ValidationFailed(msg, fields={"kind": msg})
    if language not in _languages():
        msg = _("Choose a language: %(languages)s.") % {"languages": ", ".join(_languages())}
        raise ValidationFailed(msg, fields={"language": msg})
    first, last = report_period(
        plan=plan, kind=kind, first_month=first_month, last_month=last_month,
        today=selectors.local_today(),
    )  # fmt: skip
    key = clean_key(idempotency_key, required=False)
    request_hash = fingerprint([plan.pk, kind, first, last, language])

    def create() -> ReportSnapshot:
        snapshot = ReportSnapshot.objects.create(
            community=actor.community, plan=plan, kind=kind, language=language,
            first_month=first, last_month=last, status=ReportStatus.QUEUED, step="queued",
            requested_at=clock.now(), idempotency_key=key,
            request_hash=request_hash,
        )  # fmt: skip
        audit_record(actor=actor, verb="monitoring.report_requested", obj=snapshot)
        enqueue_after_commit(TASK, snapshot.pk)
        return snapshot

    if not key:
        return create()
    return run_once(
        queryset=ReportSnapshot.objects.in_community(actor.community),  # type: ignore[attr-defined]
        key=key,
        same=same_fingerprint(request_hash),
        create=create,
        conflict=_("This idempotency key was used for another report."),
    )


def _step(snapshot_id: int, step: str, **fields: Any) -> None:
    """Show how far the making is (its own small commit, so the page polling sees it)."""
    ReportSnapshot.objects.filter(pk=snapshot_id, status=ReportStatus.RUNNING).update(
        step=step, progress=STEPS[step], **fields
    )


def report_build(*, snapshot_id: int) -> ReportSnapshot:
    """Make a queued snapshot's figures and files (the background task). Idempotent: a
    snapshot that is running, done or failed is left as it is."""
    with transaction.atomic():
        snapshot = ReportSnapshot.objects.select_for_update().get(pk=snapshot_id)
        if snapshot.status != ReportStatus.QUEUED:
            return snapshot
        snapshot.status, snapshot.step, snapshot.progress = ReportStatus.RUNNING, "figures", 5
        snapshot.save(update_fields=["status", "step", "progress"])
    try:
        _build(snapshot)
    except Exception as exc:  # the snapshot says it failed; the logs say why
        log.exception("report snapshot %s failed", snapshot_id)
        ReportSnapshot.objects.filter(pk=snapshot_id, status=ReportStatus.RUNNING).update(
            status=ReportStatus.FAILED, error=str(exc)[:300], finished_at=clock.now()
        )
    return ReportSnapshot.objects.get(pk=snapshot_id)


def _build(snapshot: ReportSnapshot) -> None:
    community = snapshot.community
    actor = Actor.system(community, label="reports")
    with translation.override(snapshot.language):
        figures = report_figures.collect(
            actor=actor, plan=snapshot.plan, kind=snapshot.kind, first=snapshot.first_month,
            last=snapshot.last_month, today=selectors.local_today(),
        )  # fmt: skip
        _step(snapshot.pk, "xlsx", figures=figures)
        stem = _file_stem(snapshot)
        made = [("xlsx", writers.xlsx(figures))]
        if snapshot.kind == ReportKind.OPEN_STATISTICS:
            _step(snapshot.pk, "csv")
            made.append(("csv", writers.csv(figures)))
        else:
            _step(snapshot.pk, "pdf")
            made.append(("pdf", writers.pdf(figures)))
    files = []
    for fmt, data in made:
        path, sha = _store(community.pk, data, fmt)
        files.append(
            {"format": fmt, "name": f"{stem}.{fmt}", "path": path, "sha256": sha, "size": len(data)}
        )
    done = ReportSnapshot.objects.filter(pk=snapshot.pk, status=ReportStatus.RUNNING).update(
        status=ReportStatus.DONE, step="done", progress=100, files=files,
        finished_at=clock.now(),
    )  # fmt: skip
    if not done:
        raise Conflict(_("The report changed while it was being made."))


def _file_stem(snapshot: ReportSnapshot) -> str:
    period = f"{snapshot.first_month:%Y-%m}_{snapshot.last_month:%Y-%m}"
    return f"{snapshot.kind}-{snapshot.plan_id}-{period}-{snapshot.language}-{snapshot.pk}"
