"""Cited URLs and the number each carries in an issue."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .content import Issue


class Reference(models.Model):
    """A cited URL, shared by every issue that cites it."""

    url = models.URLField(_("URL"), max_length=2000, help_text=_("The URL as it was first cited."))
    normalized_url = models.CharField(
        _("normalized URL"),
        max_length=2000,
        editable=False,
        help_text=_("Lower-cased scheme and host, no default port, no utm_* parameters."),
    )
    title = models.CharField(
        _("title"),
        max_length=300,
        blank=True,
        help_text=_(
            "Shown in reference lists instead of the text of the first citation. "
            "Leave empty to use that text."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["normalized_url"]
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        constraints = [
            models.UniqueConstraint(fields=["normalized_url"], name="reference_url_unique"),
        ]

    def __str__(self):
        return self.title or self.url


class Citation(models.Model):
    """The number a reference carries in one issue, refreshed whenever the issue is rendered."""

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="citations", verbose_name=_("issue")
    )
    reference = models.ForeignKey(
        Reference, on_delete=models.CASCADE, related_name="citations", verbose_name=_("reference")
    )
    number = models.PositiveIntegerField(_("number"))
    text = models.CharField(_("text of the first citation"), max_length=2000, blank=True)
    count = models.PositiveIntegerField(_("times cited"), default=1)

    class Meta:
        ordering = ["issue", "number"]
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        constraints = [
            models.UniqueConstraint(fields=["issue", "number"], name="citation_number_unique"),
            models.UniqueConstraint(
                fields=["issue", "reference"], name="citation_reference_unique"
            ),
        ]

    def __str__(self):
        return f"[{self.number}] {self.reference.url}"
