"""`make loadtest`: readers, reporters and an editor at once against gunicorn on PostgreSQL.

A fresh database (on the server DATABASE_URL points to, or a throwaway cluster when run as root
without one) gets the demo issues; gunicorn runs with deploy/gunicorn.conf.py and production
settings on loopback. Reader threads mix issue pages, the home page, search, both feeds and report
submissions, each report from its own client address; one editor saves an issue through the admin
again and again. Afterwards the database must hold every report that was thanked for and every
save that was accepted. With --fault, PostgreSQL is stopped and started again mid-run: 503s only
while it is away, full service after it, with the same gunicorn. With --slow-mail, mail goes to
a server that accepts connections and never answers, a moderator has an address and a task
worker runs beside gunicorn: reports keep arriving, their notifications wait on that server in
the worker, and readers must be served as before (issue 14, item 4).
"""

import argparse
import contextlib
import http.client
import http.cookies
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.admin_forms import form_data  # noqa: E402
from tests.support.silent_smtp import silent_smtp  # noqa: E402
from tests.support.stack import (  # noqa: E402
    ROOT,
    ThrowawayPostgres,
    free_port,
    fresh_postgres_database,
    gunicorn,
    manage,
    production_env,
)

# Requests a reader picks from, with weights: pages dominate, as they do for a newsletter.
READER_MIX = {"issue": 30, "home": 15, "search": 15, "feed": 8, "atom": 5, "report": 10}
SEARCHES = ["BERT", "transformer", "预训练", "language model", "dataset code", "zzqx-nothing"]
REASONS = ["spam", "misleading", "offensive", "copyright", "broken_link", "other"]
# Requests started this long after PostgreSQL is back may no longer get a 503.
RECOVERY_GRACE = 1.0
TARGETS = """
import json
from issues.models import Issue
targets = {}
for issue in Issue.objects.published().prefetch_related("sections__items"):
    targets[issue.number] = {
        "pk": issue.pk,
        "items": [
            f"{s.position}.{i.position}" for s in issue.sections.all() for i in s.items.all()
        ],
    }
print(json.dumps(targets))
"""
FACTS = """
import json, re
from reversion.models import Version
from issues.models import Item, Report
prefix = %(prefix)r
notes = list(Report.objects.filter(note__startswith=prefix).values_list("note", flat=True))
pattern = re.compile(re.escape(prefix) + r"edit-\\d+")
revised = set()
for data in Version.objects.filter(serialized_data__contains=prefix + "edit-").values_list(
    "serialized_data", flat=True
):
    revised.update(pattern.findall(data))
body = Item.objects.filter(pk=%(item)d).values_list("body", flat=True).first() or ""
from django.db.models import Count
from django_tasks_db.models import DBTaskResult
tasks = dict(
    DBTaskResult.objects.filter(task_path="issues.tasks.notify_moderators")
    .values_list("status").annotate(n=Count("pk")).values_list("status", "n")
)
print(json.dumps({"notes": notes, "revised": sorted(revised), "current": pattern.findall(body),
                  "mail_tasks": tasks}))
"""
# For --slow-mail: someone for the notifications to go to.
MODERATOR = """
from tests.factories import make_user
make_user("load-moderator", staff=True, groups=["Moderators"], email="moderator@example.org")
"""
READER_PAGES = ("issue", "home", "search", "feed", "atom")


@dataclass
class Sample:
    kind: str
    status: int  # 0: no HTTP answer at all
    started: float
    ended: float


@dataclass
class Result:
    """What the clients saw, what they were told was kept, and what the database holds."""

    samples: list = field(default_factory=list)
    reports_sent: list = field(default_factory=list)
    reports_accepted: list = field(default_factory=list)
    edits_sent: list = field(default_factory=list)
    edits_accepted: list = field(default_factory=list)
    edits_refused: int = 0
    transport_errors: list = field(default_factory=list)
    outage: tuple | None = None  # (stop called, start returned), monotonic seconds
    stored: dict = field(default_factory=dict)
    started: float = 0.0
    duration: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, kind, status, started):
        with self.lock:
            self.samples.append(Sample(kind, status, started, time.monotonic()))

    def counts(self):
        """{kind: Counter(status)}, kinds sorted."""
        table = {}
        for sample in self.samples:
            table.setdefault(sample.kind, Counter())[sample.status] += 1
        return dict(sorted(table.items()))


