"""Real mail servers for the tests and the benchmark: Debian's dovecot (IMAP) and aiosmtpd (SMTP).

``Dovecot`` runs a self-contained dovecot: its own configuration,
maildirs, sockets and log in a temporary directory, listening on 127.0.0.1 at a free port of
our range, in the foreground (no systemd, no system configuration). Any user name logs in
with the server's one password (``password``) and gets its own maildir. As root its mail
processes run as the ``dovecot`` user of the package; as another user, everything runs as
that user. ``.ci/run`` installs the ``dovecot-imapd`` package when it is missing.

Mails are put in with IMAP APPEND, as any mail client does.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PORTS = range(8743, 8750)  # this project's test range for mail servers
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port(ports: range = PORTS) -> int:
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as probe:  # the range is busy (many runs at once): any free port
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dovecot_available() -> bool:
    return Path(DOVECOT).exists()


class Dovecot:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="buurtkit-dovecot-"))
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        # Every user name logs in with this one password; each user has its own maildir.
        self.password = "buurtkit-test-" + os.urandom(6).hex()

    # --- life --------------------------------------------------------------------------
    def start(self) -> Dovecot:
        root = os.geteuid() == 0
        me = pwd.getpwuid(os.geteuid()).pw_name
        mail_user = "dovecot" if root else me
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir()
        self.dir.chmod(0o755)
        if root:
            shutil.chown(self.dir / "mail", mail_user, mail_user)
        for _attempt in range(3):
            self.port = free_port()
            (self.dir / "dovecot.conf").write_text(self._config(root, me, mail_user))
            self.process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.dir / "dovecot.conf")],
                stdout=subprocess.DEVNULL,
                stderr=open(self.dir / "stderr.log", "wb"),  # noqa: SIM115
            )
            if self._wait_listening():
                return self
            self.stop()
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def _config(self, root: bool, me: str, mail_user: str) -> str:
        d = self.dir
        login_user = "dovenull" if root else me
        internal_user = "dovecot" if root else me
        return f"""
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
instance_name = buurtkit-test-{self.port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 0
mail_fsync = never
passdb {{
  driver = static
  args = password={self.password}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={d}/mail/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""

    def _wait_listening(self) -> bool:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn,
            ):
                if conn.recv(100).startswith(b"* OK"):
                    return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        texts = []
        for name in ("stderr.log", "dovecot.log"):
            path = self.dir / name
            if path.exists():
                texts.append(path.read_text(errors="replace")[-4000:])
        return "\n".join(texts)

    # --- users and mail ----------------------------------------------------------------
    @contextlib.contextmanager
    def client(self, user: str) -> Iterator[imaplib.IMAP4]:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        imap.login(user, self.password)
        try:
            yield imap
        finally:
            imap.logout()

    def append(self, user: str, *mails: bytes, folder: str = "INBOX") -> None:
        """IMAP APPEND each mail (a real client operation)."""
        with self.client(user) as imap:
            for raw in mails:
                typ, data = imap.append(folder, None, None, raw)
                assert typ == "OK", data


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives in memory."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: list[tuple[str, list[str], bytes]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
                sink.received.append(
                    (
                        envelope.mail_from,  # type: ignore[attr-defined]
                        list(envelope.rcpt_tos),  # type: ignore[attr-defined]
                        bytes(envelope.original_content or envelope.content),  # type: ignore[attr-defined]
                    )
                )
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
