"""What every custom admin view shares: the admin's context, and a permission checked first."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.views import View

from issues.models import Issue


class AdminView(View):
    """A view inside the admin site: `model_admin` is set by `as_view(model_admin=…)`."""

    model_admin = None

    def allows_method(self, request):
        """Whether the method is one this view answers; checked before any permission."""
        return request.method.lower() in self.http_method_names

    def admin_context(self, **context):
        return {
            **self.model_admin.admin_site.each_context(self.request),
            "opts": self.model_admin.model._meta,
            **context,
        }


class IssueActionView(AdminView):
    """A view on one issue, refused unless the user holds `permission` on it.

    `permission` is "view", "change" or "publish" (the Editors group's publish_issue).
    """

    permission = "view"

    def dispatch(self, request: HttpRequest, object_id, *args, **kwargs):
        if not self.allows_method(request):
            return self.http_method_not_allowed(request)
        self.issue = get_object_or_404(Issue, pk=object_id)
        if not self.has_permission(request):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def has_permission(self, request):
        model_admin = self.model_admin
        if self.permission == "publish":
            return request.user.has_perm("issues.publish_issue")
        if self.permission == "change":
            return model_admin.has_change_permission(request, self.issue)
        return model_admin.has_view_permission(request, self.issue)

    def back_to_issue(self):
        return redirect("admin:issues_issue_change", self.issue.pk)
