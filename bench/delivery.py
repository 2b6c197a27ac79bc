"""`make bench-delivery`: sending an issue to 100,000 subscribers, measured; appended to RESULTS.md.

On the PostgreSQL server DATABASE_URL points to (a fresh database, dropped afterwards):

- the time `send_create` takes to queue 100,000 deliveries (one INSERT … SELECT);
- the raw limit: a plain smtplib loop sending the same rendered message over one connection to
  Postfix's `smtp-sink`, and then the real thing: 2 `manage.py db_worker` processes delivering
  the send into the same sink; the ratio of the two;
- each worker's resident memory when 10,000 and 100,000 messages have gone out;
- the subscribers admin list and the send page (and its JSON) at 100,000: queries and ms.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.stack import ROOT, free_port, fresh_postgres_database, manage, production_env  # noqa: E402

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", 100_000))
RAW_MESSAGES = int(os.environ.get("BENCH_RAW_MESSAGES", 20_000))
# Stop measuring delivery after this many seconds (0: until the send is done).
DELIVERY_SECONDS = float(os.environ.get("BENCH_DELIVERY_SECONDS", 0))
SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"


def shell(code, env):
    """Run Python in a Django shell of that environment; its last stdout line is JSON."""
    result = manage("shell", "-c", code, env=env, check=False)
    if result.returncode:
        sys.exit(f"the bench's shell step failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


SETUP = f"""
import json
from django.db import connection
from django.utils import timezone
from delivery.models import Subscriber
with connection.cursor() as cursor:
    cursor.execute(
        "INSERT INTO delivery_subscriber (email, email_key, status, language, source, is_erased,"
        " created_at, updated_at, confirmed_at) SELECT 'reader' || n || '@example.com',"
        " 'reader' || n || '@example.com', 'confirmed', 'en', 'bench', false, now(), now(), now()"
        " FROM generate_series(1, {SUBSCRIBERS}) AS n"
    )
print(json.dumps(Subscriber.objects.count()))
"""

QUEUE = """
import json, time
from issues.models import Issue
from delivery.services import send_create
issue = Issue.objects.get(number=2)
started = time.perf_counter()
send = send_create(issue=issue)
print(json.dumps({"seconds": time.perf_counter() - started, "total": send.total, "id": send.pk}))
"""

RAW = """
import json, smtplib, time
from django.core.mail import get_connection
from issues.models import Issue
from delivery.mail import issue_message, issue_message_parts
from delivery.models import Subscriber
parts = issue_message_parts(issue=Issue.objects.get(number=2))
subscriber = Subscriber.objects.order_by("id").first()
message = issue_message(parts=parts, issue_number=2, subscriber_id=subscriber.pk,
                        to=subscriber.email, connection=None).message()
data = message.as_bytes(linesep="\\r\\n")
with smtplib.SMTP("127.0.0.1", PORT, local_hostname="localhost") as smtp:
    started = time.perf_counter()
    for n in range(COUNT):
        smtp.sendmail("digest@localhost", [f"reader{n}@example.com"], data)
    elapsed = time.perf_counter() - started
print(json.dumps({"rate": COUNT / elapsed, "bytes": len(data)}))
"""

PAGES = """
import json, statistics, time
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from delivery.models import Send
user = get_user_model().objects.create_superuser("bench", "bench@example.com", "x")
client = Client()
client.force_login(user)
send = Send.objects.get()
pages = {
    "subscribers admin list": "/admin/delivery/subscriber/",
    "subscribers admin, filtered and searched":
        "/admin/delivery/subscriber/?status__exact=confirmed&q=reader99",
    "send page": f"/admin/delivery/send/{send.pk}/progress/",
    "send page JSON (polled every 2 s)": f"/admin/delivery/send/{send.pk}/progress.json",
    "deliveries of the send": f"/admin/delivery/delivery/?send__id__exact={send.pk}",
}
out = {}
for name, url in pages.items():
    client.get(url)
    times = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url, secure=True)
            times.append((time.perf_counter() - started) * 1000)
    out[name] = {"queries": len(queries), "ms": statistics.median(times),
                 "status": response.status_code}