class Browser:
    """One client over http.client: its own address, cookies and CSRF token; https as nginx says."""

    def __init__(self, port, address):
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        # Production cookies are Secure and the proxy says https, so they are kept and sent here.
        self.cookies = {}
        self.headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": address}

    def request(self, method, path, form=None):
        """(status, headers, body); raises OSError or http.client errors when nothing answers."""
        headers = dict(self.headers)
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # CSRF on https checks Origin (or Referer) against the host.
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, content


def _csrf_token(body):
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    return match.group(1).decode() if match else ""


class _Page:
    """Enough of a Django test response for tests.support.admin_forms.form_data."""

    def __init__(self, content):
        self.content = content


def _call(result, browser, kind, method, path, form=None):
    started = time.monotonic()
    try:
        status, headers, body = browser.request(method, path, form)
    except (OSError, http.client.HTTPException) as error:
        result.add(kind, 0, started)
        with result.lock:
            result.transport_errors.append(f"{kind} {path}: {error!r}")
        return 0, {}, b""
    result.add(kind, status, started)
    return status, headers, body


def reader(result, port, targets, stop, addresses, markers, rng):
    """A reader: pages, searches, feeds, and now and then a report from a new client address."""
    kinds, weights = zip(*READER_MIX.items(), strict=True)
    numbers = sorted(targets)
    browser = Browser(port, next(addresses))
    while not stop.is_set():
        kind = rng.choices(kinds, weights)[0]
        if kind == "issue":
            _call(result, browser, kind, "GET", f"/issues/{rng.choice(numbers)}/")
        elif kind == "home":
            _call(result, browser, kind, "GET", "/")
        elif kind == "search":
            _call(
                result, browser, kind, "GET", "/search/?" + urlencode({"q": rng.choice(SEARCHES)})
            )
        elif kind == "feed":
            _call(result, browser, kind, "GET", "/feed/")
        elif kind == "atom":
            _call(result, browser, kind, "GET", "/feed/atom/")
        else:
            # A new reader for each report, so the hourly limit per client never applies.
            browser = Browser(port, next(addresses))
            number = rng.choice(numbers)
            item = rng.choice(targets[number]["items"] + [""])
            query = urlencode({"issue": number, "item": item})
            status, _, body = _call(result, browser, "report_form", "GET", f"/report/?{query}")
            if status != 200:
                continue
            note = f"{next(markers)} about {number}.{item or '-'}"
            form = {
                "csrfmiddlewaretoken": _csrf_token(body),
                "issue": number,
                "item": item,
                "reason": rng.choice(REASONS),
                "note": note,
                "contact_email": "",
                "website": "",
            }
            with result.lock:
                result.reports_sent.append(note)
            status, headers, _ = _call(result, browser, "report", "POST", "/report/", form)
            if status == 302 and headers.get("Location", "").endswith("/report/thanks/"):
                with result.lock:
                    result.reports_accepted.append(note)


def log_in(result, browser, password):
    """Sign the editor in; True when the admin let them in."""
    status, _, body = _call(result, browser, "login", "GET", "/admin/login/")
    if status != 200:
        return False
    form = {"csrfmiddlewaretoken": _csrf_token(body), "username": "editor", "password": password}
    status, headers, _ = _call(result, browser, "login", "POST", "/admin/login/", form)
    return status == 302 and "/login/" not in headers.get("Location", "")


