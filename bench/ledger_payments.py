"""Benchmark: payments per second through the HTTP API on PostgreSQL, against pgbench.

    .venv/bin/python bench/ledger_payments.py [--seconds 20] [--clients 16] [--accounts 50]
                                             [--server-threads 4] [--pg postgres://postgres@127.0.0.1:5432]

What it does, on the local PostgreSQL server:
1. makes a throw-away database `buurtkit_bench_ledger`, migrates it, creates a community with
   a currency and N funded resident accounts and a coordinator API key;
2. starts `buurtkit serve` (granian, the production server) on a free port;
3. several client processes POST /api/v1/ledger/transfers (each with its own Idempotency-Key)
   between random accounts for the given time, keep-alive connections, and record latencies;
4. runs pgbench's built-in TPC-B-like workload on the same server (database
   `buurtkit_bench_pgbench`, scale 10) with the same number of clients and duration;
5. prints payments/s, p50/p99 latency, pgbench tps and the ratio, and the CPU time per payment
   (and per pgbench transaction) of the server's processes, of PostgreSQL's and of the whole
   machine (from /proc), then checks the ledger invariants and drops both databases.
The machine runs clients, server and database at once, so every figure includes that contention;
"machine busy" well above what this benchmark explains means other work was running.
On PostgreSQL a payment is one call of the ``ledger_fast_payment`` function (docs/ledger.md).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


Cpu = tuple[float, float, float, float]  # server, PostgreSQL, machine busy, machine total (s)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def psql(pg: str, sql: str) -> None:
    subprocess.run(["psql", f"{pg}/postgres", "-q", "-c", sql], check=True, capture_output=True)


def create_database(pg: str, name: str, env: dict[str, str], template: str | None) -> None:
    """A new empty database ``name``, migrated; or, with ``template`` (a migrated database
    nobody is connected to: CI's smoke run makes one for all its benchmarks), a copy of it,
    which is the same schema without migrating again (a full migrate costs ~40 s of CPU)."""
    psql(pg, f"DROP DATABASE IF EXISTS {name}")
    if template:
        psql(pg, f'CREATE DATABASE {name} TEMPLATE "{template}"')
        return
    psql(pg, f"CREATE DATABASE {name}")
    subprocess.run([str(BIN / "buurtkit"), "migrate", "-v", "0"], env=env, check=True)


def setup(env: dict[str, str], accounts: int) -> str:
    code = f"""
import django; django.setup()
from buurtkit.core.actor import Actor
from buurtkit.core.services import community_create
from buurtkit.ledger import services as L
from buurtkit.people.services import person_create, organisation_create, apikey_create
c = community_create(name="Bench", slug="bench", enabled_modules=["ledger"])  # module gating
a = Actor.system(c, label="bench")
cur = L.currency_create(actor=a, code="TOR", names={{}})
org = organisation_create(actor=a, name="Issuer", slug="issuer", kind="association")
issuer = L.account_open(actor=a, kind="organisation", organisation_id=org.pk)
issuance = cur.accounts.get(system_role="issuance")
L.transfer_create(actor=a, debit_account_id=issuance.pk, credit_account_id=issuer.pk,
                  amount={accounts} * 1_000_000, kind="issue", idempotency_key="fund")
ids = []
for i in range({accounts}):
    p = person_create(actor=a, first_name=f"R{{i}}")
    acc = L.account_open(actor=a, kind="resident", person_id=p.pk)
    L.transfer_create(actor=a, debit_account_id=issuer.pk, credit_account_id=acc.pk,
                      amount=1_000_000, kind="reward", idempotency_key=f"r{{i}}")
    ids.append(acc.pk)
_k, raw = apikey_create(actor=a, name="bench", roles=["coordinator"])
print("SETUP", raw, ",".join(map(str, ids)), c.pk)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("SETUP "))
    return line


