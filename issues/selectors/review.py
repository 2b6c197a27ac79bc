"""The side panel of the editors' workspace: contents, references and checks, computed once per
saved state of the issue (every save, render and moderation action moves `updated_at`), not on
every view of the change page."""

from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import get_language

from issues.models import Issue
from issues.selectors.checks import Check, issue_checks, issue_review
from issues.text.article import RenderedIssue

PANEL_TIMEOUT = 7 * 24 * 3600


@dataclass(frozen=True)
class PanelItem:
    pk: int
    number: str
    title_text: str
    is_removed: bool


@dataclass(frozen=True)
class PanelSection:
    number: int
    title_text: str
    items: list[PanelItem]


@dataclass(frozen=True)
class PanelReference:
    number: int
    display_title: str
    url: str


@dataclass(frozen=True)
class Panel:
    sections: list[PanelSection]
    references: list[PanelReference]
    checks: list[Check]

    @property
    def has_blockers(self) -> bool:
        return any(check.is_blocker for check in self.checks)


def _panel_key(issue: Issue) -> str:
    stamp = issue.updated_at.timestamp() if issue.updated_at else 0
    return f"digest:panel:{issue.pk}:{stamp}:{get_language()}"


def issue_panel(*, issue: Issue, rendered: RenderedIssue | None = None) -> Panel:
    """The panel for the issue as it was last saved: from the cache, or computed and kept.

    `rendered`: the issue as a save just rendered it, so that it is not rendered twice."""
    key = _panel_key(issue)
    panel = cache.get(key) if rendered is None else None
    if panel is None:
        if rendered is None:
            rendered, checks = issue_review(issue=issue)
        else:
            sections = [section.section for section in rendered.sections]
            checks = issue_checks(issue=issue, sections=sections, rendered=rendered)
        panel = Panel(
            sections=[
                PanelSection(
                    number=section.number,
                    title_text=section.title_text,
                    items=[
                        PanelItem(
                            pk=item.item.pk,
                            number=item.number,
                            title_text=item.title_text,
                            is_removed=item.is_removed,
                        )
                        for item in section.items
                    ],
                )
                for section in rendered.sections
            ],
            references=[
                PanelReference(number=ref.number, display_title=ref.display_title, url=ref.url)
                for ref in rendered.references
            ],
            checks=list(checks),
        )
        cache.set(key, panel, PANEL_TIMEOUT)
    return panel
