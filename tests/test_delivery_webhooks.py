"""Bounces and complaints from an ESP (django-anymail's normalised tracking events)."""

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.utils import timezone

from delivery.models import Delivery, Send, Subscriber
from tests.factories import make_issue

pytestmark = pytest.mark.django_db


def event(kind, recipient):
    tracking.send(
        sender=object,
        event=AnymailTrackingEvent(event_type=kind, recipient=recipient, esp_event={}),
        esp_name="TestESP",
    )


@pytest.mark.parametrize("kind", ["bounced", "complained"])
def test_bounce_or_complaint_stops_mail(kind):
    subscriber = Subscriber.objects.create(
        email="Gone@example.org", email_key="gone@example.org", status="confirmed"
    )
    send = Send.objects.create(issue=make_issue(number=1), subject="s", html="", text="")
    Delivery.objects.create(send=send, subscriber=subscriber, run_after=timezone.now())
    event(kind, "GONE@example.org")
    assert Subscriber.objects.get().status == kind
    assert Delivery.objects.get().status == "skipped"


def test_other_events_change_nothing():
    Subscriber.objects.create(email="a@example.org", email_key="a@example.org", status="confirmed")
    for kind in ("delivered", "opened", "clicked", "queued"):
        event(kind, "a@example.org")
    assert Subscriber.objects.get().status == "confirmed"


def test_webhook_urls_only_with_a_secret():
    from django.urls import get_resolver

    routes = [str(p.pattern) for p in get_resolver().url_patterns]
    assert "anymail/" not in routes  # no secret in the test settings: no open webhook
