"""Django's PostgreSQL backend, with a cheaper health check for busy web processes (ADR 0013).

With ``conn_health_checks`` Django sends ``SELECT 1`` before the first query of every request
that reuses a connection: one more round trip and, under load, a sixth of a payment's CPU.
Here a connection that began a request less than ``RECENTLY_USED_SECONDS`` ago is taken as
alive and is not asked again; a connection that has been idle longer (when databases restart,
load balancers cut idle connections and networks drop) is checked as Django does. A
connection that breaks in between fails the one request that finds out, and Django then
drops it, as it does when a connection breaks between the check and the query; payments
retry once on a new connection (``ledger.services._fast_path.fast_payment``).
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base

RECENTLY_USED_SECONDS = 2.0


class DatabaseWrapper(base.DatabaseWrapper):
    last_checked_at: float = float("-inf")

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and time.monotonic() - self.last_checked_at < RECENTLY_USED_SECONDS
        ):
            self.last_checked_at = time.monotonic()
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
        if self.connection is not None:
            self.last_checked_at = time.monotonic()
