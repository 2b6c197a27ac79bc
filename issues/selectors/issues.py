"""Reads of issues: the page's row, the contents, and the article as it will be published."""

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from issues.models import Issue, Reference, Section
from issues.selectors.sql import connection_for, issue_page_sql
from issues.text.article import RenderedIssue, render_article
from issues.text.citations import NumberedReference

URL_MAX_LENGTH = 2000


def reference_key(ref: NumberedReference) -> str:
    """The stored identity of a cited URL (columns hold 2,000 characters)."""
    return ref.normalized_url[:URL_MAX_LENGTH]


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
                language=getattr(issue, f"{side}_language"),
            )
        setattr(issue, side, neighbour)
    return issue


def issue_sections(issue: Issue) -> list[Section]:
    """The issue's sections with their items, in order, fetched in two queries."""
    return list(Issue.objects.with_contents().get(pk=issue.pk).sections.all())


def issue_article(*, issue: Issue, sections: list[Section] | None = None) -> RenderedIssue:
    """Render the issue from its current content, with editor-set reference titles applied."""
    if sections is None:
        sections = issue_sections(issue)
    rendered = render_article(issue, sections)
    titles = dict(
        Reference.objects.filter(
            normalized_url__in=[reference_key(ref) for ref in rendered.references]
        )
        .exclude(title="")
        .values_list("normalized_url", "title")
    )
    for ref in rendered.references:
        ref.title = titles.get(reference_key(ref), "")
    return rendered


def issue_body_html(*, issue: Issue, rendered: RenderedIssue, reportable: bool = True) -> str:
    """The issue's article (title to reference list) as HTML, in the issue's language; previews
    (not `reportable`) have no "Report item" links, since readers cannot report a draft."""
    with translation.override(issue.language):
        # Translated once per page, numbered per use (issues/templatetags/issue_page.py).
        labels = {
            "section_link": gettext("Link to section %(number)s"),
            "item_link": gettext("Link to item %(number)s"),
            "report_item": gettext("Report item %(number)s"),
            "back_to_citation": gettext("Back to citation %(number)s, place %(n)s"),
            "removed_reference": gettext("removed by the moderators"),
        }
        context = {"issue": issue, "rendered": rendered, "reportable": reportable, "labels": labels}
        return render_to_string("issues/_issue_body.html", context)
