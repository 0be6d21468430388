"""Recording scans without slowing or breaking the answer.

``QR_SCAN_RECORDING``:
- ``buffered`` (default): scans go to an in-process buffer; a background thread writes them in
  bulk every ``QR_SCAN_FLUSH_SECONDS`` (1 s) or when ``QR_SCAN_BUFFER_SIZE`` (2000) are waiting,
  and once more when the process exits. A crash loses at most that second of statistics, never an
  answer to a scanner.
- ``sync``: written at once, in the request (tests, and installs that prefer that).
- ``off``: not recorded.

Whatever happens while writing (database down, disk full) is logged and swallowed.

No IP address is stored. ``visitor`` is a hash of address and browser with a salt made fresh each
day and thrown away two days later, so unique visitors per day can be counted but a hash can
never be traced back to an address.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import logging
import os
import secrets
import threading
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import F

from buurtkit.core import clock
from buurtkit.qrcodes.routing import BRUSSELS

log = logging.getLogger("buurtkit.qrcodes")

_lock = threading.Lock()
_buffer: list[dict[str, Any]] = []
_orphans: list[tuple[dt.date, str]] = []
_thread: threading.Thread | None = None
_thread_pid = 0
_wake = threading.Event()
_salts: dict[dt.date, str] = {}


def mode() -> str:
    return str(getattr(settings, "QR_SCAN_RECORDING", "buffered"))


def local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(BRUSSELS).date()


def _salt(day: dt.date) -> str:
    salt = _salts.get(day)
    if salt is not None:
        return salt
    from buurtkit.qrcodes.models import DailySalt

    try:
        with transaction.atomic():
            row, _created = DailySalt.objects.get_or_create(
                day=day, defaults={"salt": secrets.token_hex(16)}
            )
    except IntegrityError:  # another process made it first
        row = DailySalt.objects.get(day=day)
    _salts.clear()
    _salts[day] = row.salt
    return row.salt


def visitor_hash(day: dt.date, address: str, user_agent: str) -> str:
    digest = hashlib.sha256(f"{_salt(day)}|{address}|{user_agent}".encode()).hexdigest()
    return digest[:16]


def record(
    *,
    community_id: int,
    code_id: int,
    address: str,
    user_agent: str,
    device: str,
    os_name: str,
    language: str,
    route: int | None,
    outcome: str,
    source: str,
    bot: bool,
) -> None:
    """Note one scan. Never raises."""
    try:
        current = mode()
        if current == "off":
            return
        at = clock.now()
        day = local_day(at)
        row = {
            "community_id": community_id,
            "code_id": code_id,
            "at": at,
            "day": day,
            "visitor": visitor_hash(day, address, user_agent[:300]),
            "device": device,
            "os": os_name,
            "language": language[:5],
            "route": route,
            "outcome": outcome[:12],
            "source": source[:30],
            "bot": bot,
        }
        if current == "sync":
            _write([row], [])
            return
        _enqueue(row=row)
    except Exception:
        log.exception("could not record a scan")


def record_orphan(text: str) -> None:
    """Note a scan of a code that does not exist. Never raises."""
    try:
        current = mode()
        if current == "off":
            return
        entry = (local_day(clock.now()), text.strip()[:40])
        if current == "sync":
            _write([], [entry])
            return
        _enqueue(orphan=entry)
    except Exception:
        log.exception("could not record an orphan scan")


def _enqueue(row: dict[str, Any] | None = None, orphan: tuple[dt.date, str] | None = None) -> None:
    _ensure_thread()
    with _lock:
        if row is not None:
            _buffer.append(row)
        if orphan is not None:
            _orphans.append(orphan)
        full = len(_buffer) >= int(getattr(settings, "QR_SCAN_BUFFER_SIZE", 2000))
    if full:
        _wake.set()


def pending() -> int:
    with _lock:
        return len(_buffer) + len(_orphans)


def flush() -> int:
    """Write what is waiting. Returns how many scans were written (0 if the store failed)."""
    with _lock:
        rows, orphans = _buffer[:], _orphans[:]
        _buffer.clear()
        _orphans.clear()
    if not rows and not orphans:
        return 0
    try:
        _write(rows, orphans)
    except Exception:
        log.exception("could not write %d scans; they are dropped", len(rows))
        return 0
    return len(rows)


_COLUMNS = (
    "community_id",
    "code_id",
    "at",
    "day",
    "visitor",
    "device",
    "os",
    "language",
    "route",
    "outcome",
    "source",
    "bot",
)


def _write(rows: list[dict[str, Any]], orphans: list[tuple[dt.date, str]]) -> None:
    """One transaction: the scans with a single ``executemany`` (no model objects: this runs
    beside the requests, in the same process, and must cost them as little as possible)."""
    from buurtkit.qrcodes.models import OrphanScan, Scan

    with transaction.atomic():
        if rows:
            connection = transaction.get_connection()
            ops = connection.ops
            table = ops.quote_name(Scan._meta.db_table)
            columns = ", ".join(ops.quote_name(c) for c in _COLUMNS)
            marks = ", ".join(["%s"] * len(_COLUMNS))
            values = [
                tuple(
                    connection.ops.adapt_datetimefield_value(row[c]) if c == "at" else row[c]
                    for c in _COLUMNS
                )
                for row in rows
            ]
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)  # noqa: S608 - names are ours
        counts: dict[tuple[dt.date, str], int] = {}
        for entry in orphans:
            counts[entry] = counts.get(entry, 0) + 1
        for (day, text), n in counts.items():
            if OrphanScan.objects.filter(day=day, code=text).update(scans=F("scans") + n):
                continue
            try:
                with transaction.atomic():
                    OrphanScan.objects.create(day=day, code=text, scans=n)
            except IntegrityError:  # another process made the row just now
                OrphanScan.objects.filter(day=day, code=text).update(scans=F("scans") + n)


def _ensure_thread() -> None:
    global _thread, _thread_pid
    pid = os.getpid()
    if _thread is not None and _thread_pid == pid and _thread.is_alive():
        return
    with _lock:
        if _thread is not None and _thread_pid == pid and _thread.is_alive():
            return
        if _thread_pid != pid:  # a forked worker must not write its parent's buffer
            _buffer.clear()
            _orphans.clear()
        _thread_pid = pid
        _thread = threading.Thread(target=_run, name="qr-scan-flusher", daemon=True)
        _thread.start()


def _run() -> None:
    interval = float(getattr(settings, "QR_SCAN_FLUSH_SECONDS", 1.0))
    while True:
        _wake.wait(interval)
        _wake.clear()
        close_old_connections()
        flush()


atexit.register(flush)