def editor(result, browser, issue_pk, password, stop, prefix, pause=0.1):
    """The editor: open the issue, change one item's body, save; again and again."""
    change = f"/admin/issues/issue/{issue_pk}/change/"
    serial = itertools.count(1)
    base_body = item_field = None
    while not stop.is_set():
        status, headers, body = _call(result, browser, "edit_form", "GET", change)
        if status == 302 and "/login/" in headers.get("Location", ""):
            log_in(result, browser, password)
        if status != 200:
            time.sleep(pause)
            continue
        data = form_data(_Page(body))
        if item_field is None:
            item_field = "sections-0-items-0-body"
            base_body = data[item_field]
            result.stored["item_pk"] = int(data["sections-0-items-0-id"])
        marker = f"{prefix}edit-{next(serial)}"
        data[item_field] = f"{base_body}\n\nEdited under load: {marker}."
        data["_continue"] = "1"
        with result.lock:
            result.edits_sent.append(marker)
        status, _, _ = _call(result, browser, "edit_save", "POST", change, data)
        with result.lock:
            if status == 302:
                result.edits_accepted.append(marker)
            elif status == 200:
                result.edits_refused += 1
        time.sleep(pause)


def run_load(port, *, targets, editor_issue, password, duration, readers=8, postgres=None,
             outage_at=0.35, outage_seconds=3.0, prefix=None):  # fmt: skip
    """Run the mix for `duration` seconds; with `postgres`, stop and restart it at `outage_at`."""
    result = Result()
    prefix = prefix or f"load-{uuid.uuid4().hex[:8]}-"
    result.stored["prefix"] = prefix
    stop = threading.Event()
    # Private addresses (10/8): one per reader and one per report. Shared by threads, so locked.
    addresses = _locked(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}" for n in itertools.count(1))
    markers = _locked(f"{prefix}report-{n}" for n in itertools.count(1))
    threads = [
        threading.Thread(
            target=reader,
            args=(result, port, targets, stop, addresses, markers, random.Random(n)),
            daemon=True,
        )
        for n in range(readers)
    ]
    # Signed in before the clock starts, so a short run still sees saves on both sides of a fault.
    browser = Browser(port, "192.0.2.10")
    if not log_in(result, browser, password):
        raise RuntimeError("the demo editor could not sign in")
    threads.append(
        threading.Thread(
            target=editor,
            args=(result, browser, targets[editor_issue]["pk"], password, stop, prefix),
            daemon=True,
        )
    )
    started = result.started = time.monotonic()
    for thread in threads:
        thread.start()
    if postgres is not None:
        time.sleep(duration * outage_at)
        down = time.monotonic()
        postgres.stop()
        time.sleep(outage_seconds)
        postgres.start()
        result.outage = (down, time.monotonic())
    time.sleep(max(0.0, started + duration - time.monotonic()))
    stop.set()
    for thread in threads:
        thread.join(timeout=90)
    result.duration = time.monotonic() - started
    return result


class _locked:
    """An iterator several threads draw from (generators refuse concurrent next())."""

    def __init__(self, iterator):
        self.iterator, self.lock = iterator, threading.Lock()

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            return next(self.iterator)


def prepare(env):
    """Migrate, collect static files, load the demo; (targets, the editor's password)."""
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", env=env)
    output = manage("load_demo", env=env).stdout
    password = re.search(r"Demo account: editor / (\S+)", output).group(1)
    targets = _shell_json(TARGETS, env)
    return {int(number): target for number, target in targets.items()}, password


def _shell_json(code, env):
    # The shell may announce its automatic imports first: the JSON is the last line.
    return json.loads(manage("shell", "-c", code, env=env).stdout.strip().splitlines()[-1])


def collect(result, env):
    """Read back what the database holds of this run's reports and edits."""
    code = FACTS % {"prefix": result.stored["prefix"], "item": result.stored.get("item_pk", 0)}
    result.stored.update(_shell_json(code, env))
    return result


