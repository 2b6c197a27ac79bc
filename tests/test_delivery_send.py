"""Sending an issue: the personal message, exactly once, retries, pauses, refusals, commands."""

import datetime
import re
from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone

from delivery.mail import UNSUBSCRIBE_PLACEHOLDER
from delivery.models import Delivery, Send, Subscriber
from delivery.services import (
    SendRefused,
    send_cancel,
    send_create,
    send_pause,
    send_resume,
    subscriber_unsubscribe,
)
from issues.formats.exports import export_issue
from issues.services.moderation import issue_withdraw
from tests.delivery_helpers import DB_TASKS, body_text, run_queued_tasks
from tests.factories import make_issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def db_tasks(settings):
    settings.TASKS = DB_TASKS
    settings.SITE_URL = "https://news.example.org"
    settings.DEFAULT_FROM_EMAIL = "Digest <digest@news.example.org>"


@pytest.fixture
def issue():
    return make_issue(
        number=7,
        title="Seven",
        intro="Intro citing [the intro](https://intro.example/).",
        sections=[
            ("News", "", [("One", "See [a](https://a.example/x) and [b](https://b.example/)."),
                          ("Two", "Again [a](https://a.example/x), then [c](https://c.example/).")]),
        ],
    )  # fmt: skip


def confirmed(n, domain="example.org"):
    return Subscriber.objects.bulk_create(
        Subscriber(email=f"r{i}@{domain}", email_key=f"r{i}@{domain}", status="confirmed")
        for i in range(n)
    )


def start(issue, capture):
    with capture(execute=True):
        return send_create(issue=issue)


def test_send_reaches_every_confirmed_subscriber_once(
    issue, smtp_settings, django_capture_on_commit_callbacks
):
    subscribers = confirmed(30)
    Subscriber.objects.create(email="p@example.org", email_key="p@example.org")  # pending
    send = start(issue, django_capture_on_commit_callbacks)
    assert send.total == 30
    run_queued_tasks()
    counts = smtp_settings.mailbox.count_by_recipient()
    assert counts == {s.email: 1 for s in subscribers}
    send.refresh_from_db()
    assert send.state == "done"
    assert Delivery.objects.filter(status="sent").count() == 30


def test_the_message(issue, smtp_settings, django_capture_on_commit_callbacks, client):
    (subscriber,) = confirmed(1)
    start(issue, django_capture_on_commit_callbacks)
    run_queued_tasks()
    (message,) = smtp_settings.mailbox.for_address(subscriber.email)
    html, text = body_text(message, "html"), body_text(message, "plain")
    # The numbers and the reference list of the web page.
    page = BeautifulSoup(client.get(issue.get_absolute_url()).content, "html.parser")
    mail = BeautifulSoup(html, "html.parser")

    def references(soup):
        return [
            (li["id"], next(a["href"] for a in li.find_all("a") if a["href"].startswith("http")))
            for li in soup.select("ol.references li")
        ]

    assert references(page) and references(mail) == references(page)
    marks = (
        re.findall(r"\[\d+\]", page.select_one("article").get_text())
        if page.select_one("article")
        else []
    )
    for mark in set(marks):
        assert mark in mail.get_text()
    assert "[1]" in text and "https://a.example/x" in text
    # Personal unsubscribe link, in the footer, the text and the headers.
    url = re.search(
        r"<(https://news\.example\.org/unsubscribe/[^>]+)>", message["List-Unsubscribe"]
    )
    assert url, message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url.group(1) in html and url.group(1) in text
    assert UNSUBSCRIBE_PLACEHOLDER not in html + text
    # Inline CSS (no <style> left), absolute links only.
    assert "<style" not in html
    assert mail.select_one(".digest-footer")["style"]
    hrefs = [a["href"] for a in mail.find_all("a", href=True)]
    assert all(h.startswith(("https://", "http://", "mailto:")) for h in hrefs), hrefs
    assert message["Message-ID"].startswith(f"<issue-7.{subscriber.pk}.")
    # A stable Message-ID: the same for the same issue and subscriber.
    from delivery.mail import message_id

    assert message["Message-ID"] == message_id(7, subscriber.pk)
    # The link works: one-click POST unsubscribes.
    path = url.group(1).removeprefix("https://news.example.org")
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Subscriber.objects.get().status == "unsubscribed"


