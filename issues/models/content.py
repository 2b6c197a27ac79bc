"""Issues, their numbered sections and items, and the references they cite."""

import re

import reversion
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField


def text_problems(text):
    """Why a Markdown text is refused (too long, nested too deep, too costly to read), or []."""
    from issues.text.markdown import TextRefused, check_text

    try:
        check_text(text, what=_("this text"))
    except TextRefused as error:
        return [str(error)]
    return []


class IssueStatus(models.TextChoices):
    """Where an issue stands for readers; `IssueQuerySet.with_status` is the one rule for each."""

    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn by the moderators")


def status_condition(status, prefix=""):
    """The database condition for one status; `prefix` reaches an issue through a relation."""
    published_at, withdrawn_at = f"{prefix}published_at", f"{prefix}withdrawn_at"
    live = Q(**{f"{withdrawn_at}__isnull": True})
    return {
        IssueStatus.DRAFT: live & Q(**{f"{published_at}__isnull": True}),
        IssueStatus.SCHEDULED: live & Q(**{f"{published_at}__gt": Now()}),
        IssueStatus.PUBLISHED: live & Q(**{f"{published_at}__lte": Now()}),
        IssueStatus.WITHDRAWN: ~live,
    }[IssueStatus(status)]


def title_carries_number(title, number):
    """Whether a title already says its issue's number ("Issue #2", "#2", "No. 2", "第2期")."""
    pattern = rf"(#|\bissue\s*#?|\bno\.?\s*|第\s*)0*{number}(?!\d)"
    return re.search(pattern, title or "", flags=re.IGNORECASE) is not None


def numbered_title(title, number):
    """The title with "#N " before it, unless it already carries that number."""
    return title if title_carries_number(title, number) else f"#{number} {title}"


class IssueQuerySet(models.QuerySet):
    def with_status(self, status):
        """Issues in one status (draft, scheduled, published, withdrawn)."""
        return self.filter(status_condition(status))

    def published(self):
        """Issues readers may see: a publication time that has come, not withdrawn."""
        return self.with_status(IssueStatus.PUBLISHED)

    def with_contents(self):
        """Everything a rendered issue needs, in a fixed number of queries."""
        return self.prefetch_related(
            models.Prefetch("sections", queryset=Section.objects.order_by("position")),
            models.Prefetch("sections__items", queryset=Item.objects.order_by("position")),
        )


