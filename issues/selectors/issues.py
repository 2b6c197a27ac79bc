"""Reads of issues that pages need."""

from issues.models import Issue
from issues.selectors.sql import connection_for, issue_page_sql


def issue_for_page(*, number: int) -> Issue | None:
    """The issue with this number and, as `previous` and `next`, the published issues around it
    (or None): one query, the issue page's whole database cost."""
    issue = next(iter(Issue.objects.raw(issue_page_sql(connection_for(Issue)), [number])), None)
    if issue is None:
        return None
    for side in ("previous", "next"):
        found = getattr(issue, f"{side}_number")
        neighbour = None
        if found:
            neighbour = Issue(
                number=found,
                title=getattr(issue, f"{side}_title"),
                plain_title=getattr(issue, f"{side}_plain_title"),
            )
        setattr(issue, side, neighbour)
    return issue
