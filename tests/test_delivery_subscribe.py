"""Readers subscribe (double opt-in), confirm, unsubscribe in one click, and resubscribe."""

import re
import threading

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from delivery.mail import confirm_token, unsubscribe_token
from delivery.models import Subscriber
from tests.factories import make_issue


def subscribe(client, email, **extra):
    return client.post(reverse("delivery:subscribe"), {"email": email, "website": ""}, **extra)


def confirm_link(message):
    return re.search(r"https?://\S+/subscribe/confirm/\S+/", message.body).group(0)


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


@pytest.mark.django_db
class TestSubscribe:
    def test_form_on_home_and_issue_pages(self, client):
        issue = make_issue(number=1)
        for url in (reverse("issues:home"), issue.get_absolute_url()):
            response = client.get(url)
            assert response.status_code == 200
            assert f'action="{reverse("delivery:subscribe")}"' in response.content.decode()

    def test_double_opt_in(self, client, capture, settings):
        settings.SITE_URL = "http://testserver"
        response = capture(subscribe, client, "Reader@Example.org")
        assert response.status_code == 302
        assert response["Location"] == reverse("delivery:subscribe-thanks")
        subscriber = Subscriber.objects.get()
        assert (subscriber.email, subscriber.email_key) == (
            "Reader@example.org",
            "reader@example.org",
        )
        assert subscriber.status == "pending"
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["Reader@example.org"]
        link = confirm_link(mail.outbox[0])
        path = link.removeprefix("http://testserver")
        assert client.get(path).status_code == 200  # a page with a button: scanners confirm nothing
        assert Subscriber.objects.get().status == "pending"
        assert client.post(path).status_code == 200
        assert Subscriber.objects.get().status == "confirmed"

    def test_same_answer_whatever_the_state(self, client, capture):
        answers = []
        for state in (None, "pending", "confirmed", "unsubscribed", "complained"):
            if state:
                Subscriber.objects.filter(email_key="x@example.org").update(status=state)
            response = capture(
                subscribe, client, "x@example.org", REMOTE_ADDR=f"10.0.0.{len(answers)}"
            )
            answers.append((response.status_code, response["Location"]))
        assert len(set(answers)) == 1
        assert Subscriber.objects.count() == 1

    def test_case_insensitive_one_subscriber(self, client, capture):
        capture(subscribe, client, "a@example.org", REMOTE_ADDR="10.0.0.1")
        capture(subscribe, client, "A@EXAMPLE.ORG", REMOTE_ADDR="10.0.0.2")
        assert Subscriber.objects.count() == 1
        assert len(mail.outbox) == 1  # a pending address is not mailed twice within minutes

    def test_expired_or_tampered_link(self, client, settings):
        subscriber = Subscriber.objects.create(email="e@example.org", email_key="e@example.org")
        token = confirm_token(subscriber)
        url = reverse("delivery:confirm", kwargs={"token": token + "x"})
        assert client.post(url).status_code == 400
        settings.DIGEST_CONFIRM_DAYS = -1  # every link has expired
        url = reverse("delivery:confirm", kwargs={"token": token})
        assert client.post(url).status_code == 400
        assert Subscriber.objects.get().status == "pending"

    def test_honeypot(self, client):
        response = client.post(
            reverse("delivery:subscribe"), {"email": "bot@example.org", "website": "http://spam"}
        )
        assert response.status_code == 302
        assert not Subscriber.objects.exists()

    def test_rate_limit(self, client, settings):
        settings.DIGEST_SUBSCRIBES_PER_HOUR = 3
        codes = [subscribe(client, f"r{n}@example.org").status_code for n in range(5)]
        assert codes == [302, 302, 302, 429, 429]
        assert Subscriber.objects.count() == 3

    def test_cross_site_post_refused(self, client):
        response = subscribe(client, "c@example.org", HTTP_SEC_FETCH_SITE="cross-site")
        assert response.status_code == 403
        response = subscribe(client, "c@example.org", HTTP_ORIGIN="https://evil.example")
        assert response.status_code == 403
        response = subscribe(client, "c@example.org", HTTP_ORIGIN="http://testserver")
        assert response.status_code == 302
        assert Subscriber.objects.count() == 1

    def test_unsubscribe_one_click_and_resubscribe(self, client, capture):
        subscriber = Subscriber.objects.create(
            email="u@example.org", email_key="u@example.org", status="confirmed"
        )
        url = reverse("delivery:unsubscribe", kwargs={"token": unsubscribe_token(subscriber.pk)})
        page = client.get(url)
        assert page.status_code == 200
        section = BeautifulSoup(page.content, "html.parser").select_one("section.subscribe-page")
        assert len(section.find_all("button")) == 1
        assert Subscriber.objects.get().status == "confirmed"  # a GET changes nothing
        csrf_client = Client(enforce_csrf_checks=True)  # RFC 8058: no cookie, no token
        response = csrf_client.post(url, {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        assert Subscriber.objects.get().status == "unsubscribed"
        capture(subscribe, client, "u@example.org")
        assert Subscriber.objects.get().status == "pending"
        assert len(mail.outbox) == 1
        assert client.get(url[:-3] + "xx/").status_code == 400

    def test_pages_in_chinese(self, client):
        response = client.get(reverse("delivery:subscribe"), HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert "订阅" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_rate_limit_is_atomic(settings):
    """Parallel posts from one client never store more than the limit."""
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("threads need a database file or server (in-memory SQLite is one connection)")
    settings.DIGEST_SUBSCRIBES_PER_HOUR = 5
    codes = []

    def post(n):
        codes.append(subscribe(Client(), f"p{n}@example.org").status_code)
        connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes.count(302) == 5
    assert Subscriber.objects.count() == 5