def test_rendered_once_per_send(
    issue, smtp_settings, django_capture_on_commit_callbacks, monkeypatch
):
    confirmed(5)
    calls = []
    import delivery.mail

    original = delivery.mail.export_issue
    monkeypatch.setattr(
        delivery.mail, "export_issue", lambda **kw: calls.append(kw) or original(**kw)
    )
    start(issue, django_capture_on_commit_callbacks)
    run_queued_tasks()
    assert len(calls) == 2  # the HTML and the text, once each, for five subscribers
    assert len(smtp_settings.mailbox.messages) == 5


def test_sent_once_only(issue, smtp_settings, django_capture_on_commit_callbacks):
    confirmed(2)
    start(issue, django_capture_on_commit_callbacks)
    with pytest.raises(SendRefused):
        send_create(issue=issue)
    with pytest.raises(IntegrityError):  # the database refuses too
        Send.objects.create(issue=issue, subject="x", html="", text="")


def test_drafts_and_withdrawn_refused(settings):
    draft = make_issue(number=8, published=False)
    with pytest.raises(SendRefused, match="draft"):
        send_create(issue=draft)
    scheduled = make_issue(number=9, published_at=timezone.now() + datetime.timedelta(days=1))
    with pytest.raises(SendRefused, match="scheduled"):
        send_create(issue=scheduled)
    gone = make_issue(number=10)
    issue_withdraw(issue=gone, actor=None, reason="spam")
    with pytest.raises(SendRefused, match="withdrawn"):
        send_create(issue=gone)
    assert not Send.objects.exists()


def test_unsubscribed_before_its_turn_is_skipped(
    issue, smtp_settings, django_capture_on_commit_callbacks
):
    subscribers = confirmed(5)
    start(issue, django_capture_on_commit_callbacks)
    subscriber_unsubscribe(subscriber_id=subscribers[2].pk)
    # In the unsubscribe's own commit: its queued message is skipped before any worker looks.
    assert Delivery.objects.get(subscriber=subscribers[2]).status == "skipped"
    run_queued_tasks()
    counts = smtp_settings.mailbox.count_by_recipient()
    assert subscribers[2].email not in counts
    assert len(counts) == 4
    assert Delivery.objects.get(subscriber=subscribers[2]).status == "skipped"


def test_status_checked_right_before_each_message(
    issue, smtp_settings, django_capture_on_commit_callbacks
):
    """A row already claimed by a worker is still skipped if the reader left meanwhile."""
    subscribers = confirmed(3)
    start(issue, django_capture_on_commit_callbacks)
    # Bypass the service (which also marks queued rows skipped): only the claim-time and
    # send-time checks stand between the row and the mail server now.
    Subscriber.objects.filter(pk=subscribers[1].pk).update(status="unsubscribed")
    run_queued_tasks()
    assert subscribers[1].email not in smtp_settings.mailbox.count_by_recipient()
    assert Delivery.objects.get(subscriber=subscribers[1]).status == "skipped"


def test_permanent_failure_recorded_once(issue, smtp_settings, django_capture_on_commit_callbacks):
    subscribers = confirmed(3)
    smtp_settings.mailbox.reject[subscribers[0].email] = "550 5.1.1 No such user"
    start(issue, django_capture_on_commit_callbacks)
    run_queued_tasks()
    failed = Delivery.objects.get(subscriber=subscribers[0])
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.error.startswith("550")
    assert len(smtp_settings.mailbox.count_by_recipient()) == 2
    assert Send.objects.get().state == "done"


def test_transient_failure_retried(
    issue, smtp_settings, django_capture_on_commit_callbacks, settings
):
    settings.DIGEST_SEND_RETRY_SECONDS = 60  # brought forward by hand below
    subscribers = confirmed(3)
    smtp_settings.mailbox.reject[subscribers[0].email] = "451 4.3.0 Try again later"
    start(issue, django_capture_on_commit_callbacks)
    run_queued_tasks()
    row = Delivery.objects.get(subscriber=subscribers[0])
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.error.startswith("451") and row.run_after > timezone.now()
    del smtp_settings.mailbox.reject[subscribers[0].email]
    Delivery.objects.filter(pk=row.pk).update(run_after=timezone.now())
    from django_tasks_db.models import DBTaskResult

    # The chain's next task waits for the retry time: bring it forward.
    deferred = DBTaskResult.objects.filter(task_path="delivery.tasks.deliver", status="READY")
    assert deferred.exists()
    deferred.update(run_after=timezone.now())
    run_queued_tasks()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert smtp_settings.mailbox.count_by_recipient()[subscribers[0].email] == 1
    assert Send.objects.get().state == "done"


