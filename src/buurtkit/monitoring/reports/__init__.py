"""Monitoring's reports: the funder's summary, the steering group's quarterly report and the
open statistics, made in the background and kept as immutable snapshots (docs/monitoring.md).

- ``monitoring.models.ReportSnapshot``: the snapshot (figures, files, status, progress).
- ``suppression``: the one rule that turns small counts into "< 5".
- ``figures``: the figures a report is made of (counts only, already suppressed).
- ``writers``: XLSX (through ``core.exports``), PDF (reportlab) and CSV from the figures.
- ``services``: generate (request) and build (the background work); ``selectors``: reads.
"""
