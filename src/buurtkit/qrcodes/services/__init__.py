"""Every write on QR codes: keyword-only, permission-checked, atomic, audited, in history.

One module per seam; this package re-exports their public names, so callers keep writing
``from buurtkit.qrcodes import services`` and ``services.code_create(...)``:

- :mod:`.codes`: making and changing codes (one, many, claiming blank ones, bulk operations);
- :mod:`.routes`: a code's routes; :mod:`.imports`: spreadsheet rows → codes, by slug;
- :mod:`.batches`: ordering blank codes, made in the background;
- :mod:`.forms`: forms behind codes and their answers; :mod:`.webhooks`: signed deliveries;
- :mod:`.statistics`: daily roll-ups and pruning of single scans;
- :mod:`.reservations`: bookable resources, slots, bookings (no double booking), no-shows;
- :mod:`.checkins`: entrances, check-in and out, "who is in now", kiosks (shared tablets);
- :mod:`.retention`: personal data of bookings, visits and form answers cleared when due;
- :mod:`.scanning`: a scan of ``/q/<code>`` decided in one call, returning an outcome to render.

The private modules (``_rules``, ``_history``, ``_form_fields``, ``_outbound``, ``_bulk_insert``)
hold the helpers below them; they import no service module. Background tasks are named by
dotted path (``tasks.py`` imports this package, never the other way round).
"""

from __future__ import annotations

from buurtkit.qrcodes.services._form_fields import FIELD_TYPES, MAX_FIELDS, clean_answers
from buurtkit.qrcodes.services._history import snapshot
from buurtkit.qrcodes.services._outbound import (
    WEBHOOK_TIMEOUT,
    Resolver,
    WebhookTarget,
    check_webhook_url,
    is_public,
    resolve_webhook_url,
    retry_delay,
    sign,
)
from buurtkit.qrcodes.services._rules import MAX_TAGS, can_edit
from buurtkit.qrcodes.services.batches import BATCH_CHUNK, MAX_BATCH, batch_create, batch_run
from buurtkit.qrcodes.services.checkins import (
    KIOSK_COOKIE,
    KIOSK_MAX_AGE,
    kiosk_allows,
    kiosk_register,
    kiosk_revoke,
    point_create,
    point_update,
    visit_check_in,
    visit_check_out,
    visits_auto_check_out,
)
from buurtkit.qrcodes.services.codes import (
    BULK_OPERATIONS,
    CODE_FIELDS,
    MAX_CODES_AT_ONCE,
    code_claim,
    code_create,
    code_set_status,
    code_update,
    codes_bulk,
    codes_create_many,
)
from buurtkit.qrcodes.services.forms import form_create, form_update, submission_create
from buurtkit.qrcodes.services.imports import codes_import, codes_import_file
from buurtkit.qrcodes.services.reservations import (
    booking_cancel,
    booking_check_in,
    booking_create,
    bookings_mark_no_shows,
    clean_contact,
    resource_create,
    resource_update,
    slots_add,
)
from buurtkit.qrcodes.services.retention import personal_data_expire
from buurtkit.qrcodes.services.routes import clean_routes, routes_set
from buurtkit.qrcodes.services.scanning import (
    ANONYMOUS_VIEWER,
    FORM_POSTS_PER_10_MIN,
    ApiAnswer,
    ApiRefused,
    ClaimCode,
    CodeNotFound,
    CodeUnavailable,
    FormAnswered,
    RedirectTo,
    ScanOutcome,
    ShowForm,
    ShowPage,
    Viewer,
    public_post_limited,
    scan_resolve,
)
from buurtkit.qrcodes.services.statistics import (
    ROLLUP_GRACE,
    SCANS_KEEP_DAYS,
    rollup_day,
    rollup_pending,
    scans_prune,
    scans_rollup_and_prune,
)
from buurtkit.qrcodes.services.webhooks import (
    WEBHOOK_ATTEMPTS,
    delivery_attempt,
    scan_to_webhook,
    webhook_create,
    webhook_rotate_secret,
    webhook_set_active,
)


def presence_tick() -> dict[str, int]:
    """The scheduler's ``qr_presence`` job: no-shows after their slot, and everyone still
    checked in on an earlier day checked out at the end of that day."""
    return {"no_shows": bookings_mark_no_shows(), "checked_out": visits_auto_check_out()}


__all__ = [
    "ANONYMOUS_VIEWER",
    "BATCH_CHUNK",
    "BULK_OPERATIONS",
    "CODE_FIELDS",
    "FIELD_TYPES",
    "FORM_POSTS_PER_10_MIN",
    "KIOSK_COOKIE",
    "KIOSK_MAX_AGE",
    "MAX_BATCH",
    "MAX_CODES_AT_ONCE",
    "MAX_FIELDS",
    "MAX_TAGS",
    "ROLLUP_GRACE",
    "SCANS_KEEP_DAYS",
    "WEBHOOK_ATTEMPTS",
    "WEBHOOK_TIMEOUT",
    "ApiAnswer",
    "ApiRefused",
    "ClaimCode",
    "CodeNotFound",
    "CodeUnavailable",
    "FormAnswered",
    "RedirectTo",
    "Resolver",
    "ScanOutcome",
    "ShowForm",
    "ShowPage",
    "Viewer",
    "WebhookTarget",
    "batch_create",
    "batch_run",
    "booking_cancel",
    "booking_check_in",
    "booking_create",
    "bookings_mark_no_shows",
    "can_edit",
    "check_webhook_url",
    "clean_answers",
    "clean_contact",
    "clean_routes",
    "code_claim",
    "code_create",
    "code_set_status",
    "code_update",
    "codes_bulk",
    "codes_create_many",
    "codes_import",
    "codes_import_file",
    "delivery_attempt",
    "form_create",
    "form_update",
    "is_public",
    "kiosk_allows",
    "kiosk_register",
    "kiosk_revoke",
    "personal_data_expire",
    "point_create",
    "point_update",
    "presence_tick",
    "public_post_limited",
    "resolve_webhook_url",
    "resource_create",
    "resource_update",
    "retry_delay",
    "rollup_day",
    "rollup_pending",
    "routes_set",
    "scan_resolve",
    "scan_to_webhook",
    "scans_prune",
    "scans_rollup_and_prune",
    "sign",
    "slots_add",
    "snapshot",
    "submission_create",
    "visit_check_in",
    "visit_check_out",
    "visits_auto_check_out",
    "webhook_create",
    "webhook_rotate_secret",
    "webhook_set_active",
]