def problems(result):
    """Every broken promise, as readable lines; empty when the run kept them all."""
    found = []
    outage = result.outage
    bad = {}
    for sample in result.samples:
        ok = 200 <= sample.status < 400
        in_outage = outage and sample.started <= outage[1] + RECOVERY_GRACE
        in_outage = in_outage and sample.ended >= outage[0]
        if not ok and not (sample.status == 503 and in_outage):
            offset = sample.started - (outage[0] if outage else result.started)
            bad.setdefault((sample.kind, sample.status), []).append(offset)
    since = "the outage began" if outage else "the start"
    for (kind, status), offsets in sorted(bad.items()):
        found.append(
            f"{kind}: {len(offsets)} × status {status or '(no answer)'}, "
            f"{min(offsets):+.1f} s to {max(offsets):+.1f} s after {since}"
        )
    found += result.transport_errors[:10]
    if "mail_tasks" in result.stored and not result.stored["mail_tasks"]:
        found.append("slow mail: no notification was queued, so the mail server was never met")
    kinds = {"issue", "home", "search", "feed", "atom", "report", "edit_save"}
    after = outage[1] + RECOVERY_GRACE if outage else 0.0
    served = {s.kind for s in result.samples if 200 <= s.status < 400 and s.started > after}
    for kind in sorted(kinds - served):
        found.append(f"{kind}: never served {'after the outage' if outage else 'at all'}")
    if outage and not any(s.status == 503 for s in result.samples):
        found.append("no 503 at all: the outage did not happen under load")
    stored = result.stored
    notes = set(stored.get("notes", []))
    lost = [note for note in result.reports_accepted if note not in notes]
    found += [f"report thanked for but not stored: {note}" for note in lost]
    found += [f"report stored but never sent: {note}" for note in notes - set(result.reports_sent)]
    revised = set(stored.get("revised", []))
    found += [f"edit accepted, no revision: {m}" for m in result.edits_accepted if m not in revised]
    if result.edits_accepted:
        last = result.edits_accepted[-1]
        # A save whose answer never came may have landed after the last accepted one; none older.
        newer = set(result.edits_sent[result.edits_sent.index(last) :])
        if not set(stored.get("current", [])) & newer:
            found.append(f"current body holds {stored.get('current')}, last accepted save {last}")
    return found


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else 0


def latencies(result, kinds):
    """Milliseconds each answered request of these kinds took, start to last byte."""
    return [(s.ended - s.started) * 1000 for s in result.samples if s.kind in kinds and s.status]


def latency_lines(result):
    """p50, p95 and the slowest, for the readers' pages together and for reports."""
    lines = []
    for label, kinds in (("readers' pages", READER_PAGES), ("report POST", ("report",))):
        values = latencies(result, kinds)
        if values:
            lines.append(
                f"{label}: p50 {percentile(values, 0.5):.0f} ms, "
                f"p95 {percentile(values, 0.95):.0f} ms, max {max(values):.0f} ms "
                f"({len(values)} requests)"
            )
    tasks = result.stored.get("mail_tasks")
    if tasks is not None:
        lines.append(f"notification tasks by status: {tasks or 'none'}")
    return lines


def summary(result):
    """The figures, as lines for a terminal or the README."""
    lines = [f"duration {result.duration:.1f} s, {len(result.samples)} requests"]
    for kind, statuses in result.counts().items():
        detail = ", ".join(
            f"{status or 'no answer'}: {n}" for status, n in sorted(statuses.items())
        )
        lines.append(f"  {kind:<12} {sum(statuses.values()):>6}  ({detail})")
    lines += latency_lines(result)
    five = sum(1 for s in result.samples if s.status >= 500)
    lines.append(f"5xx: {five} (503: {sum(1 for s in result.samples if s.status == 503)})")
    if result.outage:
        lines.append(f"outage: PostgreSQL away {result.outage[1] - result.outage[0]:.1f} s")
    notes = set(result.stored.get("notes", []))
    lines.append(
        f"reports: {len(result.reports_sent)} sent, {len(result.reports_accepted)} accepted, "
        f"{len(notes)} stored, {sum(n not in notes for n in result.reports_accepted)} lost"
    )
    revised = set(result.stored.get("revised", []))
    lines.append(
        f"edits: {len(result.edits_sent)} sent, {len(result.edits_accepted)} accepted, "
        f"{result.edits_refused} refused as conflicts, "
        f"{sum(m in revised for m in result.edits_accepted)} of them in revisions, "
        f"{len(revised - set(result.edits_accepted))} saved though not acknowledged, "
        f"current body {result.stored.get('current')}"
    )
    return lines


def fresh_database(url):
    """A new database on that PostgreSQL server, dropped afterwards."""
    return fresh_postgres_database(url, prefix="digest_load")


