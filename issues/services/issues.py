"""Writes that touch several models: rendering, publishing, renumbering (imports: imports.py)."""

import secrets
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from reversion.models import Version

from issues.formats.interchange import serialize_issue
from issues.models import Citation, Issue, Item, Reference, Section
from issues.selectors.issues import (
    URL_MAX_LENGTH,
    issue_article,
    issue_body_html,
    issue_sections,
    reference_key,
)
from issues.services.pages import public_pages_changed
from issues.services.positions import positions_close_gaps, positions_park
from issues.text.article import RenderedIssue, render_intro_teaser
from issues.text.citations import NumberedReference


@transaction.atomic
def issue_render(*, issue: Issue) -> RenderedIssue:
    """Render the issue, store the HTML readers get, and refresh its citations."""
    rendered = issue_article(issue=issue)
    _citations_refresh(issue=issue, references=rendered.references)
    issue.plain_title = rendered.title_text[:300]
    issue.rendered_html = issue_body_html(issue=issue, rendered=rendered)
    issue.rendered_intro = render_intro_teaser(issue)
    issue.search_text = rendered.intro.search_text
    _search_text_refresh(rendered=rendered)
    Issue.objects.filter(pk=issue.pk).update(
        plain_title=issue.plain_title,
        rendered_html=issue.rendered_html,
        rendered_intro=issue.rendered_intro,
        search_text=issue.search_text,
        # The page cache keys on the latest updated_at: a re-render must move it.
        updated_at=timezone.now(),
    )
    public_pages_changed()
    return rendered


def _search_text_refresh(*, rendered: RenderedIssue) -> None:
    """Store what search reads of each section and item, writing only the rows whose stored
    text differs (compared with the rows this render has just read: no query)."""
    _search_columns_write(
        Section, [(part.section, part.title, part.text) for part in rendered.sections]
    )
    _search_columns_write(
        Item,
        [
            (part.item, part.title, part.body)
            for section in rendered.sections
            for part in section.items
        ],
    )


_Searchable = TypeVar("_Searchable", Section, Item)


def _search_columns_write(model: type[_Searchable], parts: list[tuple[Any, Any, Any]]) -> None:
    changed = []
    for row, title, text in parts:
        wanted = (title.search_text, text.search_text)
        if (row.search_title, row.search_text) != wanted:
            row.search_title, row.search_text = wanted
            changed.append(row)
    model.objects.bulk_update(changed, ["search_title", "search_text"], batch_size=500)


def _citations_refresh(*, issue: Issue, references: list[NumberedReference]) -> None:
    """Make the issue's Citation rows match `references`, writing only what changed (a re-render
    after a small edit, or of an unchanged issue, writes few rows or none)."""
    keys = {reference_key(ref) for ref in references}
    ids = dict(
        Reference.objects.filter(normalized_url__in=keys).values_list("normalized_url", "pk")
    )
    if missing := keys - ids.keys():
        Reference.objects.bulk_create(
            [
                Reference(url=ref.url[:URL_MAX_LENGTH], normalized_url=reference_key(ref))
                for ref in references
                if reference_key(ref) in missing
            ],
            ignore_conflicts=True,
        )
        ids |= dict(
            Reference.objects.filter(normalized_url__in=missing).values_list("normalized_url", "pk")
        )
    # reference id → (number, text, count); two URLs alike in their first 2,000 characters
    # share a row, and the first citation wins.
    wanted: dict[int, tuple[int, str, int]] = {}
    for ref in references:
        wanted.setdefault(
            ids[reference_key(ref)], (ref.number, ref.text[:URL_MAX_LENGTH], len(ref.anchors))
        )
    stale, changed = [], []
    for pk, reference_id, number, text, count in Citation.objects.filter(issue=issue).values_list(
        "pk", "reference_id", "number", "text", "count"
    ):
        new = wanted.get(reference_id)
        if new is None or new[0] != number:
            # Numbers are unique per issue: a renumbered row goes and comes back, never updated
            # into a number another row still holds.
            stale.append(pk)
            continue
        del wanted[reference_id]
        if new != (number, text, count):
            changed.append(Citation(pk=pk, text=new[1], count=new[2]))
    if stale:
        Citation.objects.filter(pk__in=stale).delete()
    if changed:
        Citation.objects.bulk_update(changed, ["text", "count"])
    Citation.objects.bulk_create(
        Citation(issue=issue, reference_id=reference_id, number=number, text=text, count=count)
        for reference_id, (number, text, count) in wanted.items()
    )


def issues_render_citing(*, reference: Reference) -> None:
    """Re-render every issue that cites a reference, after its title changed."""
    for issue in Issue.objects.filter(citations__reference=reference).distinct():
        issue_render(issue=issue)


def issue_export_markdown(*, issue: Issue, include_removed: bool = False) -> str:
    """The issue in the interchange format; items the moderators removed are left out."""
    sections: list[Section] | list[SimpleNamespace] = issue_sections(issue)
    if not include_removed:
        sections = [
            SimpleNamespace(
                title=section.title,
                icon=section.icon,
                text=section.text,
                items=[item for item in section.items.all() if not item.is_removed],
            )
            for section in sections
        ]
    return serialize_issue(issue, sections)


