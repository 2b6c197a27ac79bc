"""The secret share-preview link: create a new one, or revoke it."""

from django.contrib import messages
from django.utils.translation import gettext as _

from issues.services.issues import issue_share, issue_unshare

from .base import IssueActionView


class ShareView(IssueActionView):
    """Create a share link (earlier ones stop opening), or revoke it with action=revoke."""

    http_method_names = ["post"]
    permission = "change"

    def post(self, request):
        if request.POST.get("action") == "revoke":
            issue_unshare(issue=self.issue, user=request.user)
            messages.success(request, _("The share link is revoked; it no longer opens."))
        else:
            issue_share(issue=self.issue, user=request.user)
            messages.success(
                request, _("A new share link was created; earlier links no longer open.")
            )
        return self.back_to_issue()
