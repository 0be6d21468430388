"""Benchmark: help exchange deals confirmed through the API (the reward paid from its hold),
against the ledger's own payments through the API, in the same run.

    .venv/bin/python bench/helpexchange_deals.py [--deals 1500] [--seconds 10] [--clients 8]
                                                [--server-threads 4] [--pg postgres://postgres@127.0.0.1:5432]

What it does, on the local PostgreSQL server:
1. makes a throw-away database ``buurtkit_bench_hxdeals`` (migrated, or a copy of ``--template``),
   creates a community with the ledger and the help exchange, a currency, an issuing
   organisation with money and a budget, residents with funded accounts, a coordinator API key,
   and N agreed deals, each with a reward held in the ledger (through the services, as staff at
   the counter would make them);
2. starts ``buurtkit serve`` (granian, the production server) on a free port;
3. the ledger's payment throughput as ``bench/ledger_payments.py`` measures it: the same
   Python client processes POST /api/v1/ledger/transfers between random accounts for
   ``--seconds``;
4. then the same clients confirm the deals: POST /api/v1/helpexchange/deals/<id>/confirm (staff
   confirm for both sides: the deal is done and the held reward paid to the helper), each
   client its own share of the deals, until they are all done or the time is up;
5. prints both rates, the ratio (target >= 0.25, issue 16) with PASS/MISS, and checks that
   every confirmed deal was paid once (``held_mismatch``) and the ledger's invariants; then
   drops the database.
A run that confirms nothing, fails a confirmation or leaves the ledger broken exits non-zero.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_payments import (
    BIN,
    create_database,
    free_port,
    psql,
    run_clients,
)

DB = "buurtkit_bench_hxdeals"
TARGET = 0.25


def setup(env: dict[str, str], accounts: int, deals: int) -> tuple[str, list[int], list[int]]:
    """(API key, resident account ids, deal ids), made in a separate process."""
    code = f"""
import uuid
from datetime import timedelta
import django; django.setup()
from django.db import transaction
from buurtkit.core.actor import Actor
from buurtkit.core.services import community_create
from buurtkit.helpexchange import services as H
from buurtkit.ledger import services as L
from buurtkit.ledger.selectors import local_today
from buurtkit.people.services import person_create, organisation_create, apikey_create
c = community_create(name="Bench", slug="bench", enabled_modules=["ledger", "helpexchange"])
a = Actor.system(c, label="bench")
cur = L.currency_create(actor=a, code="TOR", names={{}})
org = organisation_create(actor=a, name="Issuer", slug="issuer", kind="association")
issuer = L.account_open(actor=a, kind="organisation", organisation_id=org.pk)
issuance = cur.accounts.get(system_role="issuance")
L.transfer_create(actor=a, debit_account_id=issuance.pk, credit_account_id=issuer.pk,
                  amount=({accounts} + {deals}) * 1_000_000, kind="issue", idempotency_key="fund")
today = local_today()
L.budget_create(actor=a, account_id=issuer.pk, starts_on=today - timedelta(days=1),
                ends_on=today + timedelta(days=30), amount=({accounts} + {deals}) * 1_000_000)
ids, people = [], []
for i in range({accounts}):
    p = person_create(actor=a, first_name=f"R{{i}}", neighbourhood="Rabot")
    acc = L.account_open(actor=a, kind="resident", person_id=p.pk)
    L.transfer_create(actor=a, debit_account_id=issuer.pk, credit_account_id=acc.pk,
                      amount=1_000_000, kind="reward", idempotency_key=f"r{{i}}")
    ids.append(acc.pk)
    people.append(p.pk)
deal_ids = []
for n in range({deals}):
    asker, helper = people[n % len(people)], people[(n + 1) % len(people)]
    with transaction.atomic():
        post = H.post_create(actor=a, kind="request", category="moving", title=f"Kast {{n}}",
                             person_id=asker, reward=5, reward_account_id=issuer.pk)
        response = H.post_respond(actor=a, post_id=post.pk, person_id=helper)
        deal_ids.append(H.response_accept(actor=a, response_id=response.pk).pk)
_k, raw = apikey_create(actor=a, name="bench", roles=["coordinator"])
print("SETUP", raw, ",".join(map(str, ids)), ",".join(map(str, deal_ids)))
"""
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"setup failed:\n{run.stderr[-3000:]}")
    out = run.stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("SETUP "))
    _tag, key, ids_csv, deals_csv = line.split(" ")
    return key, [int(x) for x in ids_csv.split(",")], [int(x) for x in deals_csv.split(",")]


def confirm_client(port: int, key: str, deal_ids: list[int], seconds: float, out: mp.Queue) -> None:
    """Confirm each of ``deal_ids`` once (staff for both sides), until done or out of time."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    for deal_id in deal_ids:
        if time.perf_counter() >= deadline:
            break
        t0 = time.perf_counter()
        try:
            conn.request(
                "POST", f"/api/v1/helpexchange/deals/{deal_id}/confirm", body="{}", headers=headers
            )
            response = conn.getresponse()
            body = response.read()
            ok = response.status == 200 and json.loads(body).get("state") == "done"
        except (OSError, http.client.HTTPException, ValueError):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
        if ok:
            latencies.append((time.perf_counter() - t0) * 1000)
        else:
            errors += 1
    out.put((latencies, errors))