@contextlib.contextmanager
def task_worker(env, log):
    """`manage.py db_worker` for every queue, as `make run` starts it; stopped afterwards."""
    with open(log, "ab") as out:
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "db_worker", "--queue-name", "*"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)  # it finishes the task in hand, up to EMAIL_TIMEOUT
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def load_run(
    *, database_url, workdir, duration, readers=8, workers=4, postgres=None, slow_mail=False
):
    """Prepare the site on that database, serve it with gunicorn, run the load, read back."""
    with contextlib.ExitStack() as stack:
        if slow_mail:
            mail = {
                "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "DJANGO_EMAIL_HOST": "127.0.0.1",
                "DJANGO_EMAIL_PORT": stack.enter_context(silent_smtp()),
            }
        else:  # Moderators have no email in the demo; never reach for an SMTP server anyway.
            mail = {"DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
        env = production_env(
            database_url=database_url,
            workdir=workdir,
            # Straight to gunicorn from loopback, a trusted proxy by default: the client address
            # is the last X-Forwarded-For hop we send.
            DIGEST_PAGE_DIR="",
            **mail,
        )
        targets, password = prepare(env)
        if slow_mail:
            manage("shell", "-c", MODERATOR, env=env)
            stack.enter_context(task_worker(env, Path(workdir) / "worker.log"))
        return _serve_and_load(
            env, workdir, targets, password, duration, readers, workers, postgres, slow_mail
        )


def _serve_and_load(env, workdir, targets, password, duration, readers, workers, postgres,
                    slow_mail):  # fmt: skip
    port = free_port()
    log = Path(workdir) / "gunicorn.log"
    with gunicorn(env=env, port=port, workers=workers, log=log):
        result = run_load(
            port,
            targets=targets,
            editor_issue=min(targets),
            password=password,
            duration=duration,
            readers=readers,
            postgres=postgres,
        )
    # gunicorn's own lines (tracebacks, not the JSON request lines), kept for a failure report:
    # the work folder may be gone by then.
    text = log.read_text(errors="replace")
    error = text.find("Internal Server Error")
    lines = text[error:] if error >= 0 else text
    result.stored["log_tail"] = "\n".join(line for line in lines.splitlines() if line[:1] != "{")[
        :6000
    ]
    result = collect(result, env)
    if not slow_mail:
        result.stored.pop("mail_tasks", None)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=float, default=float(os.environ.get("LOADTEST_DURATION", 60))
    )
    parser.add_argument("--readers", type=int, default=int(os.environ.get("LOADTEST_READERS", 8)))
    parser.add_argument(
        "--fault",
        action="store_true",
        default=os.environ.get("LOADTEST_FAULT", "") not in ("", "0"),
        help="stop and restart PostgreSQL mid-run (a throwaway cluster: needs root)",
    )
    parser.add_argument(
        "--slow-mail",
        action="store_true",
        default=os.environ.get("LOADTEST_SLOW_MAIL", "") not in ("", "0"),
        help="mail to a server that accepts and never answers, with a task worker running",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="digest-load-") as workdir, contextlib.ExitStack() as s:
        postgres = None
        if args.fault or not url.startswith(("postgres://", "postgresql://")):
            reason = ThrowawayPostgres.available()
            if reason:
                sys.exit(
                    f"loadtest: set DATABASE_URL to a PostgreSQL server, or run as root ({reason})"
                )
            postgres = s.enter_context(ThrowawayPostgres())
            url = postgres.url
        database = s.enter_context(fresh_database(url))
        result = load_run(
            database_url=database,
            workdir=workdir,
            duration=args.duration,
            readers=args.readers,
            postgres=postgres if args.fault else None,
            slow_mail=args.slow_mail,
        )
    print("\n".join(summary(result)))
    found = problems(result)
    if found:
        print("\ngunicorn's log ends:\n" + result.stored.get("log_tail", ""))
        print("\nFAILED:\n  " + "\n  ".join(found))
        sys.exit(1)
    print("OK: no 5xx outside the outage, nothing lost")


if __name__ == "__main__":
    main()
