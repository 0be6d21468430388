"""Benchmark: a sign-up rush on the public portal, through HTTP, on PostgreSQL + Redis.

    .venv/bin/python bench/activities_rush.py [--people 2000] [--sessions 100] [--seats 20]
                                              [--clients 16] [--server-workers 2] [--server-threads 4]

What it does:
1. makes a throw-away PostgreSQL database (`buurtkit_bench_rush`) and uses Redis database 12 (for
   the rate limits and the task queue, as in production), migrates, and publishes N sessions of
   S seats each at a digipunt;
2. starts `buurtkit serve` (granian, the production server) behind a pretend proxy, so each
   person comes from an address of their own (the portal limits sign-ups per address and per
   number), with the bench's bare Django view at `/bare` (bench/qr_bench_urls.py);
3. lets P people arrive evenly over a minute (``--within``) through C client processes and sign
   up as a browser does: open the session's page (the form, its CSRF token and idempotency key),
   then post name, mobile number and consent (every server thread is warmed up first).
   Popular sessions draw most people (a third of them pick one of the first tenth of sessions),
   so those fill up and the people after the last seat land on the waiting list;
4. checks the outcome in the database: no session overbooked, every refused person on the
   waiting list (nobody lost, nobody turned away with an error), every registration confirmed by
   a message, seat counters equal to the registrations;
5. prints the sign-ups per second, p50/p99 of the sign-up (the POST) and of the form (the GET),
   beside p50/p99 of the bare Django view driven the same way in the same run.
Clients, server, PostgreSQL and Redis share the machine, so every figure includes that contention.
The target of issue 13: 2,000 people within a minute, zero overbooking, p99 <= 100 ms.
"""

from __future__ import annotations

import argparse
import faulthandler
import http.client
import multiprocessing as mp
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
UA = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 Mobile Safari/537.36"
REDIS_DB = 12

SETUP = """
import django; django.setup()
from datetime import timedelta
from buurtkit.activities import services as A
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.services import community_create
from buurtkit.places import services as P
c = community_create(name="Bench", slug="bench", enabled_modules=["activities"])
a = Actor.system(c, label="bench")
place = P.place_create(actor=a, name="Digipunt Bibliotheek", kind="digipunt", street="Rabotstraat 1")
series = A.series_create(actor=a, kind="it_cafe", title={"nl": "IT-café"}, published=True)
start = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
ids = [
    A.session_add(actor=a, series_id=series.pk, place_id=place.pk,
                  starts_at=start + timedelta(hours=n), ends_at=start + timedelta(hours=n, minutes=90),
                  capacity=%(seats)d).pk
    for n in range(%(sessions)d)
]
print("SETUP", ",".join(map(str, ids)))
"""

