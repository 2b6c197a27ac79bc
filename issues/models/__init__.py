"""The app's models, a module per concern; imported here so the app label stays `issues`."""

from .content import Issue, IssueQuerySet, Item, Section
from .moderation import ModerationAction, Report
from .references import Citation, Reference

__all__ = [
    "Citation",
    "Issue",
    "IssueQuerySet",
    "Item",
    "ModerationAction",
    "Reference",
    "Report",
    "Section",
]
