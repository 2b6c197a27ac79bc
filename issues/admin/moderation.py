"""The moderators' queue and audit log."""

from collections import Counter

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from issues.admin.views.moderation import DismissView, RepublishView, UnpublishView
from issues.models import Issue, IssueStatus, Item, ModerationAction, Report
from issues.text.markdown import render_markdown


class RecordAdmin(admin.ModelAdmin):
    """Records nobody types or edits: readers' reports, the moderation log."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Report)
class ReportAdmin(RecordAdmin):
    """The moderation queue: open reports grouped by what they target."""

    list_display = ("created_at", "reason", "issue", "item", "status")
    list_filter = ("status", "reason")
    list_select_related = ("issue", "item")
    readonly_fields = [field.name for field in Report._meta.fields]

    def get_urls(self):
        actions = [
            path(
                f"{name}/",
                self.admin_site.admin_view(view.as_view(model_admin=self)),
                name=f"issues_report_{name}",
            )
            for name, view in (
                ("unpublish", UnpublishView),
                ("republish", RepublishView),
                ("dismiss", DismissView),
            )
        ]
        log = path(
            "all/", self.admin_site.admin_view(super().changelist_view), name="issues_report_all"
        )
        return [*actions, log, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        groups = (
            Report.objects.filter(status=Report.Status.OPEN)
            .values("issue_id", "item_id")
            .annotate(count=Count("id"), latest=Max("created_at"))
            .order_by("-latest")
        )
        open_reports = Report.objects.filter(status=Report.Status.OPEN).order_by("-created_at")
        by_target = {}
        for report in open_reports:
            by_target.setdefault((report.issue_id, report.item_id), []).append(report)
        issues = Issue.objects.in_bulk({group["issue_id"] for group in groups})
        items = Item.objects.select_related("section").in_bulk(
            {group["item_id"] for group in groups if group["item_id"]}
        )
        queue = []
        for group in groups:
            issue, item = issues[group["issue_id"]], items.get(group["item_id"])
            reports = by_target[(group["issue_id"], group["item_id"])]
            queue.append(
                {
                    "issue": issue,
                    "item": item,
                    "count": group["count"],
                    "latest": group["latest"],
                    "reasons": Counter(r.get_reason_display() for r in reports).most_common(),
                    "reports": reports,
                    "content_html": render_markdown(
                        item.body if item else issue.intro, limits=False
                    ),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Moderation queue"),
            "queue": queue,
            "removed_items": Item.objects.filter(removed_at__isnull=False)
            .select_related("section__issue")
            .order_by("-removed_at")[:50],
            "withdrawn_issues": Issue.objects.with_status(IssueStatus.WITHDRAWN).order_by(
                "-withdrawn_at"
            )[:50],
            "can_resolve": request.user.has_perm("issues.resolve_report"),
            "can_moderate": request.user.has_perm("issues.moderate_content"),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/issues/report/queue.html", context)


@admin.register(ModerationAction)
class ModerationActionAdmin(RecordAdmin):
    """The audit log: read-only, and only a superuser may delete from it."""

    list_display = (
        "created_at",
        "actor",
        "action",
        "target",
        "reason",
        "status_before",
        "status_after",
        "reports_resolved",
    )
    list_filter = ("action",)
    list_select_related = ("actor",)
    search_fields = ("target", "reason", "actor__username")
    readonly_fields = [field.name for field in ModerationAction._meta.fields]
