"""The whole path with real processes: gunicorn, `manage.py db_worker` workers, aiosmtpd.

Subscribe → confirmation mail → confirm → send → the issue in the mailbox → one-click
unsubscribe by the header's POST → the next send skips the address. Then the failures a send
must survive: a worker killed with SIGKILL in the middle of 5,000 messages, the mail server
stopped for 10 s, a reader unsubscribing while the send runs.

These tests run against their own database (a SQLite file, or a fresh database on the
PostgreSQL server of DATABASE_URL), which the processes share.
"""

import contextlib
import csv
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.delivery_helpers import SMTPProcess, body_text, free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
CROWD = 5000  # the crash test's send
SMALL = 1000  # the outage and unsubscribe tests' sends
UNSUBSCRIBED = set()  # filled by the unsubscribe test; the crash test leaves them out

pytestmark = pytest.mark.django_db(databases=[])  # no access to the test database


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        from tests.support.stack import fresh_postgres_database

        with fresh_postgres_database(url, prefix="digest_delivery") as fresh:
            yield fresh
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('delivery') / 'db.sqlite3'}"


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    server = SMTPProcess(tmp_path_factory.mktemp("smtp"))
    server.start()
    yield server
    server.stop()


class Stack:
    """The processes of one test module and how to talk to them."""

    def __init__(self, env, web_port, workdir):
        self.env, self.web_port, self.workdir = env, web_port, workdir
        self.base = f"http://127.0.0.1:{web_port}"
        self.workers = []
        cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(cookies), _NoRedirect()
        )

    def manage(self, *args, check=True):
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if check and result.returncode:
            raise AssertionError(f"manage.py {' '.join(args)}: {result.stderr}")
        return result

    def start_worker(self, name):
        log = open(self.workdir / f"worker-{name}.log", "wb")  # noqa: SIM115  (closed by the OS)
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "db_worker", "--queue-name", "*",
             "--interval", "0.1", "--no-reload", "--no-startup-delay", "--worker-id", name],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.workers.append(process)
        return process

    def stop_workers(self):
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.workers = []

    def request(self, path, data=None, headers=None):
        url = path if path.startswith("http") else self.base + path
        body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
        request = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def status(self, number):
        result = self.manage("send_status", str(number), "--json", check=False)
        return json.loads(result.stdout) if result.returncode == 0 else None

    def wait_done(self, number, timeout=900):
        def done():
            status = self.status(number)
            return status if status and status["state"] == "done" else None

        status = wait_for(done, timeout=timeout, interval=1.0)
        assert status, f"send of #{number} not done after {timeout} s: {self.status(number)}"
        return status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


ISSUE = """---
number: {number}
title: "Delivery test {number}"
date: 2024-01-0{number}
---

Intro citing [the intro](https://intro.example/{number}).

## News

### One

See [a](https://a.example/x) and [b](https://b.example/{number}).

### Two

Again [a](https://a.example/x), then [c](https://c.example/).
"""


@pytest.fixture(scope="module")
def stack(database_url, smtp, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("delivery-stack")
    web_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DIGEST_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="true",
        DIGEST_SITE_URL=f"http://127.0.0.1:{web_port}",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        DJANGO_EMAIL_TIMEOUT="5",
        DIGEST_SEND_RATE="0",
        DIGEST_SEND_LEASE_SECONDS="4",
        DIGEST_SEND_RETRY_SECONDS="1",
        DIGEST_SUBSCRIBES_PER_HOUR="100",
        DIGEST_PAGE_CACHE="false",
        DIGEST_MAIL_DIR=str(workdir / "mail"),
        PYTHONUNBUFFERED="1",
    )
    stack = Stack(env, web_port, workdir)
    stack.manage("migrate", "--noinput")
    for number in range(1, 6):
        path = workdir / f"issue-{number}.md"
        path.write_text(ISSUE.format(number=number))
        stack.manage("import_issue", str(path))
    log = open(workdir / "gunicorn.log", "wb")  # noqa: SIM115
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "digest.wsgi", "--bind", f"127.0.0.1:{web_port}",
         "--workers", "2", "--timeout", "60"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        assert wait_for(lambda: _answers(stack), timeout=30), "gunicorn did not start"
        yield stack
    finally:
        stack.stop_workers()
        web.send_signal(signal.SIGTERM)
        try:
            web.wait(timeout=20)
        except subprocess.TimeoutExpired:
            web.kill()
        log.close()


