"""Readers' reports and the moderators' audit log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .content import Issue, Item


class Report(models.Model):
    """A reader's report about an item or a whole issue."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        MISLEADING = "misleading", _("Misleading")
        OFFENSIVE = "offensive", _("Offensive")
        COPYRIGHT = "copyright", _("Copyright")
        BROKEN_LINK = "broken_link", _("Broken link")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed")
        ACTIONED = "actioned", _("Content unpublished")

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="reports", verbose_name=_("issue")
    )
    item = models.ForeignKey(
        Item,
        # A report outlives the item an editor deletes: it then stands against the issue.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("item"),
        help_text=_("Empty when the whole issue is reported."),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    client_hash = models.CharField(
        _("client"),
        max_length=64,
        db_index=True,
        help_text=_("A salted hash of the reporter's address: never the address itself."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    notified_at = models.DateTimeField(_("moderators notified at"), null=True, blank=True)
    notification_queued_at = models.DateTimeField(
        _("notification queued at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When this report's email to the moderators was handed to a worker."),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        permissions = [
            ("resolve_report", _("Can resolve reports")),
            ("moderate_content", _("Can unpublish and republish items and issues")),
        ]

    def __str__(self):
        target = f"item {self.item_id}" if self.item_id else f"issue #{self.issue.number}"
        return f"{self.get_reason_display()} — {target}"


class ReportClient(models.Model):
    """A client that has reported: its row is locked while its next report is counted and stored.

    Counting the last hour's reports and then inserting one is a race (40 parallel posts stored
    6 with a limit of 5); with this row locked first, one report per client is decided at a time.
    """

    client_hash = models.CharField(_("client"), max_length=64, primary_key=True)
    last_report_at = models.DateTimeField(_("last report at"))

    class Meta:
        verbose_name = _("reporting client")
        verbose_name_plural = _("reporting clients")

    def __str__(self):
        return self.client_hash[:12]


class ModerationAction(models.Model):
    """One entry of the moderation audit log: who did what, when, why, from which status."""

    class Action(models.TextChoices):
        UNPUBLISH_ITEM = "unpublish_item", _("Unpublished an item")
        REPUBLISH_ITEM = "republish_item", _("Republished an item")
        HIDE_ITEM = "hide_item", _("Hid an item pending review")
        UNPUBLISH_ISSUE = "unpublish_issue", _("Unpublished an issue")
        REPUBLISH_ISSUE = "republish_issue", _("Republished an issue")
        DISMISS_REPORTS = "dismiss_reports", _("Dismissed reports")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        help_text=_("Empty for automatic actions."),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    issue = models.ForeignKey(
        Issue, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("issue")
    )
    item = models.ForeignKey(
        Item, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("item")
    )
    target = models.CharField(_("target"), max_length=400, help_text=_("What was acted on."))
    reason = models.TextField(_("reason"), blank=True)
    status_before = models.CharField(_("status before"), max_length=20)
    status_after = models.CharField(_("status after"), max_length=20)
    reports_resolved = models.PositiveIntegerField(_("reports resolved"), default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation log")

    def __str__(self):
        return f"{self.get_action_display()}: {self.target}"