class Issue(models.Model):
    """One numbered newsletter issue."""

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        SIMPLIFIED_CHINESE = "zh-hans", _("Simplified Chinese")

    number = models.PositiveIntegerField(
        _("number"), help_text=_("The issue's number, shown as “Issue #N” and used in its URL.")
    )
    title = models.CharField(
        _("title"),
        max_length=300,
        help_text=_("Markdown allowed; a link here is cited like any other."),
    )
    intro = MarkdownxField(
        _("intro"), blank=True, help_text=_("Markdown shown before the table of contents.")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text=_("The language the issue is written in; sets the page's lang attribute."),
    )
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "Empty: a draft. In the future: scheduled, it appears by itself at that moment. "
            "In the past: published."
        ),
    )
    withdrawn_at = models.DateTimeField(
        _("withdrawn at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when moderators unpublish the issue: it then answers 410 Gone."),
    )
    withdrawal_reason = models.TextField(_("withdrawal reason"), blank=True, editable=False)
    share_token = models.CharField(
        _("share token"),
        max_length=64,
        blank=True,
        db_index=True,
        editable=False,
        help_text=_("Secret of the share-preview link; empty when no link is shared."),
    )
    edit_version = models.PositiveIntegerField(
        _("edit version"),
        default=0,
        editable=False,
        help_text=_("Goes up on every save; a save from an older version is refused."),
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("last edited by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Rendered on save by services.issue_render, so a page view never parses Markdown.
    plain_title = models.CharField(_("plain title"), max_length=300, blank=True, editable=False)
    rendered_html = models.TextField(_("rendered HTML"), blank=True, editable=False)
    rendered_intro = models.TextField(_("rendered intro"), blank=True, editable=False)
    # What search reads (the stored vector of migration 0012) and quotes: the intro as the
    # engine reads it, without URLs or markup; written by services.issue_render.
    search_text = models.TextField(_("search text"), blank=True, editable=False)

    objects = IssueQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        permissions = [("publish_issue", _("Can publish, schedule and unpublish issues"))]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="issue_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="issue_number_positive"),
        ]

    def __str__(self):
        return f"#{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("issues:detail", kwargs={"number": self.number})

    def clean(self):
        if problems := text_problems(self.intro):
            raise ValidationError({"intro": problems})

    @property
    def status(self):
        """The status of this row, by the same rule as `IssueQuerySet.with_status`."""
        if self.withdrawn_at is not None:
            return IssueStatus.WITHDRAWN
        if self.published_at is None:
            return IssueStatus.DRAFT
        if self.published_at > timezone.now():
            return IssueStatus.SCHEDULED
        return IssueStatus.PUBLISHED

    @property
    def status_label(self):
        return self.status.label

    @property
    def is_published(self):
        return self.status == IssueStatus.PUBLISHED

    @property
    def is_withdrawn(self):
        return self.status == IssueStatus.WITHDRAWN

    @property
    def title_carries_number(self):
        return title_carries_number(self.plain_title or self.title, self.number)

    @property
    def numbered_title(self):
        """For page titles and lists: "#N title", or the title alone when it says N already."""
        return numbered_title(self.plain_title or self.title, self.number)


class Section(models.Model):
    """A titled group of items inside an issue, numbered by position."""

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="sections", verbose_name=_("issue")
    )
    title = models.CharField(
        _("title"), max_length=300, help_text=_("Markdown allowed; numbers are added for you.")
    )
    icon = models.CharField(
        _("icon"), max_length=16, blank=True, help_text=_("Optional emoji shown before the title.")
    )
    text = MarkdownxField(
        _("text"),
        blank=True,
        help_text=_("Optional Markdown shown under the section's title, before its items."),
    )
    position = models.PositiveIntegerField(
        _("position"), help_text=_("Order within the issue; the section's number follows it.")
    )
    # What search reads and quotes (title and text as the engine reads them, without URLs or
    # markup); written by services.issue_render, never kept in revisions.
    search_title = models.TextField(_("search title"), blank=True, editable=False)
    search_text = models.TextField(_("search text"), blank=True, editable=False)

    class Meta:
        ordering = ["issue", "position"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "position"], name="section_position_unique_in_issue"
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        from issues.text.structure import split_icon, structure_problems

        errors = {}
        if split_icon(self.title)[0]:
            errors["title"] = _("Put the leading emoji in the Icon field.")
        if problems := structure_problems(self.text) + text_problems(self.text):
            errors["text"] = "; ".join(problems)
        if errors:
            raise ValidationError(errors)


class Item(models.Model):
    """One numbered entry of a section: a title and a Markdown body."""

    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="items", verbose_name=_("section")
    )
    title = models.CharField(
        _("title"), max_length=300, help_text=_("Markdown allowed; numbers are added for you.")
    )
    body = MarkdownxField(
        _("body"), blank=True, help_text=_("Markdown. Every http(s) link becomes a reference.")
    )
    position = models.PositiveIntegerField(
        _("position"), help_text=_("Order within the section; the item's number follows it.")
    )
    removed_at = models.DateTimeField(
        _("removed at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when moderators unpublish the item; a tombstone keeps its number."),
    )
    removal_reason = models.TextField(_("removal reason"), blank=True, editable=False)
    # What search reads and quotes (title and text as the engine reads them, without URLs or
    # markup); written by services.issue_render, never kept in revisions.
    search_title = models.TextField(_("search title"), blank=True, editable=False)
    search_text = models.TextField(_("search text"), blank=True, editable=False)

    class Meta:
        ordering = ["section", "position"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.UniqueConstraint(
                fields=["section", "position"], name="item_position_unique_in_section"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_removed(self):
        return self.removed_at is not None

    def clean(self):
        from issues.text.structure import structure_problems

        if problems := structure_problems(self.body) + text_problems(self.body):
            raise ValidationError({"body": "; ".join(problems)})


# Revisions hold the whole issue: the issue, its sections and their items.
# Search text is derived from what revisions keep, and written again when one is restored.
SEARCH_FIELDS = ["search_title", "search_text"]
reversion.register(Item, exclude=SEARCH_FIELDS)
reversion.register(Section, follow=["items"], exclude=SEARCH_FIELDS)
reversion.register(Issue, follow=["sections"], exclude=["search_text"])
