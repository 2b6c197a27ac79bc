"""Background work of delivery, run by `manage.py db_worker` (django-tasks, database backend).

A send is carried by a few chains of `deliver` tasks. Each task claims rows for a while (a
lease in `claimed_until`), sends them over one open connection, marks each row sent in its own
commit right after the server accepted it, then enqueues its own continuation. django-tasks-db
leaves a task RUNNING forever when its worker is killed, so nothing waits for that task: the
killed worker's rows become claimable when their lease runs out, and `send_watchdog` (one per
send, re-enqueued with `run_after` while the send is unfinished) starts a new chain when rows
are claimable and nobody claimed any for a lease's time.
"""

import contextlib
import datetime
import logging
import smtplib
import time
import uuid
from collections import Counter

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from . import sql
from .mail import (
    PreparedIssueMail,
    confirmation_message,
    issue_message,
    issue_message_parts,
)
from .models import Delivery, Send, SendRate, Subscriber

logger = logging.getLogger(__name__)

# A deliver task hands over to its continuation after this long, so pauses, new workers and
# other sends get their turn.
TASK_SECONDS = 30
# The longest a worker holds subscribers' rows locked while sending to them.
LOCK_SECONDS = 1.0
MAX_ATTEMPTS = 10


def _lease():
    return datetime.timedelta(seconds=max(2, settings.DIGEST_SEND_LEASE_SECONDS))


def _retry_base():
    return max(0.5, float(getattr(settings, "DIGEST_SEND_RETRY_SECONDS", 5)))


def _locks_rows():
    # PostgreSQL: hold the subscriber row while its message is handed over, so an unsubscribe
    # committed before can never be overtaken. SQLite locks the whole file: check, then send.
    return connection.vendor == "postgresql"


@task()
def send_confirmation(subscriber_id: int) -> None:
    """The double opt-in mail, sent by a worker, never inside the reader's request."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id, is_erased=False).first()
    if subscriber is None or subscriber.status != Subscriber.Status.PENDING:
        return
    confirmation_message(subscriber=subscriber).send()


@task()
def send_test_message(issue_id: int, to: str) -> None:
    """An editor's test: the issue as subscribers get it, to their own address."""
    from issues.models import Issue

    issue = Issue.objects.get(pk=issue_id)
    parts = issue_message_parts(issue=issue)
    parts["subject"] = f"[TEST] {parts['subject']}"
    with get_connection() as mail_connection:
        issue_message(
            parts=parts, issue_number=issue.number, subscriber_id=0, to=to,
            connection=mail_connection,
        ).send()  # fmt: skip


