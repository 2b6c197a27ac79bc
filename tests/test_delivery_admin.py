"""Editors' pages: subscribers (counts, import, export, erase) and sending an issue."""

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from delivery.models import Delivery, Send, Subscriber
from tests.delivery_helpers import DB_TASKS
from tests.factories import make_issue, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = make_user("editor", staff=True, groups=["Editors"], email="ed@example.org")
    client.force_login(user)
    return user


def subscribers(n, start=0, status="confirmed"):
    Subscriber.objects.bulk_create(
        Subscriber(email=f"s{i}@example.org", email_key=f"s{i}@example.org", status=status)
        for i in range(start, start + n)
    )


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def test_subscriber_list_queries_do_not_grow(client, editor):
    """Guards the changelist against a count or a lookup per row (show_full_result_count)."""
    url = reverse("admin:delivery_subscriber_changelist")
    subscribers(5)
    few = queries(client, url), queries(client, url + "?status__exact=confirmed&q=s1")
    subscribers(400, start=5)
    many = queries(client, url), queries(client, url + "?status__exact=confirmed&q=s1")
    assert many == few


def test_send_page_queries_do_not_grow(client, editor, settings):
    """Guards the progress page and its JSON: counts are aggregated, never one row at a time."""
    settings.TASKS = DB_TASKS
    issue = make_issue(number=3)
    send = Send.objects.create(issue=issue, subject="s", html="", text="")
    page = reverse("admin:delivery_send_progress", args=[send.pk])
    data = reverse("admin:delivery_send_progress_json", args=[send.pk])
    deliveries = reverse("admin:delivery_delivery_changelist") + f"?send__id__exact={send.pk}"

    def add(n, start):
        subscribers(n, start=start)
        Delivery.objects.bulk_create(
            Delivery(send=send, subscriber=s, run_after=timezone.now(), status=status)
            for s, status in zip(
                Subscriber.objects.filter(deliveries__isnull=True),
                ["sent", "queued", "failed", "skipped"] * n,
                strict=False,
            )
        )

    add(4, 0)
    few = [queries(client, url) for url in (page, data, deliveries)]
    add(300, 4)
    many = [queries(client, url) for url in (page, data, deliveries)]
    assert many == few
    progress = client.get(data).json()
    assert progress["sent"] + progress["pending"] + progress["failed"] + progress["skipped"] == 304


def test_send_issue_flow(client, editor, settings, django_capture_on_commit_callbacks):
    settings.TASKS = DB_TASKS
    issue = make_issue(number=4)
    subscribers(3)
    subscribers(2, start=10, status="pending")
    url = reverse("admin:delivery_send_issue", args=[4])
    page = client.get(url).content.decode()
    assert "Send to 3 subscribers" in page and "ed@example.org" in page
    confirm = client.post(url, {"action": "confirm"})
    assert "to 3 confirmed subscribers" in confirm.content.decode()
    assert not Send.objects.exists()  # the confirmation page sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "send"})
    send = Send.objects.get()
    assert response["Location"] == reverse("admin:delivery_send_progress", args=[send.pk])
    assert send.total == 3 and send.issue == issue
    response = client.post(url, {"action": "send"}, follow=True)
    assert Send.objects.count() == 1
    assert "already sent" in response.content.decode()
    control = reverse("admin:delivery_send_control", args=[send.pk])
    client.post(control, {"action": "pause"})
    assert Send.objects.get().state == "paused"
    client.post(control, {"action": "cancel"})
    assert Send.objects.get().state == "cancelled"


def test_send_test_goes_to_the_editor(
    client, editor, smtp_settings, django_capture_on_commit_callbacks
):
    make_issue(number=5)
    with django_capture_on_commit_callbacks(execute=True):  # tasks run inline in tests
        response = client.post(reverse("admin:delivery_send_issue", args=[5]), {"action": "test"})
    assert response.status_code == 302
    (message,) = smtp_settings.mailbox.for_address("ed@example.org")
    assert message["Subject"].startswith("[TEST] #5 ")
    assert not Send.objects.exists()  # a test is not the send


def test_draft_cannot_be_sent(client, editor):
    make_issue(number=6, published=False)
    url = reverse("admin:delivery_send_issue", args=[6])
    page = client.get(url).content.decode()
    assert "only published issues go out" in page
    client.post(url, {"action": "send"})
    assert not Send.objects.exists()


def test_moderator_cannot_send_or_read_addresses(client):
    make_issue(number=7)
    subscribers(1)
    client.force_login(make_user("moderator", staff=True, groups=["Moderators"]))
    for url in (
        reverse("admin:delivery_send_issue", args=[7]),
        reverse("admin:delivery_subscriber_changelist"),
        reverse("admin:delivery_subscriber_export"),
    ):
        assert client.get(url).status_code == 403, url
    client.post(reverse("admin:delivery_send_issue", args=[7]), {"action": "send"})
    assert not Send.objects.exists()


def test_import_page_reports_skipped_rows(client, editor):
    upload = SimpleUploadedFile(
        "export.csv", b"Email Address,First Name\nok@example.org,A\nbroken,B\nOK@example.org,C\n"
    )
    response = client.post(reverse("admin:delivery_subscriber_import"), {"file": upload})
    page = BeautifulSoup(response.content, "html.parser")
    cells = [[td.get_text() for td in tr.find_all("td")] for tr in page.select("tbody tr")]
    assert cells[0][0] == "3" and "invalid address" in cells[0][1]
    assert cells[1][0] == "4" and "earlier in the file" in cells[1][1]
    assert Subscriber.objects.get().status == "confirmed"


def test_export_and_erase(client, editor):
    subscribers(2)
    response = client.get(reverse("admin:delivery_subscriber_export"))
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0].startswith("email,status")
    assert "s0@example.org" in text and "s1@example.org" in text
    issue = make_issue(number=8)
    send = Send.objects.create(issue=issue, subject="s", html="", text="", total=1)
    first = Subscriber.objects.get(email="s0@example.org")
    Delivery.objects.create(send=send, subscriber=first, run_after=timezone.now(), status="sent")
    client.post(
        reverse("admin:delivery_subscriber_changelist"),
        {"action": "erase_selected", "_selected_action": [first.pk]},
    )
    first.refresh_from_db()
    assert (first.email, first.email_key, first.is_erased) == ("", None, True)
    assert Delivery.objects.filter(send=send, status="sent").count() == 1  # counts kept
    text = b"".join(client.get(reverse("admin:delivery_subscriber_export")).streaming_content)
    assert b"s0@example.org" not in text
