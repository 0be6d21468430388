"""Benchmark: 1,000 incoming mails taken in by the IMAP reader, also when the worker is
killed half-way (issue 14: <= 60 s, none lost or duplicated).

    .venv/bin/python bench/mail_intake.py [--mails 1000] [--kill-at 0.55]

Starts a real dovecot (tests/mailservers.py; Debian's dovecot-imapd), puts the mails into
two mailboxes with IMAP APPEND, then:

1. **one run**: a worker process polls mailbox A once: every mail fetched, parsed,
   stored and handed to a handler (which writes one audit event per mail in its
   transaction, as a real module's handler writes its ticket);
2. **killed half-way**: a worker process polls mailbox B and gets SIGKILL once about
   ``--kill-at`` of the mails were handled (0.55: in the middle of handling a batch of 100,
   with mails stored but not handled yet); a new worker process polls again.

Each variant checks that every mail is stored once and handled exactly once (one audit
event per mail) and exits non-zero otherwise. Uses a throw-away database (SQLite in a
temporary data dir, or DATABASE_URL's server in a database of its own).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import signal
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERB = "bench.mail_handled"


def make_mail(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Resident {i} <resident{i}@example.org>"
    msg["To"] = "help@bench.example"
    msg["Subject"] = f"Question {i} about my e-box"
    msg["Message-ID"] = f"<bench-{i}-{os.getpid()}@example.org>"
    msg["Date"] = "Mon, 07 Dec 2026 10:00:00 +0100"
    msg.set_content(f"Hello,\n\nI cannot open my e-box (question {i}).\n\n" + "Thanks. " * 40)
    if i % 10 == 0:
        msg.add_alternative(
            f"<p>Hello, question <b>{i}</b></p><script>x()</script>", subtype="html"
        )
    if i % 25 == 0:
        msg.add_attachment(
            os.urandom(20_000), maintype="image", subtype="jpeg", filename=f"screen{i}.jpg"
        )
    return bytes(msg)


def handler(*, mail, actor):  # type: ignore[no-untyped-def]
    from buurtkit.audit.services import audit_record

    audit_record(actor=actor, verb=VERB, obj=mail, data={"mailbox": mail.mailbox_id})
    return "bench"


def poll(mailbox_id: int) -> None:
    """A worker: one poll of the mailbox (in a process of its own)."""
    from django.db import connections

    from buurtkit.messaging.services import mailbox_poll

    connections.close_all()
    result = mailbox_poll(mailbox_id=mailbox_id)
    if result.error:
        print("  worker error:", result.error, flush=True)
        os._exit(2)
    os._exit(0)


def handled_counts(mailbox_id: int) -> tuple[int, int, int]:
    """(stored, mails handled, handler runs)."""
    from django.db.models import Count

    from buurtkit.audit.models import AuditEvent
    from buurtkit.messaging.models import InboundMail

    ids = {
        str(pk)
        for pk in InboundMail.objects.filter(mailbox_id=mailbox_id).values_list("pk", flat=True)
    }
    runs = (
        AuditEvent.objects.filter(verb=VERB, object_id__in=ids)
        .values("object_id")
        .annotate(n=Count("pk"))
    )
    per_mail = [r["n"] for r in runs]
    return len(ids), len(per_mail), sum(per_mail)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--kill-at", type=float, default=0.55)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="buurtkit-bench-")
    os.environ.setdefault("BUURTKIT_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtkit.conf.settings_test")
    sys.path.insert(0, str(ROOT))
    from tests.mailservers import Dovecot, dovecot_available

    if not dovecot_available():
        sys.exit("needs Debian's dovecot-imapd (apt-get install dovecot-imapd)")
    import django

    django.setup()
    from django.db import connection

    creation = connection.creation
    if connection.vendor == "sqlite":
        # A file, not memory: the worker processes share it.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(
            Path(data_dir) / "bench.sqlite3"
        )
    else:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = "buurtkit_bench_mail"
    db_name = creation.create_test_db(verbosity=0, autoclobber=True)
    server = Dovecot().start()
    try:
        ok = run(args, server)
    finally:
        server.cleanup()
        creation.destroy_test_db(db_name, verbosity=0)
    sys.exit(0 if ok else 1)


def run(args: argparse.Namespace, server) -> bool:  # type: ignore[no-untyped-def]
    from django.db import connection, connections

    from buurtkit.audit.models import AuditEvent
    from buurtkit.core.actor import Actor
    from buurtkit.core.services import community_create
    from buurtkit.messaging.services import mailbox_create, register_mail_handler

    n = args.mails
    register_mail_handler("bench", handler)
    community = community_create(name="Bench", slug="bench")
    system = Actor.system(community, label="bench")
    os.environ["BUURTKIT_MAIL_BENCH"] = server.password
    boxes = {
        name: mailbox_create(
            actor=system,
            name=name,
            purpose="bench",
            host="127.0.0.1",
            port=server.port,
            security="none",
            username=name,
            password_env="BUURTKIT_MAIL_BENCH",
        )
        for name in ("one-run", "killed")
    }
    print(f"buurtkit mail intake benchmark ({connection.vendor}, {n} mails, dovecot IMAP)")
    mails = [make_mail(i) for i in range(n)]
    t0 = time.perf_counter()
    for name in boxes:
        server.append(name, *mails)
    print(f"  IMAP APPEND of {n} mails into 2 mailboxes: {time.perf_counter() - t0:.2f} s")
    fork = multiprocessing.get_context("fork")
    ok = True

    # --- 1. one run --------------------------------------------------------------------
    connections.close_all()
    t0 = time.perf_counter()
    cpu0 = _children_cpu()
    worker = fork.Process(target=poll, args=(boxes["one-run"].pk,))
    worker.start()
    worker.join()
    took = time.perf_counter() - t0
    cpu = _children_cpu() - cpu0
    stored, handled, runs = handled_counts(boxes["one-run"].pk)
    print(
        f"  one run          : {n} mails in {took:.2f} s ({n / took:.0f} mails/s); "
        f"stored {stored}, handled {handled}, handler runs {runs}"
    )
    ok &= worker.exitcode == 0 and stored == handled == runs == n
    target = "met" if took <= 60 else "MISSED"
    print(
        f"  target <= 60 s for 1,000 mails: {target} ({took * 1000 / n:.1f} s per 1,000; "
        f"the worker used {cpu:.2f} s of CPU, {cpu * 1000 / n:.1f} s per 1,000, "
        f"load average {os.getloadavg()[0]:.1f})"
    )

    # --- 2. killed half-way, then restarted --------------------------------------------
    box = boxes["killed"].pk
    kill_at = max(1, int(n * args.kill_at))
    connections.close_all()
    t0 = time.perf_counter()
    worker = fork.Process(target=poll, args=(box,))
    worker.start()
    while worker.is_alive():
        runs_so_far = AuditEvent.objects.filter(verb=VERB, data__mailbox=box).count()
        connections.close_all()
        if runs_so_far >= kill_at:
            os.kill(worker.pid or 0, signal.SIGKILL)
            break
        time.sleep(0.05)
    worker.join()
    killed = worker.exitcode == -signal.SIGKILL
    at_kill = handled_counts(box)
    connections.close_all()
    restart = fork.Process(target=poll, args=(box,))
    restart.start()
    restart.join()
    took = time.perf_counter() - t0
    stored, handled, runs = handled_counts(box)
    lost = n - handled
    twice = runs - handled
    print(
        f"  killed half-way  : SIGKILL {'sent' if killed else 'too late (the run had ended)'} "
        f"with {at_kill[0]} stored and {at_kill[1]} handled"
    )
    print(
        f"  after a restart  : {n} mails in {took:.2f} s in all; stored {stored}, "
        f"handled {handled}, lost {lost}, handled twice {twice}"
    )
    ok &= restart.exitcode == 0 and stored == handled == runs == n and lost == 0 and twice == 0
    if not killed:
        print("  (the kill came after the end: use more mails for a kill half-way)")
    return bool(ok)


if __name__ == "__main__":
    main()