print(json.dumps(out))
"""


def rss_kib(pid):
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@contextlib.contextmanager
def smtp_sink(port):
    process = subprocess.Popen(
        # -u: smtp-sink refuses to run as root without a user to switch to.
        [SMTP_SINK, "-c", *(["-u", "postfix"] if os.geteuid() == 0 else []),
         f"127.0.0.1:{port}", "1000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def run(database_url, workdir):
    sink_port = int(os.environ.get("BENCH_SMTP_PORT", 0)) or free_port()
    env = production_env(
        database_url=database_url,
        workdir=workdir,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_SECURE_SSL_REDIRECT="false",
        EMAIL_URL=f"smtp://127.0.0.1:{sink_port}",
        DIGEST_SEND_RATE="0",
        DIGEST_SITE_URL="https://news.example.org",
        DIGEST_PAGE_DIR="",
    )
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", env=env)  # production settings: hashed static names
    manage("load_demo", env=env)
    results = {"subscribers": shell(SETUP, env)}
    results["queue"] = shell(QUEUE, env)
    with smtp_sink(sink_port):
        code = RAW.replace("PORT", str(sink_port)).replace("COUNT", str(RAW_MESSAGES))
        results["raw"] = shell(code, env)
        workers = [
            subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), "db_worker", "--queue-name", "*",
                 "--no-reload", "--no-startup-delay", "--interval", "0.2", "-v", "0"],
                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]  # fmt: skip
        started, rss, status = time.perf_counter(), {}, {}
        try:
            while time.perf_counter() - started < 3600:
                status = json.loads(manage("send_status", "2", "--json", env=env).stdout)
                status["elapsed"] = time.perf_counter() - started
                for mark in (10_000, SUBSCRIBERS):
                    if status["sent"] >= mark and mark not in rss:
                        rss[mark] = [rss_kib(worker.pid) for worker in workers]
                if status["state"] == "done":
                    break
                if DELIVERY_SECONDS and time.perf_counter() - started > DELIVERY_SECONDS:
                    rss["at stop"] = [rss_kib(worker.pid) for worker in workers]
                    break
                time.sleep(0.5)
        finally:
            elapsed = time.perf_counter() - started
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=60)
        results["workers"] = {"seconds": elapsed, "status": status, "rss_kib": rss}
    results["pages"] = shell(PAGES, env)
    return results


def report(results):
    raw = results["raw"]["rate"]
    sent = results["workers"]["status"]["sent"]
    rate = sent / results["workers"]["seconds"]
    rss = results["workers"]["rss_kib"]
    lines = [
        "",
        "## Delivery (`make bench-delivery`, bench/delivery.py)",
        "",
        f"{results['subscribers']:,} confirmed subscribers on PostgreSQL; the demo issue #2 "
        f"({results['raw']['bytes']:,} bytes as sent); Postfix's `smtp-sink` on loopback as the "
        "mail server; 2 `db_worker` processes (`DIGEST_SEND_RATE=0`, batches of 50, one SMTP "
        "connection per task), everything sharing the machine's 2 CPUs. The raw limit is a plain "
        "smtplib loop sending the same rendered message over one connection to the same sink "
        f"({RAW_MESSAGES:,} messages), in the same run. The delivery rate counts from the workers' "
        "start to the send being done (polled every 0.5 s), so it includes their start-up.",
        "",
        "| Measure | Value |",
        "|---|---:|",
        f"| queue a send to {results['queue']['total']:,} (`send_create`, one INSERT … SELECT) "
        f"| {results['queue']['seconds']:.2f} s |",
        f"| raw smtplib loop, one connection | {raw:,.0f} messages/s |",
        f"| 2 db_workers, {sent:,} messages | {rate:,.0f} messages/s "
        f"({results['workers']['seconds']:.0f} s) |",
        f"| ratio to the raw limit (target ≥ 0.5) | {rate / raw:.2f} × |",
    ]
    for mark, values in rss.items():
        pretty = " / ".join(f"{v / 1024:.0f} MiB" for v in values)
        label = f"{int(mark):,} sent" if str(mark).isdigit() else f"the stop ({sent:,} sent)"
        lines.append(f"| worker RSS at {label} | {pretty} |")
    lines += ["", "| Page at 100,000 subscribers | queries | ms (median of 5, in-process) |",
              "|---|---:|---:|"]  # fmt: skip
    for name, page in results["pages"].items():
        status = "" if page["status"] == 200 else f" (HTTP {page['status']})"
        lines.append(f"| {name}{status} | {page['queries']} | {page['ms']:.0f} |")
    return "\n".join(lines) + "\n"


def main():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/delivery.py measures on PostgreSQL: set DATABASE_URL to a server")
    if not os.path.exists(SMTP_SINK):
        sys.exit("bench/delivery.py needs Postfix's smtp-sink (apt-get install postfix)")
    with (
        fresh_postgres_database(url, prefix="digest_bench_delivery") as database,
        tempfile.TemporaryDirectory() as workdir,
    ):
        results = run(database, workdir)
    text = report(results)
    print(json.dumps(results, indent=2))
    print(text)
    path = ROOT / "bench" / "RESULTS.md"
    existing = path.read_text() if path.exists() else ""
    marker = "\n## Delivery (`make bench-delivery`"
    if marker in existing:
        existing = existing[: existing.index(marker)]
    path.write_text(existing.rstrip("\n") + "\n" + text)


if __name__ == "__main__":
    main()
