"""Reads: how a send is going, what a send would reach."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from .models import Delivery, Send, Subscriber

RATE_WINDOW = datetime.timedelta(seconds=30)


def subscribers_confirmed_count() -> int:
    return Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).count()


def send_progress(*, send: Send) -> dict:
    """Counts by status, the rate over the last seconds and the time left: two queries."""
    now = timezone.now()
    counts = dict(
        Delivery.objects.filter(send=send)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    recent = Delivery.objects.filter(
        send=send, sent_at__gte=now - RATE_WINDOW, status=Delivery.Status.SENT
    ).aggregate(n=Count("id"), retrying=Count("id", filter=Q(attempts__gt=1)))["n"]
    rate = recent / RATE_WINDOW.total_seconds()
    pending = counts.get(Delivery.Status.QUEUED, 0)
    seconds_left = round(pending / rate) if rate and send.state == Send.State.SENDING else None
    return {
        "state": send.state,
        "state_label": str(send.get_state_display()),
        "total": send.total,
        "sent": counts.get(Delivery.Status.SENT, 0),
        "failed": counts.get(Delivery.Status.FAILED, 0),
        "skipped": counts.get(Delivery.Status.SKIPPED, 0),
        "cancelled": counts.get(Delivery.Status.CANCELLED, 0),
        "pending": pending,
        "rate": round(rate, 1),
        "seconds_left": seconds_left,
        "finished_at": send.finished_at.isoformat() if send.finished_at else None,
    }
