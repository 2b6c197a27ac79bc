"""Issue 14, item 4: a mail server that accepts and never answers cannot hold a reader's request.

The moderators' notification goes to a task (enqueued when the report commits); the request
only inserts the task row.
"""

import socket
import threading
import time

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from issues.models import Report
from tests.delivery_helpers import DB_TASKS, free_port, run_queued_tasks
from tests.factories import make_issue, make_user


@pytest.fixture
def silent_smtp():
    """A TCP server that accepts connections and never says a word."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    port = free_port()
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield port
    stop.set()
    thread.join()
    for sock in held:
        sock.close()
    listener.close()


@pytest.mark.django_db
def test_report_returns_at_once_with_a_silent_mail_server(
    client, settings, silent_smtp, django_capture_on_commit_callbacks
):
    settings.TASKS = DB_TASKS
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", silent_smtp, 2
    make_user("moderator", staff=True, groups=["Moderators"], email="mod@example.org")
    issue = make_issue(number=1, sections=[("S", "", [("A", "text")])])
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("issues:report"), {"issue": issue.number, "reason": "spam", "note": ""}
        )
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < 1.0, f"the report took {elapsed:.2f} s"
    assert Report.objects.count() == 1
    task = DBTaskResult.objects.get()
    assert task.task_path == "issues.tasks.notify_moderators"
    # The worker meets the silent server: EMAIL_TIMEOUT ends the attempt, the report stays,
    # and is not marked notified (the next report tries again).
    started = time.monotonic()
    run_queued_tasks()
    assert time.monotonic() - started < 10
    assert Report.objects.get().notified_at is None
