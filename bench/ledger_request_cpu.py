"""Benchmark: Python CPU of one payment request through the whole WSGI application, no server.

    .venv/bin/python bench/ledger_request_cpu.py [--requests 3000] [--profile cumulative|tottime]
                                                 [--pg postgres://postgres@127.0.0.1:5432]

Makes a throw-away PostgreSQL database `buurtkit_bench_request` (as bench/ledger_payments.py
does), then calls Django's WSGI application in a loop with `POST /api/v1/ledger/transfers`
requests (bearer key, fresh idempotency key, random pair of accounts), one at a time, and
prints the CPU time and wall time per request of this process. That is the part of a payment's
cost that the HTTP server does not add: middleware, django-ninja, the API key, the ledger's
fast path and psycopg. `--profile` prints cProfile's top functions instead. Compare with the
"server CPU per payment" of bench/ledger_payments.py to see what serving under load adds.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ledger_payments as bench  # the same setup as the HTTP benchmark

DB = "buurtkit_bench_request"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--profile", choices=["cumulative", "tottime"])
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--warm-up", type=int, default=300, help="requests before measuring (imports, caches)"
    )
    parser.add_argument(
        "--template", help="copy this migrated database instead of migrating (CI's smoke run)"
    )
    args = parser.parse_args()
    pg = args.pg.rstrip("/")
    env = {
        "DATABASE_URL": f"{pg}/{DB}",
        "SECRET_KEY": "bench-only",
        "DJANGO_SETTINGS_MODULE": "buurtkit.conf.settings",
        "BUURTKIT_HTTPS": "false",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.pop("REDIS_URL", None)
    os.environ.update(env)
    try:
        bench.create_database(pg, DB, dict(os.environ), args.template)
        _tag, key, ids_csv, _community = bench.setup(dict(os.environ), args.accounts).split(" ")
        ids = [int(x) for x in ids_csv.split(",")]
        run(key, ids, args.requests, args.profile, args.warm_up)
    finally:
        from django.db import connections

        connections.close_all()
        bench.psql(pg, f"DROP DATABASE IF EXISTS {DB}")


def run(key: str, ids: list[int], requests: int, profile: str | None, warm_up: int) -> None:
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc: object = None) -> None:
        statuses.append(status)

    def call() -> None:
        a, b = random.sample(ids, 2)
        body = f'{{"debit_account_id": {a}, "credit_account_id": {b}, "amount": "1"}}'.encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/ledger/transfers",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Bearer {key}",
            "HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex,
        }
        response = app(environ, start_response)
        b"".join(response)
        response.close()  # type: ignore[attr-defined]

    for _ in range(warm_up):  # imports, caches, the API key cache, plans
        call()
    statuses.clear()
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            call()
        profiler.disable()
        pstats.Stats(profiler).sort_stats(profile).print_stats(40)
    else:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(requests):
            call()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        print(f"buurtkit payment request through the WSGI application ({requests} requests)")
        print(f"  CPU per request  : {1000 * cpu / requests:6.3f} ms")
        print(f"  wall per request : {1000 * wall / requests:6.3f} ms (one at a time)")
    bad = [s for s in statuses if not s.startswith("201")]
    print(f"  answers          : {len(statuses) - len(bad)} created, {len(bad)} other")
    if not statuses or bad:  # a figure from nothing is no figure (tests/test_bench_smoke.py)
        sys.exit("degenerate run: payments were not created")


if __name__ == "__main__":
    main()
