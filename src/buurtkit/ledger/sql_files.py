"""SQL the ledger keeps in files (``ledger/sql/``), for the migrations that load them.

``ledger/sql/ledger_fast_payment.sql`` is the one definition of the PostgreSQL fast path's
function (docs/adr/0012). A migration loads it with :func:`function_sql` and records its
:func:`digest`; tests/ledger/test_fast_path_sql.py checks that the function in the database is
the file and that the newest migration that loads the file was written for this version of it.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files

FAST_PAYMENT = "ledger_fast_payment"


def function_sql(name: str) -> str:
    """The ``CREATE OR REPLACE FUNCTION`` statement of ``sql/<name>.sql`` (its leading
    comment, which is not part of the function, left out)."""
    text = files("buurtkit.ledger").joinpath("sql").joinpath(f"{name}.sql").read_text("utf-8")
    return text[text.index("CREATE OR REPLACE FUNCTION") :]


def digest(name: str) -> str:
    """The SHA-256 of :func:`function_sql`: what a migration that loads the file records."""
    return hashlib.sha256(function_sql(name).encode()).hexdigest()
