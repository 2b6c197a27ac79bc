"""Reports from readers and what moderators do about them, every action in the audit log."""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from issues.models import Issue, Item, ModerationAction, Report, ReportClient
from issues.services.issues import issue_render

NOTIFY_INTERVAL = datetime.timedelta(hours=1)
logger = logging.getLogger(__name__)


def client_hash(address: str | None) -> str:
    """A salted hash of a client address, so reports never store the address itself."""
    return salted_hmac("digest.report-client", address or "unknown").hexdigest()


def reports_recent_count(*, client: str) -> int:
    """How many reports this client sent in the last hour (the rate limit's measure)."""
    since = timezone.now() - datetime.timedelta(hours=1)
    return Report.objects.filter(client_hash=client, created_at__gte=since).count()


def _target_reports(*, issue: Issue, item: Item | None) -> QuerySet[Report]:
    reports = Report.objects.filter(issue=issue)
    return reports.filter(item=item) if item else reports.filter(item__isnull=True)


class ReportLimitReached(Exception):
    """This client sent DIGEST_REPORTS_PER_HOUR reports in the last hour already."""


def _client_lock(client: str) -> None:
    """Lock this client's row (made on its first report) until the transaction ends.

    An UPDATE first, not a SELECT: on SQLite a write as the transaction's first statement waits
    for the database's write lock, where a read upgraded later would fail as "locked".
    """
    now = timezone.now()
    if ReportClient.objects.filter(client_hash=client).update(last_report_at=now):
        return
    try:
        with transaction.atomic():
            ReportClient.objects.create(client_hash=client, last_report_at=now)
    except IntegrityError:  # the same client's first reports, at once: the row exists now
        ReportClient.objects.filter(client_hash=client).update(last_report_at=now)


def _issue_key_share(issue: Issue) -> None:
    """Take the issue's row FOR KEY SHARE now, as the report's foreign key will.

    An editor's save locks the issue first, then writes its items; the insert's foreign-key
    checks would take the item's row and then the issue's, the other way round, and the two
    deadlocked under `make loadtest`. Taken first, the report waits for the save, or the save
    for the report. SQLite serialises writers and has no row locks.
    """
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name(Issue._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [issue.pk])


@transaction.atomic
def report_create(
    *,
    issue: Issue,
    item: Item | None,
    reason: str,
    note: str,
    contact_email: str,
    client: str,
) -> Report:
    """Record a report; notify moderators at most hourly per target; maybe hide the item.

    Raises ReportLimitReached past the hourly limit. Parallel reports are decided one at a
    time per client (the limit) and per item (the auto-hide and its log entry happen once).
    """
    _client_lock(client)
    if reports_recent_count(client=client) >= settings.DIGEST_REPORTS_PER_HOUR:
        raise ReportLimitReached
    _issue_key_share(issue)
    report = Report.objects.create(
        issue=issue,
        item=item,
        reason=reason,
        note=note,
        contact_email=contact_email,
        client_hash=client,
    )
    if item is not None:
        # Locked after the insert (whose foreign keys take the issue's and the item's rows FOR
        # KEY SHARE, as an editor's save, which locks the issue first, expects) and FOR NO KEY
        # UPDATE, which those do not block; read again, so a report that waited here sees the
        # reports and the hiding committed meanwhile and counts after them.
        item = Item.objects.select_for_update(no_key=True).get(pk=item.pk)
    since = timezone.now() - NOTIFY_INTERVAL
    # Notified lately, or a notification still in a worker's hands: with a mail server that
    # never answers, each report would otherwise hold a worker for EMAIL_TIMEOUT (a failed
    # attempt clears its mark, so the next report tries again).
    notified_or_queued = _target_reports(issue=issue, item=item).filter(
        Q(notified_at__gte=since) | Q(notification_queued_at__gte=since)
    )
    if not notified_or_queued.exists():
        Report.objects.filter(pk=report.pk).update(notification_queued_at=timezone.now())
        # After commit, and never at the report's expense: the mail goes out from a task worker,
        # so a mail server that is down or slow can neither fail nor hold a reader's request.
        from issues.tasks import notify_moderators

        transaction.on_commit(lambda: notify_moderators.enqueue(report.pk))
    threshold = settings.DIGEST_AUTO_HIDE_AFTER_REPORTS
    if item and threshold and not item.is_removed:
        distinct_clients = (
            _target_reports(issue=issue, item=item)
            .filter(status=Report.Status.OPEN)
            .values("client_hash")
            .distinct()
            .count()
        )
        if distinct_clients >= threshold:
            item_unpublish(
                item=item,
                actor=None,
                reason=_("Hidden pending review after %(n)s reports.") % {"n": distinct_clients},
                action=ModerationAction.Action.HIDE_ITEM,
                resolve_reports=False,
            )
    return report


