"""Helpers for the delivery tests: a real SMTP server on loopback, and running queued tasks."""

import re
import socket
import threading
import time
from email import message_from_bytes, policy

import pytest

DB_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "delivery"],
    }
}


def free_port():
    """A free loopback port in the range this project's tests use (56000-56999)."""
    for port in range(56100, 56999):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 56100-56999")


class Mailbox:
    """What an aiosmtpd server received: parsed messages, per recipient."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []  # (recipients, email.message.EmailMessage)
        self.arrivals = []  # (time.time() when accepted, recipients, subject)
        self.reject = {}  # address -> SMTP answer such as "550 no such user"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.reject.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
            self.arrivals.append((time.time(), list(envelope.rcpt_tos), str(message["Subject"])))
        return "250 Message accepted for delivery"

    def for_address(self, address):
        with self.lock:
            return [m for rcpts, m in self.messages if address.lower() in map(str.lower, rcpts)]

    def count_by_recipient(self, subject_prefix=""):
        counts = {}
        with self.lock:
            for rcpts, message in self.messages:
                if not str(message["Subject"]).startswith(subject_prefix):
                    continue
                for rcpt in rcpts:
                    counts[rcpt.lower()] = counts.get(rcpt.lower(), 0) + 1
        return counts


class SMTPServer:
    """aiosmtpd's Controller on a loopback port, which can be stopped and started again."""

    def __init__(self, mailbox, port=None):
        self.mailbox, self.port = mailbox, port or free_port()
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, ready_timeout=10
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
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=limit, worker_id="test", excluded_queue_names=[],
    ).run()  # fmt: skip


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