def _answers(stack):
    with contextlib.suppress(OSError):
        return stack.request("/healthz")[0] == 200
    return False


def test_subscribe_confirm_send_unsubscribe(stack, smtp):
    address = "Reader.One@Example.org"
    status, page = stack.request("/")
    assert status == 200 and 'action="/subscribe/"' in page
    status, _ = stack.request("/subscribe/", {"email": address, "website": ""})
    assert status == 302
    stack.start_worker("e2e")
    try:
        confirmations = wait_for(lambda: smtp.for_address("Reader.One@example.org"))
        assert confirmations, "no confirmation mail"
        link = re.search(r"http://\S+/subscribe/confirm/\S+/", body_text(confirmations[0]))
        status, page = stack.request(link.group(0))
        assert status == 200
        token = BeautifulSoup(page, "html.parser").find("input", {"name": "csrfmiddlewaretoken"})
        status, page = stack.request(link.group(0), {"csrfmiddlewaretoken": token["value"]})
        assert status == 200 and "You are subscribed" in page
        assert "queued for 1 subscribers" in stack.manage("send_issue", "1").stdout
        stack.wait_done(1, timeout=60)
    finally:
        stack.stop_workers()
    (message,) = [
        m for m in smtp.for_address("Reader.One@example.org")
        if str(m["Subject"]).startswith("#1 ")
    ]  # fmt: skip
    html, text = body_text(message, "html"), body_text(message, "plain")
    status, web_page = stack.request("/issues/1/")
    web, mail = BeautifulSoup(web_page, "html.parser"), BeautifulSoup(html, "html.parser")

    def references(soup):
        return [
            (li["id"], next(a["href"] for a in li.find_all("a") if a["href"].startswith("http")))
            for li in soup.select("ol.references li")
        ]

    assert references(web) and references(mail) == references(web)
    web_marks = re.findall(r"\[\d+\]", web.select_one("article").get_text())
    mail_marks = re.findall(r"\[\d+\]", mail.get_text())
    assert web_marks and set(web_marks) <= set(mail_marks)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.search(r"<(http://[^>]+/unsubscribe/[^>]+)>", message["List-Unsubscribe"])
    assert unsubscribe.group(1) in html and unsubscribe.group(1) in text
    # RFC 8058: the mail provider POSTs this body, with no cookie and no token.
    status, page = stack.request(
        unsubscribe.group(1),
        b"List-Unsubscribe=One-Click",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200
    stack.start_worker("e2e-2")
    try:
        stack.manage("send_issue", "2")
        stack.wait_done(2, timeout=60)
    finally:
        stack.stop_workers()
    assert not [
        m for m in smtp.for_address("Reader.One@example.org")
        if str(m["Subject"]).startswith("#2 ")
    ]  # fmt: skip


def _import(stack, name, numbers):
    path = stack.workdir / f"{name}.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "active_subscription"])  # Substack's columns
        writer.writerows([f"crowd{n}@example.net", "true"] for n in numbers)
    added = stack.manage("import_subscribers", str(path)).stdout
    assert f"{len(numbers)} subscribers added" in added, added
    return {f"crowd{n}@example.net" for n in numbers}


@pytest.fixture(scope="module")
def crowd(stack):
    """1,000 confirmed subscribers, imported from a CSV (imports send nothing)."""
    return _import(stack, "crowd", range(SMALL))


def _received(smtp, prefix, addresses):
    counts = smtp.count_by_recipient(prefix)
    return {address: counts.get(address, 0) for address in addresses}


def test_mail_server_stopped_for_ten_seconds(stack, smtp, crowd):
    stack.manage("send_issue", "4")
    stack.start_worker("outage")
    try:
        assert wait_for(
            lambda: sum(_received(smtp, "#4 ", crowd).values()) >= SMALL // 5,
            timeout=240,
            interval=0.2,
        )
        smtp.stop()
        stopped_at = sum(_received(smtp, "#4 ", crowd).values())
        time.sleep(10)
        smtp.start()
        status = stack.wait_done(4)
    finally:
        stack.stop_workers()
    received = _received(smtp, "#4 ", crowd)
    missing = [address for address, n in received.items() if n == 0]
    duplicates = sum(n - 1 for n in received.values() if n > 1)
    print(f"\nmail server stopped after {stopped_at}: {duplicates} duplicates, {len(missing)} lost")
    assert missing == [] and duplicates == 0
    assert status["sent"] == SMALL and status["failed"] == 0


def test_unsubscribe_during_a_send(stack, smtp, crowd):
    # Run after the outage test, whose issue gave these addresses their unsubscribe links.
    chosen = sorted(crowd)[-50:]  # addresses spread over the send
    assert wait_for(lambda: all(smtp.for_address(a) for a in chosen), timeout=30)
    tokens = {}
    for address in chosen:  # each one's unsubscribe link, as an earlier issue gave it
        message = next(m for m in smtp.for_address(address))
        tokens[address] = re.search(r"<(http://[^>]+)>", message["List-Unsubscribe"]).group(1)
    stack.manage("send_issue", "5")
    stack.start_worker("unsub")
    try:
        assert wait_for(
            lambda: sum(_received(smtp, "#5 ", crowd).values()) >= 100, timeout=240, interval=0.2
        )
        committed = {}
        for address in chosen:
            status, _ = stack.request(
                tokens[address], b"List-Unsubscribe=One-Click",
                {"Content-Type": "application/x-www-form-urlencoded"},
            )  # fmt: skip
            assert status == 200
            committed[address] = time.time()
            UNSUBSCRIBED.add(address)
        stack.wait_done(5)
    finally:
        stack.stop_workers()
    late = [
        (address, at - committed[address])
        for at, recipients, subject in smtp.arrivals()
        if subject.startswith("#5 ")
        for address in recipients
        if address in committed and at > committed[address]
    ]
    assert late == []


def test_worker_killed_mid_send(stack, smtp, crowd):
    # Exactly CROWD confirmed subscribers: the first crowd (less whoever unsubscribed) and more.
    crowd = (crowd - UNSUBSCRIBED) | _import(stack, "more", range(SMALL, CROWD + len(UNSUBSCRIBED)))
    stack.manage("send_issue", "3")
    first = stack.start_worker("doomed")
    try:
        assert wait_for(
            lambda: sum(_received(smtp, "#3 ", crowd).values()) >= CROWD // 5,
            timeout=240,
            interval=0.2,
        ), "the first worker sent too little"
        first.send_signal(signal.SIGKILL)
        first.wait()
        at_kill = sum(_received(smtp, "#3 ", crowd).values())
        stack.start_worker("heir")
        status = stack.wait_done(3)
    finally:
        stack.stop_workers()
    received = _received(smtp, "#3 ", crowd)
    missing = [address for address, n in received.items() if n == 0]
    duplicates = sum(n - 1 for n in received.values() if n > 1)
    print(f"\nkill -9 after {at_kill} of {CROWD}: {duplicates} duplicates, {len(missing)} lost")
    assert missing == []
    assert duplicates <= 1  # at most the one message in flight at the kill
    assert status["sent"] == CROWD and status["failed"] == 0
