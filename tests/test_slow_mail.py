"""Issue 14, item 4: a mail server that accepts and never answers cannot hold a reader's request.

The moderators' notification goes to a task (enqueued when the report commits); the request
only inserts the task row.
"""

import time

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from issues.models import Report
from tests.delivery_helpers import DB_TASKS, run_queued_tasks
from tests.factories import make_issue, make_user
from tests.support.silent_smtp import silent_smtp as silent_smtp_server


@pytest.fixture
def silent_smtp():
    """A TCP server that accepts connections and never says a word."""
    with silent_smtp_server() as port:
        yield port


@pytest.fixture
def issue(settings, silent_smtp):
    """An issue to report, a moderator with an address, and mail to the silent server, sent
    by task workers."""
    settings.TASKS = DB_TASKS
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", silent_smtp, 1
    make_user("moderator", staff=True, groups=["Moderators"], email="mod@example.org")
    return make_issue(number=1, sections=[("S", "", [("A", "text")])])


@pytest.mark.django_db
def test_report_returns_at_once_with_a_silent_mail_server(
    client, issue, django_capture_on_commit_callbacks
):
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


@pytest.mark.django_db
def test_reports_while_a_notification_waits_queue_no_more_mail(
    client, issue, django_capture_on_commit_callbacks
):
    data = {"issue": issue.number, "reason": "spam", "note": ""}
    for n in range(3):  # three readers, while the first notification is still queued
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("issues:report"), data, REMOTE_ADDR=f"192.0.2.{n}")
    assert Report.objects.count() == 3
    # One task, not one per report: each would hold a worker for EMAIL_TIMEOUT.
    assert DBTaskResult.objects.count() == 1
    run_queued_tasks()  # the silent server: the attempt fails and clears its mark
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("issues:report"), data, REMOTE_ADDR="192.0.2.9")
    assert DBTaskResult.objects.count() == 2  # so the next report tries again