def moderators_notify(*, report: Report) -> None:
    """Email the moderators about a new report; record when, or log why not."""
    User = get_user_model()
    recipients = list(
        User.objects.filter(groups__name="Moderators", is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return
    target = _describe(report.issue, report.item)
    queue = f"{settings.SITE_URL}{reverse('admin:issues_report_changelist')}"
    try:
        send_mail(
            subject=" ".join(f"[Digest] New report: {target}".split()),  # one header line
            message=(
                f"A reader reported {target} ({report.get_reason_display()}).\n\n"
                f"{report.note}\n\nThe moderation queue: {queue}\n"
            ),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:  # any mail failure: the report is stored; the next one will try again
        logger.exception("could not email the moderators about report %s", report.pk)
        Report.objects.filter(pk=report.pk).update(notification_queued_at=None)
        return
    Report.objects.filter(pk=report.pk).update(notified_at=timezone.now())


def _describe(issue: Issue, item: Item | None) -> str:
    if item is None:
        return f"issue #{issue.number} “{issue.plain_title or issue.title}”"
    return f"item “{item.title}” of issue #{issue.number}"


def _item_status(item: Item) -> str:
    return "removed" if item.is_removed else "published"


def _resolve(*, issue: Issue, item: Item | None, actor: User | None, status: str, note: str) -> int:
    return (
        _target_reports(issue=issue, item=item)
        .filter(status=Report.Status.OPEN)
        .update(status=status, resolved_at=timezone.now(), resolved_by=actor, resolution_note=note)
    )


@transaction.atomic
def item_unpublish(
    *,
    item: Item,
    actor: User | None,
    reason: str,
    action: str = ModerationAction.Action.UNPUBLISH_ITEM,
    resolve_reports: bool = True,
) -> ModerationAction:
    """Replace an item by a tombstone; every number in the issue stays as published."""
    # NO KEY: the key does not change, and reports holding the row FOR KEY SHARE (their foreign
    # key) must not deadlock with an auto-hide.
    item = (
        Item.objects.select_for_update(no_key=True).select_related("section__issue").get(pk=item.pk)
    )
    issue = item.section.issue
    before = _item_status(item)
    item.removed_at = timezone.now()
    item.removal_reason = reason
    item.save(update_fields=["removed_at", "removal_reason"])
    resolved = 0
    if resolve_reports:
        resolved = _resolve(
            issue=issue, item=item, actor=actor, status=Report.Status.ACTIONED, note=reason
        )
    issue_render(issue=issue)
    return ModerationAction.objects.create(
        actor=actor,
        action=action,
        issue=issue,
        item=item,
        target=_describe(issue, item),
        reason=reason,
        status_before=before,
        status_after="removed",
        reports_resolved=resolved,
    )


@transaction.atomic
def item_republish(*, item: Item, actor: User | None, reason: str = "") -> ModerationAction:
    """Bring an unpublished item back exactly as it was."""
    item = Item.objects.select_for_update().select_related("section__issue").get(pk=item.pk)
    before = _item_status(item)
    item.removed_at = None
    item.removal_reason = ""
    item.save(update_fields=["removed_at", "removal_reason"])
    issue_render(issue=item.section.issue)
    return ModerationAction.objects.create(
        actor=actor,
        action=ModerationAction.Action.REPUBLISH_ITEM,
        issue=item.section.issue,
        item=item,
        target=_describe(item.section.issue, item),
        reason=reason,
        status_before=before,
        status_after="published",
    )


@transaction.atomic
def issue_withdraw(*, issue: Issue, actor: User | None, reason: str) -> ModerationAction:
    """Unpublish a whole issue: it answers 410 Gone and leaves archive, feeds and sitemap."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    before = issue.status
    issue.withdrawn_at = timezone.now()
    issue.withdrawal_reason = reason
    issue.share_token = ""  # a withdrawn issue is not shared either
    issue.save(update_fields=["withdrawn_at", "withdrawal_reason", "share_token", "updated_at"])
    resolved = _resolve(
        issue=issue, item=None, actor=actor, status=Report.Status.ACTIONED, note=reason
    )
    issue_render(issue=issue)
    return ModerationAction.objects.create(
        actor=actor,
        action=ModerationAction.Action.UNPUBLISH_ISSUE,
        issue=issue,
        target=_describe(issue, None),
        reason=reason,
        status_before=before,
        status_after=issue.status,
        reports_resolved=resolved,
    )


@transaction.atomic
def issue_reinstate(*, issue: Issue, actor: User | None, reason: str = "") -> ModerationAction:
    """Republish a withdrawn issue exactly as it was."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    before = issue.status
    issue.withdrawn_at = None
    issue.withdrawal_reason = ""
    issue.save(update_fields=["withdrawn_at", "withdrawal_reason", "updated_at"])
    issue_render(issue=issue)
    return ModerationAction.objects.create(
        actor=actor,
        action=ModerationAction.Action.REPUBLISH_ISSUE,
        issue=issue,
        target=_describe(issue, None),
        reason=reason,
        status_before=before,
        status_after=issue.status,
    )


@transaction.atomic
def reports_dismiss(
    *, issue: Issue, item: Item | None, actor: User | None, reason: str = ""
) -> ModerationAction:
    """Close a target's open reports without touching the content."""
    resolved = _resolve(
        issue=issue, item=item, actor=actor, status=Report.Status.DISMISSED, note=reason
    )
    status = _item_status(item) if item else issue.status
    return ModerationAction.objects.create(
        actor=actor,
        action=ModerationAction.Action.DISMISS_REPORTS,
        issue=issue,
        item=item,
        target=_describe(issue, item),
        reason=reason,
        status_before=status,
        status_after=status,
        reports_resolved=resolved,
    )