def client(port: int, key: str, ids: list[int], seconds: float, seed: int, out: mp.Queue) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        a, b = rng.sample(ids, 2)
        body = json.dumps({"debit_account_id": a, "credit_account_id": b, "amount": "1"})
        headers = {
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/ledger/transfers", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status in (200, 201)
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
        if ok:
            latencies.append((time.perf_counter() - t0) * 1000)
        else:
            errors += 1
    out.put((latencies, errors))


def run_clients(
    port: int, key: str, ids: list[int], seconds: float, clients: int
) -> tuple[list[float], int]:
    queue: mp.Queue = mp.Queue()
    procs = [
        mp.Process(target=client, args=(port, key, ids, seconds, i, queue)) for i in range(clients)
    ]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = [lat for r in results for lat in r[0]]
    return latencies, sum(r[1] for r in results)


WRK_SCRIPT = """
local ids = {%s}
local key = "%s"
local n = 0
local thread_id = 0
function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end
function init(args)
  math.randomseed(os.time() + (tid or 0) * 7919)
end
request = function()
  n = n + 1
  local a = ids[math.random(#ids)]
  local b = ids[math.random(#ids)]
  while b == a do b = ids[math.random(#ids)] end
  local body = '{"debit_account_id": ' .. a .. ', "credit_account_id": ' .. b .. ', "amount": "1"}'
  local headers = {}
  headers["Authorization"] = "Bearer " .. key
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = string.format("wrk-%%d-%%d-%%d", tid or 0, n, math.random(1000000000))
  return wrk.format("POST", "/api/v1/ledger/transfers", headers, body)
end
"""


def run_wrk(
    port: int, key: str, ids: list[int], seconds: int, clients: int
) -> tuple[float, float, float, int]:
    """Drive the API with wrk (a C load generator, like pgbench's own client): returns
    (payments/s, p50 ms, p99 ms, non-2xx answers)."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_SCRIPT % (", ".join(map(str, ids)), key))
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    script.unlink()
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def pct(name: str) -> float:
        m = re.search(rf"\s{name}%\s+([0-9.]+)(us|ms|s)", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return rate, pct("50"), pct("99"), int(bad.group(1)) if bad else 0


def processes() -> list[tuple[int, int, str, float]]:
    """(pid, parent pid, name, user + system CPU seconds) of every process, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        fields = rest.split()
        cpu = (int(fields[11]) + int(fields[12])) / tick
        found.append((int(stat.parent.name), int(fields[1]), name, cpu))
    return found


def cpu_seconds(root_pid: int) -> float:
    """CPU of a process and its children (the server's workers)."""
    if not Path("/proc/self/stat").exists():
        return float("nan")
    return sum(cpu for pid, ppid, _name, cpu in processes() if root_pid in (pid, ppid))


def postgres_cpu_seconds() -> float:
    """CPU of every PostgreSQL server process (backends and helpers)."""
    if not Path("/proc/self/stat").exists():
        return float("nan")
    return sum(cpu for _pid, _ppid, name, cpu in processes() if name.startswith("postgres"))


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except OSError:
        return float("nan"), float("nan")
    idle = values[3] + values[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / tick, sum(values) / tick


def cpu_now(server_pid: int) -> Cpu:
    busy, total = machine_busy()
    return cpu_seconds(server_pid), postgres_cpu_seconds(), busy, total


def cpu_since(before: Cpu, server_pid: int) -> Cpu:
    now = cpu_now(server_pid)
    return (
        now[0] - before[0],
        now[1] - before[1],
        now[2] - before[2],
        now[3] - before[3],
    )


# One payment as the API makes it, through the database function alone (as a coordinator's API
# key: the same checks, rows and audit record; every call a new idempotency key; two different
# accounts).
FAST_PAYMENT_SCRIPT = """\\set a random(1, %(n)d)
\\set b 1 + (:a + random(0, %(n)d - 2)) %% %(n)d
\\set k random(1, 1000000000000)
SELECT o_status FROM ledger_fast_payment(%(community)s,
  (ARRAY[%(ids)s])[:a], (ARRAY[%(ids)s])[:b], 1, true, 'payment', '',
  'pgbench-' || :client_id || '-' || :k, '{"amount": ',
  ', "credit": 0, "debit": 0, "description": "", "kind": "payment", "reverses": null}',
  now(), 'api:bench', NULL, NULL, NULL, 'api', '{merchant,organisation,resident}'::text[],
  '{merchant,organisation,resident}'::text[], true, true, NULL, true, '{}'::bigint[]);
"""


def run_pgbench(
    db: str, clients: int, seconds: int, script: str | None = None
) -> tuple[float, Cpu]:
    """pgbench against ``db`` (its TPC-B-like workload, or ``script``): (tps, CPU)."""
    path = None
    command = ["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds)]
    if script is not None:
        path = Path(tempfile.mkstemp(suffix=".sql")[1])
        path.write_text(script)
        command += ["-f", str(path)]
    run = subprocess.Popen(
        [*command, db], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # CPU is sampled while pgbench runs: its server processes end with it, and their CPU with
    # them. The window leaves out the first and last second (connecting, ending).
    window = max(1.0, seconds - 2.0)
    time.sleep(1.0)
    pg0, busy0 = postgres_cpu_seconds(), machine_busy()
    time.sleep(window)
    pg1, busy1 = postgres_cpu_seconds(), machine_busy()
    out, err = run.communicate()
    if path is not None:
        path.unlink()
    if run.returncode != 0:
        raise RuntimeError(f"pgbench failed: {err}")
    match = re.search(r"tps = ([0-9.]+)", out)
    tps = float(match.group(1)) if match else 0.0
    # per transaction: the window's CPU over the window's share of the run's transactions
    scale = seconds / window
    return tps, (
        0.0,
        (pg1 - pg0) * scale,
        (busy1[0] - busy0[0]) * scale,
        (busy1[1] - busy0[1]) * scale,
    )


def pgbench(pg: str, clients: int, seconds: int, scale: int = 10) -> tuple[float, Cpu]:
    db = f"{pg}/buurtkit_bench_pgbench"
    psql(pg, "DROP DATABASE IF EXISTS buurtkit_bench_pgbench")
    psql(pg, "CREATE DATABASE buurtkit_bench_pgbench")
    subprocess.run(["pgbench", "-i", "-q", "-s", str(scale), db], check=True, capture_output=True)
    try:
        return run_pgbench(db, clients, seconds)
    finally:
        psql(pg, "DROP DATABASE IF EXISTS buurtkit_bench_pgbench")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--server-threads", type=int, default=4)
    parser.add_argument("--server-workers", type=int, default=1)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--pgbench-scale", type=int, default=10, help="pgbench -i -s (TPC-B size)")
    parser.add_argument(
        "--warm-up", type=float, default=2.0, help="seconds of payments before measuring"
    )
    parser.add_argument(
        "--template", help="copy this migrated database instead of migrating (CI's smoke run)"
    )
    args = parser.parse_args()

    pg = args.pg.rstrip("/")
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}},
        "DATABASE_URL": f"{pg}/buurtkit_bench_ledger",
        "SECRET_KEY": "bench-only",
        "DJANGO_SETTINGS_MODULE": "buurtkit.conf.settings",
        "BUURTKIT_HTTPS": "false",
        "LOG_LEVEL": "WARNING",
    }
    server = None
    try:
        create_database(pg, "buurtkit_bench_ledger", env, args.template)
        _tag, key, ids_csv, community_id = setup(env, args.accounts).split(" ")
        ids = [int(x) for x in ids_csv.split(",")]
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
        # Until the application answers, up to a minute: a busy 2-core machine starts granian
        # slowly (the port may accept connections before a worker has loaded the application).
        for _ in range(1200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        if args.warm_up > 0:
            run_clients(port, key, ids, args.warm_up, min(4, args.clients))  # warm up
        wrk_result = None
        if shutil.which("wrk"):
            cpu0 = cpu_now(server.pid)
            wrk_result = run_wrk(port, key, ids, args.seconds, args.clients)
            wrk_cpu = cpu_since(cpu0, server.pid)
        cpu0 = cpu_now(server.pid)
        started = time.perf_counter()
        latencies, errors = run_clients(port, key, ids, args.seconds, args.clients)
        elapsed = time.perf_counter() - started
        py_cpu = cpu_since(cpu0, server.pid)
        server.terminate()
        server.wait(timeout=10)
        server = None
        # The same payments through the database function alone, from pgbench's C client.
        fn_tps, fn_cpu = run_pgbench(
            f"{pg}/buurtkit_bench_ledger",
            args.clients,
            args.seconds,
            FAST_PAYMENT_SCRIPT % {"n": len(ids), "ids": ids_csv, "community": community_id},
        )
        tps, pgbench_cpu = pgbench(pg, args.clients, args.seconds, args.pgbench_scale)
        check = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup();"
                "from buurtkit.ledger.models import Currency;"
                "from buurtkit.ledger.selectors import invariant_violations;"
                "print(invariant_violations(currency=Currency.objects.get()))",
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    finally:
        if server is not None:
            server.terminate()
        psql(pg, "DROP DATABASE IF EXISTS buurtkit_bench_ledger")

    latencies.sort()
    rate = len(latencies) / elapsed
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else float("nan")
    print(
        f"buurtkit ledger payments benchmark ({args.clients} clients, {args.seconds} s, "
        f"{args.accounts} hot accounts, granian {args.server_workers} x {args.server_threads} threads, "
        f"{os.cpu_count()} cores)"
    )
    print(f"  payments through the API : {rate:8.1f} /s   ({len(latencies)} ok, {errors} errors)")
    if latencies:
        print(
            f"  latency                  : p50 {statistics.median(latencies):6.1f} ms   p99 {p99:6.1f} ms"
        )
    if wrk_result is not None:
        w_rate, w_p50, w_p99, w_bad = wrk_result
        print(
            f"  with wrk (C client)      : {w_rate:8.1f} /s   p50 {w_p50:6.1f} ms   p99 {w_p99:6.1f} ms"
            f"   ({w_bad} non-2xx)"
        )

    def cpu_line(label: str, cpu: Cpu, payments: float, server: bool = True) -> None:
        server_cpu, pg_cpu, busy, total = cpu

        def per(seconds: float) -> float:
            return 1000 * seconds / payments if payments else float("nan")

        print(
            f"  {label:25s}: "
            + (f"server {per(server_cpu):4.2f} ms, " if server else "")
            + f"PostgreSQL {per(pg_cpu):4.2f} ms, machine {per(busy):4.2f} ms CPU each;"
            f" machine {100 * busy / total if total else float('nan'):3.0f} % busy"
        )

    if latencies:
        cpu_line("CPU, Python clients", py_cpu, len(latencies))
    if wrk_result is not None:
        cpu_line("CPU, wrk", wrk_cpu, wrk_result[0] * args.seconds)
    print(f"  pgbench TPC-B-like       : {tps:8.1f} tps")
    cpu_line("CPU, pgbench", pgbench_cpu, tps * args.seconds, server=False)
    print(
        f"  database alone           : {fn_tps:8.1f} payments/s (pgbench calling"
        f" ledger_fast_payment), {fn_tps / tps if tps else float('nan'):5.3f} of TPC-B"
    )
    cpu_line("CPU, database alone", fn_cpu, fn_tps * args.seconds, server=False)
    print(
        f"  ratio ours / pgbench     : {rate / tps if tps else float('nan'):8.3f}   (target >= 0.35)"
    )
    if wrk_result is not None and tps:
        print(f"  ratio with wrk / pgbench : {wrk_result[0] / tps:8.3f}")
    print(f"  ledger invariants after  : {check or '[]'}")
    # A figure from nothing is no figure (the CI smoke run, tests/test_bench_smoke.py).
    if not latencies or errors or not tps or not fn_tps or check not in ("", "[]"):
        sys.exit(
            "degenerate run: no payments, failed payments, no pgbench figure or a broken ledger"
        )


if __name__ == "__main__":
    main()
