"""Background work of the issues app, run by `manage.py db_worker` (django-tasks)."""

from django_tasks import task


@task()
def notify_moderators(report_id: int) -> None:
    """Email the moderators about a report, outside any reader's request."""
    from issues.models import Report
    from issues.services.moderation import moderators_notify

    report = Report.objects.select_related("issue", "item").filter(pk=report_id).first()
    if report is not None:
        moderators_notify(report=report)
