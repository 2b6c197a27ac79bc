"""Helpers for the delivery tests: a real SMTP server on loopback, and running queued tasks."""

import base64
import json
import logging
import random
import re
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy

import pytest

# aiosmtpd logs every command at INFO: thousands of lines per send.
logging.getLogger("mail.log").setLevel(logging.WARNING)

DB_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "delivery"],
    }
}


def free_port():
    """A free loopback port in the range this project's tests use (56000-56999)."""
    start = random.randrange(56100, 56900)  # two test runs at once rarely pick the same one
    for port in [*range(start, 56999), *range(56100, start)]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 56100-56999")


class Mailbox:
    """What an aiosmtpd server received, per recipient; parsed only when a test asks.

    The SMTP handler only appends (a lock held for a moment), so a test polling the mailbox
    never slows the server down.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.arrivals = []  # (time.time() when accepted, recipients in lower case, subject, raw)
        self.reject = {}  # address -> SMTP answer such as "550 no such user"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.reject.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content
        head = raw.split(b"\r\n\r\n", 1)[0]
        subject = message_from_bytes(head + b"\r\n\r\n", policy=policy.default)["Subject"]
        entry = (time.time(), [r.lower() for r in envelope.rcpt_tos], str(subject or ""), raw)
        with self.lock:
            self.arrivals.append(entry)
        return "250 Message accepted for delivery"

    @property
    def messages(self):
        with self.lock:
            entries = list(self.arrivals)
        return [
            (rcpts, message_from_bytes(raw, policy=policy.default))
            for _t, rcpts, _s, raw in entries
        ]

    def for_address(self, address):
        address = address.lower()
        with self.lock:
            entries = [raw for _t, rcpts, _s, raw in self.arrivals if address in rcpts]
        return [message_from_bytes(raw, policy=policy.default) for raw in entries]

    def count_by_recipient(self, subject_prefix=""):
        with self.lock:
            entries = [(rcpts, subject) for _t, rcpts, subject, _raw in self.arrivals]
        counts = {}
        for rcpts, subject in entries:
            if subject.startswith(subject_prefix):
                for rcpt in rcpts:
                    counts[rcpt] = counts.get(rcpt, 0) + 1
        return counts


class SMTPServer:
    """aiosmtpd's Controller on a loopback port, which can be stopped and started again."""

    def __init__(self, mailbox, port=None):
        self.mailbox, self.port = mailbox, port or free_port()
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(
            self.mailbox,
            hostname="127.0.0.1",
            port=self.port,
            ready_timeout=10,
            server_hostname="localhost",  # never socket.getfqdn() per connection (a DNS wait)
        )
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server():
    server = SMTPServer(Mailbox())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DIGEST_SEND_RATE = 0
    return smtp_server


def run_queued_tasks(limit=10_000):
    """Run every task that is due now, in this process, as `db_worker --batch` would."""
    from django.db import connections
    from django_tasks_db.management.commands.db_worker import Worker

    # The worker closes connections it finds outside autocommit, as after a request; here that
    # connection holds the test's own transaction (a real file since SQLite tests use one), so it
    # stays open while the worker runs in this process, as Django keeps in-memory test databases.
    opened = connections.all(initialized_only=True)
    closers = {connection: connection.close for connection in opened}
    for connection in opened:
        connection.close = lambda: None
    try:
        Worker(
            queue_names=["*"], interval=0, batch=True, backend_name="default",
            startup_delay=False, max_tasks=limit, worker_id="test", excluded_queue_names=[],
        ).run()  # fmt: skip
    finally:
        for connection, close in closers.items():
            connection.close = close


def wait_for(predicate, timeout=30.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def links(text):
    return re.findall(r"https?://[^\s<>\"]+", text)


def body_text(message, subtype="plain"):
    part = message.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else ""


class SMTPProcess:
    """tests/smtp_server.py in its own process (so the test's own work never slows it down),
    stoppable and startable on the same port; the mailbox is its JSON-lines file."""

    def __init__(self, folder, port=None):
        self.port = port or free_port()
        self.path = folder / "mailbox.jsonl"
        self.path.touch()
        self.process = None
        self._offset, self._records = 0, []

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, str(__import__("pathlib").Path(__file__).with_name("smtp_server.py")),
             str(self.port), str(self.path)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def records(self):
        with self.path.open("rb") as file:
            file.seek(self._offset)
            data = file.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        self._records += [json.loads(line) for line in complete.splitlines() if line]
        return self._records

    def count_by_recipient(self, subject_prefix=""):
        counts = {}
        for record in self.records():
            if record["subject"].startswith(subject_prefix):
                for rcpt in record["rcpts"]:
                    counts[rcpt] = counts.get(rcpt, 0) + 1
        return counts

    def for_address(self, address):
        address = address.lower()
        return [
            message_from_bytes(base64.b64decode(r["raw"]), policy=policy.default)
            for r in self.records()
            if address in r["rcpts"]
        ]

    def arrivals(self):
        return [(r["time"], r["rcpts"], r["subject"]) for r in self.records()]
