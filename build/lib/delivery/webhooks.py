"""Bounces and complaints reported by the ESP (anymail's normalised tracking webhooks)."""

from anymail.signals import tracking
from django.dispatch import receiver

from .services import subscriber_mark_undeliverable


@receiver(tracking, dispatch_uid="delivery-anymail-tracking")
def handle_tracking(sender, event, esp_name, **kwargs):
    """A hard bounce or a spam complaint: that address gets no more mail."""
    kind = {"bounced": "bounced", "complained": "complained", "unsubscribed": "unsubscribed"}
    if event.event_type in kind and event.recipient:
        subscriber_mark_undeliverable(email=event.recipient, status=kind[event.event_type])
