"""Benchmark: a batch of N blank QR codes and its 3 × 8 print-sheet PDF.

    .venv/bin/python bench/qr_batch.py [--codes 100000] [--preset 3x8] [--error M] [--keep PATH]

Uses a fresh SQLite database in a temporary data dir, or, with DATABASE_URL set, a throw-away
database next to the configured one (``<name>_tmp``, made and dropped by Django's test-database
utilities). Creates the batch through ``services.batch_create`` and makes its codes with
``services.batch_run`` (run here, synchronously, as the worker would), then renders every code
onto A4 label sheets with ``exports.write_sheet`` into a temporary file. Prints the seconds of
each step, the total (the issue's target: under 60 s for 100,000 codes) and the PDF's size.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--preset", default="3x8")
    parser.add_argument("--error", default="M")
    parser.add_argument("--keep", help="also copy the PDF to this path")
    args = parser.parse_args()

    os.environ.setdefault("BUURTKIT_DATA_DIR", tempfile.mkdtemp(prefix="buurtkit-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtkit.conf.settings_test")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from django.db import connection

    creation = connection.creation
    if connection.vendor != "sqlite":
        # Never the configured database itself nor the test suite's: a throw-away one beside it.
        name = connection.settings_dict["NAME"]
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{name}_tmp"
    import _template_db  # bench/: CI's smoke runs copy one migrated database

    db_name = _template_db.create_test_db(connection, verbosity=0)
    try:
        from buurtkit.core.actor import Actor
        from buurtkit.core.services import community_create
        from buurtkit.qrcodes import exports, selectors, services
        from buurtkit.qrcodes.models import Batch

        community = community_create(name="Bench", slug="bench", enabled_modules=["qrcodes"])
        actor = Actor.system(community, label="bench")
        print(
            f"buurtkit QR batch benchmark ({connection.vendor}, {args.codes:,} codes, "
            f"{args.preset} sheets, error level {args.error})"
        )
        started = time.perf_counter()
        t0 = time.perf_counter()
        # The test settings run tasks at commit, in this process: batch_create runs the batch
        # here as the worker would; if a real queue is configured, run it here ourselves.
        batch = services.batch_create(actor=actor, size=args.codes, title="bench", tags=["bench"])
        if Batch.objects.get(pk=batch.pk).status != Batch.Status.DONE:
            services.batch_run(batch_id=batch.pk)
        make_s = time.perf_counter() - t0
        batch.refresh_from_db()
        assert batch.status == Batch.Status.DONE and batch.done == args.codes, batch.status
        print(f"  make the batch (batch_create + batch_run):  {make_s:7.2f} s")

        t0 = time.perf_counter()
        options = exports.sheet_options(preset=args.preset, error=args.error)
        rows = selectors.export_rows(actor=actor, batch_id=batch.pk)
        with tempfile.TemporaryFile() as out:
            count = exports.write_sheet(rows, options, out)
            size = out.tell()
            if args.keep:
                out.seek(0)
                with open(args.keep, "wb") as copy:
                    copy.write(out.read())
        sheet_s = time.perf_counter() - t0
        assert count == args.codes, count
        if not count or size < 200 * count:  # a figure from nothing is no figure (CI smoke run)
            raise SystemExit(f"degenerate run: {count} labels in a PDF of {size} bytes")
        pages = exports.sheet_pages(count, options)
        print(f"  render the print sheets ({pages:,} pages):     {sheet_s:7.2f} s")
        total = time.perf_counter() - started
        print(f"  total:                                      {total:7.2f} s   (target < 60 s)")
        print(f"  PDF size: {size / 1e6:.1f} MB ({size / count:.0f} bytes per label)")
    finally:
        creation.destroy_test_db(db_name, verbosity=0)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    main()