def classify(error: BaseException) -> tuple[bool, str, bool]:
    """(permanent?, the server's answer, is the connection unusable now?)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(error.recipients.values()), (450, b""))
        return code >= 500, _answer(code, message), False
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        return code >= 500, _answer(code, error.smtp_error), code == 421
    try:  # an ESP through django-anymail
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused

        if isinstance(error, AnymailRecipientsRefused):
            return True, str(error)[:500], False
        if isinstance(error, AnymailAPIError):
            status = getattr(error, "status_code", None) or 0
            return 400 <= status < 500 and status != 429, str(error)[:500], False
    except ImportError:  # pragma: no cover
        pass
    # Disconnected, refused, timed out, reset: the server may be back soon.
    return False, f"{type(error).__name__}: {error}"[:500], True


def _answer(code, message):
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {message}"[:500]


def _rate_start(count: int):
    """Reserve `count` sending slots on the shared clock; the time the first one is due."""
    rate = settings.DIGEST_SEND_RATE
    if rate <= 0:
        return None
    now = timezone.now()
    for _ in range(3):
        try:
            with transaction.atomic():
                row = SendRate.objects.select_for_update().filter(pk=1).first()
                if row is None:
                    row = SendRate.objects.create(pk=1, next_at=now)
                start = max(row.next_at, now)
                row.next_at = start + datetime.timedelta(seconds=count / rate)
                row.save(update_fields=["next_at"])
                return start
        except IntegrityError:
            continue
    return now


def _wait_for_slot(start, index):
    if start is None:
        return
    due = start + datetime.timedelta(seconds=index / settings.DIGEST_SEND_RATE)
    delay = (due - timezone.now()).total_seconds()
    if delay > 0:
        time.sleep(delay)


def _claimable(send_id, now):
    return Delivery.objects.filter(
        send_id=send_id, status=Delivery.Status.QUEUED, run_after__lte=now
    ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def _claim(send_id, worker, limit):
    """Take up to `limit` claimable rows for this worker (SKIP LOCKED on PostgreSQL)."""
    now = timezone.now()
    with transaction.atomic():
        rows = _claimable(send_id, now).order_by("run_after")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        ids = list(rows.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Delivery.objects.filter(id__in=ids).update(claimed_until=now + _lease(), claimed_by=worker)
        Send.objects.filter(pk=send_id).update(last_claim_at=now)
    return list(
        Delivery.objects.filter(id__in=ids, claimed_by=worker)
        .order_by("id")
        .values_list("id", "subscriber_id", "subscriber__email")
    )


def _record(row_id, worker, **fields):
    return Delivery.objects.filter(pk=row_id, claimed_by=worker).update(
        claimed_until=None, **fields
    )


def _record_failure(row_id, worker, *, permanent, answer, attempts):
    if permanent or attempts + 1 >= MAX_ATTEMPTS:
        _record(row_id, worker, status=Delivery.Status.FAILED, error=answer, attempts=attempts + 1)
    else:
        delay = min(600, _retry_base() * 2**attempts)
        _record(
            row_id,
            worker,
            error=answer,
            attempts=attempts + 1,
            run_after=timezone.now() + datetime.timedelta(seconds=delay),
        )


def _check(cursor, row_ids, worker, *, lock):
    """What to do with each row now: 'send', 'skip', 'stop' (paused, cancelled), 'lost' (claim).

    One statement for the lot: on PostgreSQL it also locks their subscribers' rows until the
    transaction ends, so an unsubscribe committed before can never be overtaken."""
    cursor.execute(
        sql.check_rows(len(row_ids)) + (sql.LOCK_SUBSCRIBERS if lock else ""),
        [_now_param(), *row_ids],
    )
    verdicts = {}
    for row_id, subscriber_status, status, claimed_by, live, attempts, state in cursor.fetchall():
        if state != Send.State.SENDING:
            verdicts[row_id] = ("stop", attempts)
        elif claimed_by != worker or status != Delivery.Status.QUEUED or not live:
            verdicts[row_id] = ("lost", attempts)
        elif subscriber_status != Subscriber.Status.CONFIRMED:
            verdicts[row_id] = ("skip", attempts)
        else:
            verdicts[row_id] = ("send", attempts)
    return verdicts


class _SentMarks:
    """Records each message as sent in its own commit, right after the server took it.

    On PostgreSQL the subscribers' locks are held by a transaction on the worker's connection,
    so the marks go through a second connection that commits each one at once: a worker killed
    at any point duplicates at most the one message in flight. Inside an outer transaction
    (in-process tests) and on SQLite, the worker's own connection does it.
    """

    def __init__(self, *, separate: bool):
        self.own = None
        if separate:
            self.own = connections.create_connection(DEFAULT_DB_ALIAS)
            with self.own.cursor() as cursor:
                # Don't wait for each mark to reach the disk (profiled: 3.5 ms a message). A
                # killed worker loses nothing by this, the server already has the commit; only
                # a crash of the database server itself can forget the last few hundred ms of
                # marks (3 × wal_writer_delay at most), and those messages go out again.
                cursor.execute("SET synchronous_commit TO off")
                # Waiting for a row lock longer than this is a bug; fail loudly, never hang.
                cursor.execute("SET lock_timeout TO '60s'")

    def cursor(self):
        return (self.own or connection).cursor()

    def mark(self, row_id, worker) -> str | None:
        """Mark a row sent; its send's state now (None: the row is no longer this worker's)."""
        with self.cursor() as cursor:
            cursor.execute(sql.MARK_SENT, [_now_param(), row_id, worker])
            found = cursor.fetchone()
        return found[0] if found else None

    def renew_lease(self, worker):
        """Extend this worker's claims. On the marks' connection too: the rows it updates are
        the ones marked next, and a lock taken on the worker's connection would make the mark
        wait for a transaction that waits for the mark."""
        now = timezone.now()
        with self.cursor() as cursor:
            cursor.execute(sql.RENEW_LEASE, [_db_time(now + _lease()), worker, _db_time(now)])

    def close(self):
        if self.own is not None:
            self.own.close()


def _db_time(value):
    """A time as the database stores it (raw SQL gets no field's conversion)."""
    return connection.ops.adapt_datetimefield_value(value)


def _now_param():
    return _db_time(timezone.now())


def _hand_over(mail_connection, prepared, parts, send, subscriber_id, email):
    """Give one subscriber's message to the mail server (raises what the server answered)."""
    data = None
    # The prepared bytes need an open SMTP conversation; other backends (files in `make run`,
    # an ESP through anymail) get the message built in full.
    if isinstance(mail_connection, SMTPBackend) and mail_connection.connection is not None:
        data = prepared.for_subscriber(subscriber_id=subscriber_id, to=email)
    if data is not None:
        mail_connection.connection.sendmail(prepared.from_address, [email], data)
        return
    issue_message(
        parts=parts,
        issue_number=send.issue.number,
        subscriber_id=subscriber_id,
        to=email,
        connection=mail_connection,
    ).send()


def _deliver_rows(send, parts, prepared, rows, worker, mail_connection, marks, stats):
    """Send claimed rows; returns 'ok', 'stop' or 'broken' (the connection).

    PostgreSQL checks and locks the rows' subscribers a chunk at a time, for at most
    LOCK_SECONDS (an unsubscribe waits that long at worst); SQLite, which cannot lock rows,
    checks each row right before its message."""
    lock = _locks_rows()
    start = _rate_start(len(rows))
    lease_renewed = time.monotonic()
    index = 0
    while index < len(rows):
        chunk = rows[index:] if lock else rows[index : index + 1]
        with transaction.atomic() if lock else contextlib.nullcontext():
            locked_at = time.monotonic()
            with connection.cursor() as cursor:
                verdicts = _check(cursor, [row[0] for row in chunk], worker, lock=lock)
            for row_id, subscriber_id, email in chunk:
                if lock and time.monotonic() - locked_at > LOCK_SECONDS:
                    break  # let waiting unsubscribes through; the rest in a new chunk
                index += 1
                _wait_for_slot(start, index - 1)
                if time.monotonic() - lease_renewed > _lease().total_seconds() / 3:
                    marks.renew_lease(worker)
                    lease_renewed = time.monotonic()
                verdict, attempts = verdicts.get(row_id, ("stop", 0))
                if verdict in ("stop", "lost"):
                    _release(worker)
                    return "stop"
                if verdict == "skip":
                    _record(row_id, worker, status=Delivery.Status.SKIPPED, error="not subscribed")
                    stats["skipped"] += 1
                    continue
                try:
                    _hand_over(mail_connection, prepared, parts, send, subscriber_id, email)
                except Exception as error:  # noqa: BLE001 - every failure is recorded on its row
                    permanent, answer, broken = classify(error)
                    _record_failure(
                        row_id, worker, permanent=permanent, answer=answer, attempts=attempts
                    )
                    stats["failed" if permanent else "retry"] += 1
                    if broken:
                        _release(worker)
                        return "broken"
                    continue
                stats["sent"] += 1
                if marks.mark(row_id, worker) != Send.State.SENDING:
                    _release(worker)  # paused or cancelled meanwhile: this message was the last
                    return "stop"
    return "ok"


def _release(worker, delay=0.0):
    """Give back this worker's unsent rows (after `delay` seconds)."""
    now = timezone.now()
    Delivery.objects.filter(
        claimed_by=worker, status=Delivery.Status.QUEUED, claimed_until__isnull=False
    ).update(claimed_until=None, claimed_by="", run_after=now + datetime.timedelta(seconds=delay))


def send_finish_if_done(send_id) -> bool:
    """Mark the send done when no row is left queued."""
    if Delivery.objects.filter(send_id=send_id, status=Delivery.Status.QUEUED).exists():
        return False
    Send.objects.filter(pk=send_id, state=Send.State.SENDING).update(
        state=Send.State.DONE, finished_at=timezone.now()
    )
    return True


def _ensure_watchdog(send_id):
    """Start the send's watchdog again if it is overdue (its worker died while running it)."""
    now = timezone.now()
    with transaction.atomic():
        if Send.objects.filter(pk=send_id, watchdog_due_at__lt=now - _lease()).update(
            watchdog_due_at=now + _lease()
        ):
            send_watchdog.using(run_after=now + _lease()).enqueue(send_id)


def _continue(send_id, *, claimed_any=True):
    """Enqueue this chain's next task: now if rows are waiting, else when the next retry is due.

    A task that could claim nothing (rows locked by another worker at that moment) waits a
    second before trying again rather than spinning."""
    if not Send.objects.filter(pk=send_id, state=Send.State.SENDING).exists():
        return
    if send_finish_if_done(send_id):
        return
    now = timezone.now()
    next_at = (
        Delivery.objects.filter(send_id=send_id, status=Delivery.Status.QUEUED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    if next_at is None:
        return  # every row left is another worker's now; it carries on (or the watchdog does)
    if not claimed_any:
        next_at = max(next_at, now + datetime.timedelta(seconds=1))
    if next_at <= now:
        deliver.enqueue(send_id)
    else:
        deliver.using(run_after=next_at).enqueue(send_id)


@task(queue_name="delivery")
def deliver(send_id: int) -> dict:
    """Claim and send rows of a send for up to TASK_SECONDS, then hand over to a new task."""
    send = Send.objects.select_related("issue").filter(pk=send_id).first()
    if send is None or send.state != Send.State.SENDING:
        return {}
    _ensure_watchdog(send_id)
    worker = uuid.uuid4().hex
    parts = {"subject": send.subject, "html": send.html, "text": send.text}
    prepared = PreparedIssueMail(parts=parts, issue_number=send.issue.number)
    batch = max(1, settings.DIGEST_SEND_BATCH)
    if settings.DIGEST_SEND_RATE > 0:  # a claim should be sent well within its lease
        batch = max(1, min(batch, int(settings.DIGEST_SEND_RATE * _lease().total_seconds() / 4)))
    stats: Counter[str] = Counter()
    claimed_any = False
    deadline = time.monotonic() + TASK_SECONDS
    mail_connection = None
    marks = _SentMarks(separate=_locks_rows() and not connection.in_atomic_block)
    try:
        while time.monotonic() < deadline:
            rows = _claim(send_id, worker, batch)
            if not rows:
                break
            claimed_any = True
            if mail_connection is None:
                mail_connection = get_connection()
                try:
                    mail_connection.open()
                except Exception as error:  # noqa: BLE001 - refused, timed out: later
                    logger.warning("send %s: mail server unavailable: %s", send_id, error)
                    _release(worker, delay=_retry_base())
                    mail_connection = None
                    stats["unavailable"] += 1
                    break
            outcome = _deliver_rows(
                send, parts, prepared, rows, worker, mail_connection, marks, stats
            )
            if outcome == "broken":
                _close(mail_connection)
                mail_connection = None
                _release(worker, delay=_retry_base())
                break
            if outcome == "stop":
                break
    finally:
        _close(mail_connection)
        _release(worker)
        marks.close()
    _continue(send_id, claimed_any=claimed_any)
    return dict(stats)


def _close(mail_connection):
    if mail_connection is None:
        return
    try:
        mail_connection.close()
    except Exception:  # noqa: BLE001 - a dead connection cannot be closed politely
        logger.debug("closing the mail connection failed", exc_info=True)


@task(queue_name="delivery")
def send_watchdog(send_id: int) -> None:
    """While a send is unfinished: come back later, and restart delivery if it stalled."""
    now = timezone.now()
    with transaction.atomic():
        send = Send.objects.select_for_update().filter(pk=send_id).first()
        if send is None or send.state in (Send.State.DONE, Send.State.CANCELLED):
            return
        # The successor first, in the same commit as the new due time: a worker killed after
        # this commit leaves the chain intact.
        Send.objects.filter(pk=send_id).update(watchdog_due_at=now + _lease())
        send_watchdog.using(run_after=now + _lease()).enqueue(send_id)
    if send.state != Send.State.SENDING or send_finish_if_done(send_id):
        return
    queued = Delivery.objects.filter(send_id=send_id, status=Delivery.Status.QUEUED)
    expired = queued.filter(claimed_until__lt=now).exists()
    idle = send.last_claim_at is None or send.last_claim_at < now - _lease()
    if expired or (idle and _claimable(send_id, now).exists()):
        logger.info("send %s: restarting delivery (expired claims or idle)", send_id)
        deliver.enqueue(send_id)