CHECK = """
import django; django.setup()
from django.db.models import Count, Q
from buurtkit.activities.models import Registration, Session
from buurtkit.activities.rules import HOLDS_SEAT
from buurtkit.messaging.models import Message
over = bad_counter = 0
seats = waiting = 0
for s in Session.objects.annotate(
    reg=Count("registrations", filter=Q(registrations__state__in=HOLDS_SEAT)),
    wait=Count("registrations", filter=Q(registrations__state="waiting")),
):
    over += s.reg > s.capacity
    bad_counter += s.reg != s.seats_taken or s.wait != s.waiting
    seats += s.reg
    waiting += s.wait
total = Registration.objects.count()
people = Registration.objects.values("person").distinct().count()
messages = Message.objects.filter(idempotency_key__startswith="activities-confirm-").count()
print("CHECK", total, people, seats, waiting, over, bad_counter, messages)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def psql(pg: str, sql: str) -> None:
    subprocess.run(["psql", f"{pg}/postgres", "-q", "-c", sql], check=True, capture_output=True)


def run_python(env: dict[str, str], code: str, tag: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    out = done.stdout
    return next(ln for ln in out.splitlines() if ln.startswith(tag + " ")).split(" ", 1)[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))] if ordered else 0


def sign_up(
    conn: http.client.HTTPConnection, person: int, session_id: int
) -> tuple[float, float, int]:
    """One person: the form, then the sign-up. Returns (GET ms, POST ms, POST status)."""
    address = f"10.{person // 62500 % 250}.{person // 250 % 250}.{person % 250 + 1}"
    headers = {"User-Agent": UA, "Accept-Language": "nl-BE,nl;q=0.9", "X-Forwarded-For": address}
    path = f"/bench/activities/sessions/{session_id}/"
    t0 = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    page = response.read().decode()
    got = (time.perf_counter() - t0) * 1000
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    if response.status != 200 or not (cookie and token and key):
        return got, 0.0, response.status
    body = urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "idempotency_key": key.group(1),
            "first_name": f"Persoon{person}",
            "last_name": "Rush",
            "phone": f"+3247{3000000 + person:07d}",
            "email": "",
            "language": "nl",
            "consent": "on",
        }
    )
    t0 = time.perf_counter()
    conn.request(
        "POST",
        path,
        body=body,
        headers={
            **headers,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie.group(1)}",
        },
    )
    response = conn.getresponse()
    response.read()
    return got, (time.perf_counter() - t0) * 1000, response.status


def client(port: int, work: list[tuple[float, int, int]], out: mp.Queue) -> None:
    """Each person arrives at their moment (seconds after the start) and signs up; a client
    that falls behind goes on at once and the lag is reported."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    gets, posts, statuses, lag = [], [], {}, 0.0
    start = time.perf_counter()
    for at, person, session_id in work:
        wait = start + at - time.perf_counter()
        if wait > 0:
            time.sleep(wait)  # the arrival model, not a measurement
        lag = max(lag, -wait)
        try:
            got, posted, status = sign_up(conn, person, session_id)
        except (OSError, http.client.HTTPException) as exc:  # counted, never a hang
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            got, posted, status = 0.0, 0.0, type(exc).__name__
        gets.append(got)
        if posted:
            posts.append(posted)
        statuses[status] = statuses.get(status, 0) + 1
    out.put((gets, posts, statuses, lag))


