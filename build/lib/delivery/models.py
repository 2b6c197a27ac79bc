"""Subscribers, the sends of issues to them, and one delivery record per (send, subscriber)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Subscriber(models.Model):
    """A reader's address and where their subscription stands."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Complained (marked as spam)")

    email = models.CharField(
        _("email"),
        max_length=254,
        blank=True,
        help_text=_("The address as the reader typed it (or the import gave it)."),
    )
    # NULL once erased: the unique constraint holds between live addresses only.
    email_key = models.CharField(  # noqa: DJ001
        _("email key"),
        max_length=254,
        null=True,
        blank=True,
        editable=False,
        help_text=_("The address in lower case: one subscriber per address, whatever its case."),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.PENDING,
        help_text=_("Only confirmed subscribers receive issues."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        default="en",
        help_text=_("The language of the subscription pages the reader used."),
    )
    source = models.CharField(
        _("source"),
        max_length=20,
        default="form",
        help_text=_("Where the subscriber came from: the form, an import or the admin."),
    )
    is_erased = models.BooleanField(
        _("erased"),
        default=False,
        editable=False,
        help_text=_("The address was removed on request; delivery counts are kept."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    confirmation_sent_at = models.DateTimeField(
        _("confirmation sent at"), null=True, blank=True, editable=False
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, editable=False)
    unsubscribed_at = models.DateTimeField(
        _("unsubscribed at"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        permissions = [("export_subscriber", _("Can import and export subscriber addresses"))]
        constraints = [
            models.UniqueConstraint(fields=["email_key"], name="subscriber_email_key_unique"),
            models.CheckConstraint(
                condition=Q(is_erased=True) | Q(email_key__isnull=False),
                name="subscriber_key_unless_erased",
            ),
        ]
        indexes = [models.Index(fields=["status", "-id"], name="subscriber_status_idx")]

    def __str__(self):
        return self.email if not self.is_erased else f"(erased #{self.pk})"


class Send(models.Model):
    """An issue sent to every confirmed subscriber: once per issue, rendered once."""

    class State(models.TextChoices):
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        DONE = "done", _("Done")

    # An issue replaced by an import (`import_issue --replace`, `make run`) takes its send along.
    issue = models.OneToOneField(
        "issues.Issue",
        on_delete=models.CASCADE,
        related_name="send",
        verbose_name=_("issue"),
        help_text=_("An issue is sent once: a second send of the same issue is refused."),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.SENDING
    )
    total = models.PositiveIntegerField(_("recipients"), default=0, editable=False)
    subject = models.CharField(_("subject"), max_length=400, editable=False)
    html = models.TextField(_("HTML"), editable=False)
    text = models.TextField(_("plain text"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    last_claim_at = models.DateTimeField(null=True, blank=True, editable=False)
    watchdog_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("send")
        verbose_name_plural = _("sends")
        permissions = [("send_issue", _("Can send issues to subscribers"))]

    def __str__(self):
        return f"#{self.issue.number} ({self.get_state_display()})"

    @property
    def is_active(self):
        return self.state in (self.State.SENDING, self.State.PAUSED)


class Delivery(models.Model):
    """One message of a send: queued, sent, failed with the server's answer, or skipped."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (no longer subscribed)")
        CANCELLED = "cancelled", _("Cancelled")

    send = models.ForeignKey(
        Send, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("send")
    )
    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("subscriber"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    run_after = models.DateTimeField(_("next attempt"))
    # A worker's claim: until then no other worker takes the row; a killed worker's claim
    # simply runs out.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.TextField(_("server's answer"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["send", "subscriber"], name="delivery_once_per_subscriber"
            )
        ]
        indexes = [
            models.Index(fields=["send", "status", "run_after"], name="delivery_claim_idx"),
            models.Index(fields=["send", "sent_at"], name="delivery_sent_at_idx"),
        ]

    def __str__(self):
        return f"{self.send_id}/{self.subscriber_id}: {self.status}"


class SubscribeThrottle(models.Model):
    """Subscribe attempts of one client in one hour, counted atomically."""

    client_hash = models.CharField(max_length=64)
    window = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_hash", "window"], name="throttle_unique")
        ]

    def __str__(self):
        return f"{self.client_hash[:8]} {self.window:%Y-%m-%d %H}: {self.count}"


class SendRate(models.Model):
    """The shared message-rate clock: the next free sending slot, across all workers."""

    next_at = models.DateTimeField()

    def __str__(self):
        return f"next slot {self.next_at}"
