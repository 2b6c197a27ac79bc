"""What moderators do from the queue: unpublish, republish, dismiss the reports."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from issues.models import Issue, Item
from issues.services.moderation import (
    issue_reinstate,
    issue_withdraw,
    item_republish,
    item_unpublish,
    reports_dismiss,
)

from .base import AdminView


def _as_pk(value):
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise Http404("No such target.") from error


class ModerationView(AdminView):
    """A POST naming a target (`issue`, and `item` or none for the whole issue) and a reason."""

    http_method_names = ["post"]
    permission = "issues.moderate_content"

    def dispatch(self, request, *args, **kwargs):
        if not self.allows_method(request):
            return self.http_method_not_allowed(request)
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def post(self, request):
        self.target_issue = get_object_or_404(Issue, pk=_as_pk(request.POST.get("issue")))
        self.target_item = None
        if request.POST.get("item"):
            self.target_item = get_object_or_404(
                Item, pk=_as_pk(request.POST.get("item")), section__issue=self.target_issue
            )
        self.act(reason=request.POST.get("reason", "").strip())
        return redirect("admin:issues_report_changelist")


class UnpublishView(ModerationView):
    """Unpublish an item (a tombstone keeps its number) or withdraw an issue (410 Gone)."""

    def act(self, *, reason):
        if not reason:
            messages.error(self.request, _("Nothing was unpublished: a reason is required."))
            return
        actor, issue, item = self.request.user, self.target_issue, self.target_item
        if item:
            item_unpublish(item=item, actor=actor, reason=reason)
        else:
            issue_withdraw(issue=issue, actor=actor, reason=reason)
        messages.success(self.request, _("Unpublished, with the reason recorded in the log."))


class RepublishView(ModerationView):
    """Bring back exactly what was unpublished."""

    def act(self, *, reason):
        actor, issue, item = self.request.user, self.target_issue, self.target_item
        if item:
            item_republish(item=item, actor=actor, reason=reason)
        else:
            issue_reinstate(issue=issue, actor=actor, reason=reason)
        messages.success(self.request, _("Republished exactly as it was."))


class DismissView(ModerationView):
    """Close the open reports on a target without acting on it."""

    permission = "issues.resolve_report"

    def act(self, *, reason):
        reports_dismiss(
            issue=self.target_issue, item=self.target_item, actor=self.request.user, reason=reason
        )
        messages.success(self.request, _("The reports were dismissed."))
