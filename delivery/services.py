"""Writes: subscribing, confirming, unsubscribing, erasing, and starting or steering a send."""

import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from issues.models import Issue

from .addresses import address_normalise
from .mail import confirm_token_read, key_hash
from .models import Delivery, Send, Subscriber, SubscribeThrottle

# A pending subscriber gets at most one confirmation mail in this time, however often the
# form is sent for their address.
CONFIRMATION_RESEND_AFTER = datetime.timedelta(minutes=10)


class SendRefused(Exception):
    """Why an issue cannot be sent (a draft, withdrawn, already sent)."""


def throttle_hit(*, client: str, limit: int) -> bool:
    """Count one attempt of this client this hour; False once over the limit (atomic)."""
    window = timezone.now().replace(minute=0, second=0, microsecond=0)
    for _ in range(2):
        try:
            with transaction.atomic():
                row, _created = SubscribeThrottle.objects.get_or_create(
                    client_hash=client, window=window
                )
                # One conditional UPDATE: two requests at once cannot both take the last place.
                return bool(
                    SubscribeThrottle.objects.filter(pk=row.pk, count__lt=limit).update(
                        count=F("count") + 1
                    )
                )
        except IntegrityError:  # created by a parallel request between get and create
            continue
    return False


def subscriber_subscribe(*, email: str, language: str = "en", source: str = "form"):
    """Ask for a subscription; a confirmation mail goes out (from a task) when one is due.

    Returns the subscriber, or None for an address that cannot be used. The caller answers the
    same way in every case, so nobody learns whether an address is subscribed.
    """
    from .tasks import send_confirmation

    stored, key = address_normalise(email)
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                subscriber, created = Subscriber.objects.select_for_update().get_or_create(
                    email_key=key,
                    defaults={"email": stored, "language": language, "source": source},
                )
        except IntegrityError:
            subscriber, created = Subscriber.objects.select_for_update().get(email_key=key), False
        due = False
        if created:
            due = True
        elif subscriber.status in (Subscriber.Status.UNSUBSCRIBED, Subscriber.Status.BOUNCED):
            # Resubscribing needs the reader's click again.
            subscriber.status = Subscriber.Status.PENDING
            subscriber.language = language
            due = True
        elif subscriber.status == Subscriber.Status.PENDING:
            sent = subscriber.confirmation_sent_at
            due = sent is None or now - sent > CONFIRMATION_RESEND_AFTER
        # Confirmed: nothing to do. Complained: they marked us as spam; we never write again.
        if due:
            subscriber.confirmation_sent_at = now
            subscriber.save()
            transaction.on_commit(lambda: send_confirmation.enqueue(subscriber.pk))
    return subscriber


def subscriber_confirm(*, token: str):
    """Confirm the subscription a valid link names; None for a bad or expired link."""
    found = confirm_token_read(token, max_age=settings.DIGEST_CONFIRM_DAYS * 24 * 3600)
    if found is None:
        return None
    pk, hashed = found
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=pk).first()
        if (
            subscriber is None
            or subscriber.is_erased
            or key_hash(subscriber.email_key or "") != hashed
        ):
            return None
        if subscriber.status in (Subscriber.Status.PENDING, Subscriber.Status.UNSUBSCRIBED):
            subscriber.status = Subscriber.Status.CONFIRMED
            subscriber.confirmed_at = timezone.now()
            subscriber.unsubscribed_at = None
            subscriber.save()
    return subscriber


def subscriber_unsubscribe(*, subscriber_id: int) -> bool:
    """Unsubscribe at once: once this commits, no message of any send goes to the address."""
    now = timezone.now()
    with transaction.atomic():
        # The UPDATE waits for a worker that holds the row while handing over a message to the
        # mail server (PostgreSQL), so that message is the last one.
        changed = Subscriber.objects.filter(
            pk=subscriber_id,
            status__in=(Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED),
        ).update(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=now, updated_at=now)
        Delivery.objects.filter(subscriber_id=subscriber_id, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.SKIPPED, error="unsubscribed"
        )
    return bool(changed) or Subscriber.objects.filter(pk=subscriber_id).exists()


def subscriber_mark_undeliverable(*, email: str, status: str) -> int:
    """A bounce or complaint from the ESP: no more mail to this address."""
    try:
        _stored, key = address_normalise(email)
    except ValueError:
        return 0
    with transaction.atomic():
        ids = list(Subscriber.objects.filter(email_key=key).values_list("pk", flat=True))
        Subscriber.objects.filter(pk__in=ids).update(status=status, updated_at=timezone.now())
        Delivery.objects.filter(subscriber_id__in=ids, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.SKIPPED, error=status
        )
    return len(ids)