def bare_client(port: int, requests: int, out: mp.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = []
    for _ in range(requests):
        t0 = time.perf_counter()
        conn.request("GET", "/bare", headers={"User-Agent": UA})
        conn.getresponse().read()
        latencies.append((time.perf_counter() - t0) * 1000)
    out.put(latencies)


def fan_out(target, jobs: list[tuple]) -> tuple[list, float]:  # type: ignore[no-untyped-def]
    queue: mp.Queue = mp.Queue()
    procs = [mp.Process(target=target, args=(*job, queue)) for job in jobs]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get(timeout=900) for _ in procs]
    for p in procs:
        p.join()
    return results, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--seats", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--within", type=float, default=60.0, help="seconds over which the people arrive"
    )
    parser.add_argument("--server-threads", type=int, default=4)
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default=f"redis://127.0.0.1:6379/{REDIS_DB}")
    parser.add_argument(
        "--template", help="copy this migrated database instead of migrating (CI's smoke run)"
    )
    parser.add_argument("--port", type=int, default=0, help="the server's port (0: any free one)")
    args = parser.parse_args()
    faulthandler.dump_traceback_later(1200, exit=True)  # a hung run says where, then stops
    if args.people < 1 or args.sessions < 1 or args.seats < 1 or args.clients < 1:
        raise SystemExit("give at least one person, session, seat and client")

    tmp = Path(tempfile.mkdtemp(prefix="buurtkit-bench-rush-"))
    pg = args.pg.rstrip("/")
    port = args.port or free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}},
        "SECRET_KEY": "bench-only",
        "DJANGO_SETTINGS_MODULE": "qr_bench_settings",
        "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT / 'src'}",
        "BUURTKIT_HTTPS": "false",
        "BUURTKIT_BEHIND_PROXY": "true",
        "BUURTKIT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BUURTKIT_DATA_DIR": str(tmp),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"{pg}/buurtkit_bench_rush",
        "REDIS_URL": args.redis,
    }
    subprocess.run(["redis-cli", "-u", args.redis, "FLUSHDB"], check=True, capture_output=True)
    psql(pg, "DROP DATABASE IF EXISTS buurtkit_bench_rush")
    server = None
    try:
        if args.template:  # the same schema without migrating again (~40 s of CPU)
            psql(pg, f'CREATE DATABASE buurtkit_bench_rush TEMPLATE "{args.template}"')
        else:
            psql(pg, "CREATE DATABASE buurtkit_bench_rush")
            subprocess.run([str(BIN / "buurtkit"), "migrate", "-v", "0"], env=env, check=True)
        ids = [
            int(x)
            for x in run_python(
                env, SETUP % {"seats": args.seats, "sessions": args.sessions}, "SETUP"
            ).split(",")
        ]
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
        for _ in range(1200):  # up to a minute: a busy 2-core machine starts granian slowly
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.05)
        # Warm every server thread up first (a worker's first request loads the application).
        fan_out(bare_client, [(port, 5)] * (args.server_workers * args.server_threads * 2))
        # Who goes where, and when: a third of the people want one of the popular sessions;
        # they arrive evenly spread over the minute.
        rng = random.Random(13)
        popular = ids[: max(1, len(ids) // 10)]
        picks = [
            (
                person * args.within / args.people,
                person,
                rng.choice(popular) if rng.random() < 1 / 3 else rng.choice(ids),
            )
            for person in range(args.people)
        ]
        clients = min(args.clients, args.people)
        shares = [picks[n::clients] for n in range(clients)]
        results, took = fan_out(client, [(port, share) for share in shares])
        gets = [x for r in results for x in r[0]]
        posts = [x for r in results for x in r[1]]
        statuses: dict[int | str, int] = {}
        for r in results:
            for status, n in r[2].items():
                statuses[status] = statuses.get(status, 0) + n
        lag = max(r[3] for r in results)
        per_client = max(1, len(posts) // clients)
        bare_results, _ = fan_out(bare_client, [(port, per_client)] * clients)
        bare = [x for r in bare_results for x in r]
        server.terminate()
        server.wait(timeout=10)
        server = None
        total, people, seats, waiting, over, bad, messages = map(
            int, run_python(env, CHECK, "CHECK").split()
        )
    finally:
        if server is not None:
            server.terminate()
        psql(pg, "DROP DATABASE IF EXISTS buurtkit_bench_rush")
        subprocess.run(["redis-cli", "-u", args.redis, "FLUSHDB"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"buurtkit sign-up rush benchmark on postgresql + redis ({args.people} people, "
        f"{args.sessions} sessions x {args.seats} seats, {clients} client processes, granian "
        f"{args.server_workers} x {args.server_threads} threads, {os.cpu_count()} cores)"
    )
    print(
        f"  all sign-ups done in        : {took:6.1f} s   ({args.people / took:.0f} people/s; "
        f"they arrived over {args.within:.0f} s, the clients fell at most {lag:.1f} s behind)"
    )
    print(
        f"  sign-up (POST)              : p50 {percentile(posts, 0.5):6.1f} ms"
        f"   p99 {percentile(posts, 0.99):6.1f} ms   (target p99 <= 100 ms)"
    )
    print(
        f"  the form (GET)              : p50 {percentile(gets, 0.5):6.1f} ms"
        f"   p99 {percentile(gets, 0.99):6.1f} ms"
    )
    print(
        f"  bare Django view (GET /bare): p50 {percentile(bare, 0.5):6.1f} ms"
        f"   p99 {percentile(bare, 0.99):6.1f} ms   ({len(bare)} requests, same clients)"
    )
    answers = ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items(), key=str))
    print(f"  answers to the sign-ups     : {answers}")
    print(
        f"  outcome: {seats} seats taken, {waiting} on a waiting list, {total} registrations of "
        f"{people} people; {over} sessions overbooked, {bad} seat counters wrong, "
        f"{messages} confirmations queued"
    )
    # A figure from nothing is no figure, and a rush that loses or overbooks is no result.
    problems = []
    if not posts or not bare:
        problems.append("nothing measured")
    if over or bad:
        problems.append(f"{over} sessions overbooked, {bad} seat counters wrong")
    if total != args.people or people != args.people:
        problems.append(f"{args.people} people signed up but {total} registrations were made")
    if seats + waiting != total:
        problems.append("a registration neither holds a seat nor waits")
    if messages != total:
        problems.append(f"{total - messages} people got no confirmation")
    if set(statuses) != {200}:
        problems.append(f"answers other than 200: {answers}")
    if problems:
        raise SystemExit("bad run: " + "; ".join(problems))


if __name__ == "__main__":
    main()
