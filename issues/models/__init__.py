"""The app's models, a module per concern; imported here so the app label stays `issues`."""

from .content import Issue, IssueQuerySet, IssueStatus, Item, Section
from .moderation import ModerationAction, Report, ReportClient
from .references import Citation, Reference

__all__ = [
    "Citation",
    "Issue",
    "IssueQuerySet",
    "IssueStatus",
    "Item",
    "ModerationAction",
    "Reference",
    "Report",
    "ReportClient",
    "Section",
]