def subscriber_erase(*, subscriber_ids) -> int:
    """Remove addresses for good; the delivery records (counts) stay, pointing at nobody."""
    with transaction.atomic():
        # The subscribers' rows first, as every write here does: a worker sending to them holds
        # those rows, then marks their deliveries; the other order could wait on each other.
        erased = Subscriber.objects.filter(pk__in=subscriber_ids).update(
            email="",
            email_key=None,
            is_erased=True,
            status=Subscriber.Status.UNSUBSCRIBED,
            updated_at=timezone.now(),
        )
        Delivery.objects.filter(
            subscriber_id__in=subscriber_ids, status=Delivery.Status.QUEUED
        ).update(status=Delivery.Status.SKIPPED, error="erased")
    return erased


def send_check(*, issue) -> None:
    """Raise SendRefused unless the issue is published and was never sent."""
    if not Issue.objects.published().filter(pk=issue.pk).exists():
        issue = Issue.objects.get(pk=issue.pk)  # its status now, not when it was loaded
        raise SendRefused(f"issue #{issue.number} is {issue.status}: only published issues go out")
    if Send.objects.filter(issue=issue).exists():
        raise SendRefused(f"issue #{issue.number} was already sent")


def send_create(*, issue, user=None) -> Send:
    """Queue an issue for every confirmed subscriber; workers deliver it.

    The delivery rows are made by one INSERT … SELECT, so queueing 100,000 costs one statement.
    """
    from .mail import issue_message_parts
    from .tasks import send_watchdog

    send_check(issue=issue)
    parts = issue_message_parts(issue=issue)
    now = timezone.now()
    try:
        with transaction.atomic():
            send = Send.objects.create(
                issue=issue,
                created_by=user,
                subject=parts["subject"],
                html=parts["html"],
                text=parts["text"],
                watchdog_due_at=now + _watchdog_interval(),
            )
            delivery, subscriber = Delivery._meta, Subscriber._meta
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {delivery.db_table} "
                    "(send_id, subscriber_id, status, attempts, run_after, claimed_by, error) "
                    f"SELECT %s, id, %s, 0, %s, '', '' FROM {subscriber.db_table} "
                    "WHERE status = %s ORDER BY id",
                    [send.pk, Delivery.Status.QUEUED, now, Subscriber.Status.CONFIRMED],
                )
                total = cursor.rowcount
            Send.objects.filter(pk=send.pk).update(total=total)
            send.total = total
            transaction.on_commit(lambda: send_start_workers(send=send))
            transaction.on_commit(
                lambda: send_watchdog.using(run_after=now + _watchdog_interval()).enqueue(send.pk)
            )
    except IntegrityError:
        raise SendRefused(f"issue #{issue.number} was already sent") from None
    return send


def send_start_workers(*, send) -> None:
    """One delivery task per configured concurrent sender; each keeps itself going."""
    from .tasks import deliver

    for _ in range(max(1, settings.DIGEST_SEND_WORKERS)):
        deliver.enqueue(send.pk)


def send_pause(*, send) -> bool:
    return bool(
        Send.objects.filter(pk=send.pk, state=Send.State.SENDING).update(state=Send.State.PAUSED)
    )


def send_resume(*, send) -> bool:
    with transaction.atomic():
        resumed = Send.objects.filter(pk=send.pk, state=Send.State.PAUSED).update(
            state=Send.State.SENDING
        )
        if resumed:
            transaction.on_commit(lambda: send_start_workers(send=send))
    return bool(resumed)


def send_cancel(*, send) -> bool:
    """Stop a send: what is not sent yet never will be (a message in flight may finish)."""
    with transaction.atomic():
        cancelled = Send.objects.filter(
            pk=send.pk, state__in=(Send.State.SENDING, Send.State.PAUSED)
        ).update(state=Send.State.CANCELLED, finished_at=timezone.now())
        if cancelled:
            Delivery.objects.filter(send=send, status=Delivery.Status.QUEUED).update(
                status=Delivery.Status.CANCELLED
            )
    return bool(cancelled)


def send_test(*, issue, to: str) -> None:
    """Queue the issue, as subscribers will get it, to one address (the editor's)."""
    from .tasks import send_test_message

    address_normalise(to)
    transaction.on_commit(lambda: send_test_message.enqueue(issue.pk, to))


def _watchdog_interval():
    return datetime.timedelta(seconds=max(2, settings.DIGEST_SEND_LEASE_SECONDS))