def positions_renumber(*, issue: Issue) -> None:
    """Close gaps in section and item positions (1..n), keeping their order."""
    sections = list(issue.sections.order_by("position", "pk"))
    positions_close_gaps(objects=sections)
    # Every section's items in one query, not one per section (20 on a 300-item issue).
    items: dict[int, list[Item]] = {section.pk: [] for section in sections}
    for item in Item.objects.filter(section__issue=issue).order_by("section_id", "position", "pk"):
        items[item.section_id].append(item)
    for section in sections:
        positions_close_gaps(objects=items[section.pk])


def issue_touch(*, issue: Issue, user: AbstractBaseUser | None = None) -> None:
    """Record an edit: a newer version (older open forms are refused) and who made it."""
    Issue.objects.filter(pk=issue.pk).update(
        edit_version=F("edit_version") + 1, last_edited_by=user, updated_at=timezone.now()
    )
    issue.refresh_from_db(fields=["edit_version", "last_edited_by", "updated_at"])


class PublishRefused(ValueError):
    """Publishing would release what the moderators withdrew, or rewrite a publication date."""


def withdrawn_refusal(*, issue: Issue) -> str:
    """Why a withdrawn issue's publication may not change (empty when it is not withdrawn)."""
    if issue.withdrawn_at is None:
        return ""
    return _(
        "Issue #%(n)s was withdrawn by the moderators: only they can release it, and its "
        "publication date stays as it was."
    ) % {"n": issue.number}


@transaction.atomic
def issue_publish(
    *, issue: Issue, at: datetime | None = None, user: AbstractBaseUser | None = None
) -> Issue:
    """Publish now, or schedule for `at`; visibility follows from `published_at` alone.

    Refuses (PublishRefused) a withdrawn issue; an issue already published keeps its date."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    if refusal := withdrawn_refusal(issue=issue):
        raise PublishRefused(refusal)
    if issue.is_published:
        return issue
    # Whole seconds: the admin form shows and resubmits seconds, so a later save keeps the date.
    issue.published_at = at or timezone.now().replace(microsecond=0)
    issue.save(update_fields=["published_at", "updated_at"])
    issue_touch(issue=issue, user=user)
    public_pages_changed()
    return issue


@transaction.atomic
def issue_to_draft(*, issue: Issue, user: AbstractBaseUser | None = None) -> None:
    """Take an issue back to draft; refuses (PublishRefused) a withdrawn issue."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    if refusal := withdrawn_refusal(issue=issue):
        raise PublishRefused(refusal)
    issue.published_at = None
    issue.save(update_fields=["published_at", "updated_at"])
    issue_touch(issue=issue, user=user)
    public_pages_changed()


def issue_share(*, issue: Issue, user: AbstractBaseUser | None = None) -> str:
    """Create a secret share-preview link for reviewers without an account."""
    issue.share_token = secrets.token_urlsafe(32)
    issue.save(update_fields=["share_token", "updated_at"])
    return issue.share_token


def issue_unshare(*, issue: Issue, user: AbstractBaseUser | None = None) -> None:
    """Revoke the share-preview link: the old URL answers 404 from now on."""
    issue.share_token = ""
    issue.save(update_fields=["share_token", "updated_at"])


# What a restore brings back is the content; these stay as they are now, so that a restore can
# neither undo the moderators, nor publish, nor revive a revoked link, nor move the edit version
# backwards (which would let a stale form save), nor take a number another issue now has.
KEPT_ON_RESTORE = (
    "number",
    "published_at",
    "withdrawn_at",
    "withdrawal_reason",
    "share_token",
    "edit_version",
)


@transaction.atomic
def issue_restore(*, issue: Issue, version: Version, user: AbstractBaseUser | None = None) -> Issue:
    """Bring back the issue's content, sections and items as a revision recorded them."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    kept = {field: getattr(issue, field) for field in KEPT_ON_RESTORE}
    removed = {
        pk: (removed_at, reason)
        for pk, removed_at, reason in Item.objects.filter(section__issue=issue).values_list(
            "pk", "removed_at", "removal_reason"
        )
    }
    # Park current positions out of the way so the restored rows never clash with them.
    positions_park(queryset=Section.objects.filter(issue=issue))
    positions_park(queryset=Item.objects.filter(section__issue=issue))
    version.revision.revert(delete=True)
    Issue.objects.filter(pk=issue.pk).update(**kept)
    for pk, (removed_at, reason) in removed.items():
        if removed_at:  # an item the moderators removed stays removed
            Item.objects.filter(pk=pk).update(removed_at=removed_at, removal_reason=reason)
    issue.refresh_from_db()
    positions_renumber(issue=issue)
    issue_touch(issue=issue, user=user)
    issue_render(issue=issue)
    return issue
