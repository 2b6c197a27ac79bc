"""Revisions of an issue: the list, a comparison of two, and restoring one."""

import difflib

import reversion
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import formats
from django.utils.translation import gettext as _
from reversion.models import Version

from issues.admin.revisions import revision
from issues.formats.revisions import revision_markdown
from issues.services.issues import issue_restore

from .base import IssueActionView


class RevisionsView(IssueActionView):
    """Every recorded revision of the issue, newest first."""

    http_method_names = ["get", "head"]

    def get(self, request):
        issue = self.issue
        versions = Version.objects.get_for_object(issue).select_related("revision__user")
        context = self.admin_context(
            original=issue,
            title=_("Revisions of issue #%(n)s") % {"n": issue.number},
            versions=versions,
            can_restore=self.model_admin.has_change_permission(request, issue),
        )
        return TemplateResponse(request, "admin/issues/issue/revisions.html", context)


class CompareView(IssueActionView):
    """A side-by-side diff of two revisions' Markdown (?a=…&b=…)."""

    http_method_names = ["get", "head"]

    def get(self, request):
        issue = self.issue
        versions = Version.objects.get_for_object(issue)
        try:
            older = versions.get(pk=int(request.GET.get("a", "")))
            newer = versions.get(pk=int(request.GET.get("b", "")))
        except (ValueError, Version.DoesNotExist):
            messages.error(request, _("Choose two revisions of this issue to compare."))
            return redirect("admin:issues_issue_revisions", issue.pk)
        if older.revision.date_created > newer.revision.date_created:
            older, newer = newer, older
        diff = difflib.HtmlDiff(wrapcolumn=70).make_table(
            revision_markdown(older).splitlines(),
            revision_markdown(newer).splitlines(),
            fromdesc=formats.date_format(older.revision.date_created, "DATETIME_FORMAT"),
            todesc=formats.date_format(newer.revision.date_created, "DATETIME_FORMAT"),
            context=True,
        )
        context = self.admin_context(
            original=issue,
            title=_("Compare revisions of issue #%(n)s") % {"n": issue.number},
            diff_table=diff,
            older=older,
            newer=newer,
        )
        return TemplateResponse(request, "admin/issues/issue/compare.html", context)


class RestoreView(IssueActionView):
    """Bring back a revision's content, recorded as a new revision."""

    http_method_names = ["post"]
    permission = "change"

    def post(self, request, version_id):
        issue = self.issue
        version = get_object_or_404(Version.objects.get_for_object(issue), pk=version_id)
        when = formats.date_format(version.revision.date_created, "DATETIME_FORMAT")
        with (
            transaction.atomic(),
            revision(request, _("Restored the revision of %(when)s") % {"when": when}),
        ):
            issue_restore(issue=issue, version=version, user=request.user)
            reversion.add_to_revision(issue)
        messages.success(request, _("The revision was restored."))
        return self.back_to_issue()