def test_mail_server_down_then_back(
    issue, smtp_settings, django_capture_on_commit_callbacks, settings
):
    settings.DIGEST_SEND_RETRY_SECONDS = 60  # brought forward by hand below
    confirmed(4)
    smtp_settings.stop()
    start(issue, django_capture_on_commit_callbacks)
    run_queued_tasks()
    assert Delivery.objects.filter(status="queued").count() == 4
    assert Send.objects.get().state == "sending"
    smtp_settings.start()
    Delivery.objects.update(run_after=timezone.now())
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_queued_tasks()
    assert len(smtp_settings.mailbox.count_by_recipient()) == 4
    assert Send.objects.get().state == "done"


def test_pause_resume_cancel(issue, smtp_settings, django_capture_on_commit_callbacks):
    confirmed(6)
    send = start(issue, django_capture_on_commit_callbacks)
    assert send_pause(send=send)
    run_queued_tasks()
    assert smtp_settings.mailbox.messages == []
    with django_capture_on_commit_callbacks(execute=True):
        assert send_resume(send=send)
    run_queued_tasks()
    assert len(smtp_settings.mailbox.messages) == 6
    assert not send_cancel(send=Send.objects.get())  # done: nothing to cancel


def test_cancel_leaves_the_rest_unsent(issue, smtp_settings, django_capture_on_commit_callbacks):
    confirmed(6)
    send = start(issue, django_capture_on_commit_callbacks)
    assert send_cancel(send=send)
    run_queued_tasks()
    assert smtp_settings.mailbox.messages == []
    assert Delivery.objects.filter(status="cancelled").count() == 6


def test_expired_claim_is_taken_over(issue, smtp_settings, django_capture_on_commit_callbacks):
    """Rows a killed worker had claimed become claimable when the claim runs out."""
    confirmed(4)
    send = start(issue, django_capture_on_commit_callbacks)
    past = timezone.now() - datetime.timedelta(seconds=1)
    Delivery.objects.update(claimed_by="dead-worker", claimed_until=past)
    run_queued_tasks()
    assert len(smtp_settings.mailbox.count_by_recipient()) == 4
    send.refresh_from_db()
    assert send.state == "done"


def test_watchdog_restarts_a_stalled_send(issue, smtp_settings, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from delivery.tasks import send_watchdog

    confirmed(3)
    send = start(issue, django_capture_on_commit_callbacks)
    # Every deliver task vanished (their worker was killed while running them).
    DBTaskResult.objects.filter(task_path="delivery.tasks.deliver").update(status="RUNNING")
    Send.objects.filter(pk=send.pk).update(last_claim_at=None)
    send_watchdog.call(send.pk)
    run_queued_tasks()
    assert len(smtp_settings.mailbox.count_by_recipient()) == 3
    assert DBTaskResult.objects.filter(
        task_path="delivery.tasks.send_watchdog", status="READY"
    ).exists()  # the chain goes on until the send is finished


def test_commands(issue, smtp_settings, django_capture_on_commit_callbacks):
    confirmed(3)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_issue", "7", "--test", "editor@example.org", stdout=out)
    run_queued_tasks()
    (test_message,) = smtp_settings.mailbox.for_address("editor@example.org")
    assert test_message["Subject"].startswith("[TEST] #7")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_issue", "7", stdout=out)
    assert "queued for 3 subscribers" in out.getvalue()
    run_queued_tasks()
    out = StringIO()
    call_command("send_status", "7", stdout=out)
    assert "done; 3 sent, 0 failed" in out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already sent"):
        call_command("send_issue", "7")


def test_rate_limit_spreads_messages(
    issue, smtp_settings, django_capture_on_commit_callbacks, settings
):
    import time

    settings.DIGEST_SEND_RATE = 20
    confirmed(20)
    start(issue, django_capture_on_commit_callbacks)
    began = time.monotonic()
    run_queued_tasks()
    assert time.monotonic() - began >= 0.9  # 20 messages at 20 a second take about a second
    assert len(smtp_settings.mailbox.messages) == 20


def test_email_export_unchanged_by_sending(issue):
    assert "unsubscribe" not in export_issue(issue=issue, fmt="email").lower()


def test_a_send_through_a_backend_other_than_smtp(
    issue, settings, tmp_path, django_capture_on_commit_callbacks
):
    # `make run` writes mail to files; the prepared bytes are only for an SMTP connection.
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    subscribers = confirmed(3)
    start(issue, django_capture_on_commit_callbacks)
    run_queued_tasks()
    written = "".join(path.read_text() for path in tmp_path.iterdir())
    assert all(f"To: {s.email}" in written for s in subscribers)
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 3