def run_confirms(
    port: int, key: str, deal_ids: list[int], seconds: float, clients: int
) -> tuple[list[float], int, float]:
    """(latencies, errors, elapsed seconds) of the clients confirming their shares."""
    queue: mp.Queue = mp.Queue()
    shares = [deal_ids[i::clients] for i in range(clients)]
    procs = [
        mp.Process(target=confirm_client, args=(port, key, share, seconds, queue))
        for share in shares
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join()
    return [lat for r in results for lat in r[0]], sum(r[1] for r in results), elapsed


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=1500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--server-threads", type=int, default=4)
    parser.add_argument("--server-workers", type=int, default=1)
    parser.add_argument("--warm-up", type=float, default=2.0, help="seconds of payments first")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--template", help="copy this migrated database instead of migrating (CI's smoke run)"
    )
    args = parser.parse_args()
    if args.deals < args.clients or args.accounts < 2:
        raise SystemExit("give at least one deal per client and two accounts")

    pg = args.pg.rstrip("/")
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}},
        "DATABASE_URL": f"{pg}/{DB}",
        "SECRET_KEY": "bench-only",
        "DJANGO_SETTINGS_MODULE": "buurtkit.conf.settings",
        "BUURTKIT_HTTPS": "false",
        "LOG_LEVEL": "WARNING",
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]  # the cache the help exchange bumps
    server = None
    try:
        create_database(pg, DB, env, args.template)
        started = time.perf_counter()
        key, ids, deal_ids = setup(env, args.accounts, args.deals)
        setup_s = time.perf_counter() - started
        port = free_port()
        server = subprocess.Popen(
            [
                str(BIN / "buurtkit"),
                "serve",
                "--no-migrate",
                "--port",
                str(port),
                "--threads",
                str(args.server_threads),
                "--workers",
                str(args.server_workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(3600):  # until the application answers (a busy machine starts slowly)
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except (OSError, http.client.HTTPException):
                pass
            if server.poll() is not None:
                raise SystemExit("the server stopped before it answered")
            time.sleep(0.05)
        else:
            raise SystemExit("the server did not answer within three minutes")
        if args.warm_up > 0:
            run_clients(port, key, ids, args.warm_up, min(4, args.clients))
        t0 = time.perf_counter()
        pay_latencies, pay_errors = run_clients(port, key, ids, args.seconds, args.clients)
        pay_rate = len(pay_latencies) / (time.perf_counter() - t0)
        deal_latencies, deal_errors, elapsed = run_confirms(
            port, key, deal_ids, args.seconds, args.clients
        )
        deal_rate = len(deal_latencies) / elapsed if elapsed else 0.0
        server.terminate()
        server.wait(timeout=120)  # a busy machine stops granian slowly
        server = None
        check = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup();"
                "from buurtkit.core.models import Community;"
                "from buurtkit.helpexchange.models import Deal;"
                "from buurtkit.helpexchange.selectors import held_mismatch;"
                "from buurtkit.ledger.models import Currency;"
                "from buurtkit.ledger.selectors import invariant_violations;"
                "c = Community.objects.get(slug='bench');"
                "print(len(invariant_violations(currency=Currency.objects.get()))"
                " + len(held_mismatch(community=c)),"
                " Deal.objects.filter(state='done', payout__isnull=False).count())",
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    finally:
        if server is not None:
            server.terminate()
        psql(pg, f"DROP DATABASE IF EXISTS {DB}")

    problems, paid = int(check[0]), int(check[1])
    ratio = deal_rate / pay_rate if pay_rate else float("nan")
    print(
        f"buurtkit help exchange deals benchmark ({args.clients} clients, {args.deals} agreed "
        f"deals with a reward, granian {args.server_workers} x {args.server_threads} threads, "
        f"{os.cpu_count()} cores; setup {setup_s:.0f} s)"
    )
    print(
        f"  ledger payments via API  : {pay_rate:8.1f} /s   ({len(pay_latencies)} ok, "
        f"{pay_errors} errors)   p50 {statistics.median(pay_latencies or [0]):6.1f} ms"
        f"   p99 {p99(pay_latencies):6.1f} ms"
    )
    print(
        f"  deals confirmed via API  : {deal_rate:8.1f} /s   ({len(deal_latencies)} ok, "
        f"{deal_errors} errors)   p50 {statistics.median(deal_latencies or [0]):6.1f} ms"
        f"   p99 {p99(deal_latencies):6.1f} ms"
    )
    verdict = "PASS" if ratio >= TARGET else "MISS"
    print(f"  ratio deals / payments   : {ratio:8.3f}   (target >= {TARGET}) {verdict}")
    print(
        f"  rewards paid, once each  : {paid} of {len(deal_latencies)} confirmed; {problems} problems"
    )
    # A figure from nothing is no figure (the CI smoke run, tests/test_bench_smoke.py).
    if (
        not pay_latencies
        or not deal_latencies
        or pay_errors
        or deal_errors
        or problems
        or paid != len(deal_latencies)
    ):
        sys.exit("degenerate run: no payments or deals, failed requests or a broken ledger")


if __name__ == "__main__":
    main()
