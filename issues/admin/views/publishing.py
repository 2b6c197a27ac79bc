"""Publishing an issue now, and taking it back to draft."""

from django.contrib import messages
from django.utils.translation import gettext as _

from issues.admin.revisions import revision
from issues.selectors.checks import issue_blockers
from issues.services.issues import issue_publish, issue_to_draft

from .base import IssueActionView


class PublishView(IssueActionView):
    """Publish now, unless the checks find a blocker."""

    http_method_names = ["post"]
    permission = "publish"

    def post(self, request):
        issue = self.issue
        if blockers := issue_blockers(issue=issue):
            problems = " ".join(check.message for check in blockers)
            messages.error(request, _("Not published: %(problems)s") % {"problems": problems})
            return self.back_to_issue()
        with revision(request, _("Published")):
            issue_publish(issue=issue, user=request.user)
        messages.success(request, _("Issue #%(n)s is published.") % {"n": issue.number})
        return self.back_to_issue()


class ToDraftView(IssueActionView):
    """Take a published or scheduled issue back to draft."""

    http_method_names = ["post"]
    permission = "publish"

    def post(self, request):
        with revision(request, _("Back to draft")):
            issue_to_draft(issue=self.issue, user=request.user)
        messages.success(request, _("Issue #%(n)s is a draft again.") % {"n": self.issue.number})
        return self.back_to_issue()
