"""Background work of the issues app, run by `manage.py db_worker` (django-tasks)."""

from django_tasks import task


@task()
def notify_moderators(report_id: int) -> None:
    """Email the moderators about a report, outside any reader's request."""
    from .models import Report
    from .moderation import _notify_moderators

    report = Report.objects.select_related("issue", "item").filter(pk=report_id).first()
    if report is not None:
        _notify_moderators(report)
