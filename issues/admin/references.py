"""Every cited URL: how often, in which issues, and the title editors give it."""

from django.contrib import admin
from django.db.models import Count, Prefetch, Sum
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from issues.models import Citation, Issue, Reference
from issues.services.issues import issue_touch, issues_render_citing


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ("url", "title", "times_cited", "cited_in")
    search_fields = ("url", "title")
    fields = ("url", "title", "cited_in")
    readonly_fields = ("url", "cited_in")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(times=Sum("citations__count"), issue_count=Count("citations"))
            .prefetch_related(
                Prefetch(
                    "citations",
                    queryset=Citation.objects.select_related("issue").order_by("issue__number"),
                )
            )
        )

    def has_add_permission(self, request):
        return False  # references come from citations, never typed in

    @admin.display(description=_("times cited"), ordering="times")
    def times_cited(self, reference):
        return reference.times or 0

    @admin.display(description=_("cited in"))
    def cited_in(self, reference):
        return (
            format_html_join(
                ", ",
                '<a href="{}">#{} [{}]</a>',
                (
                    (
                        reverse("admin:issues_issue_change", args=[c.issue_id]),
                        c.issue.number,
                        c.number,
                    )
                    for c in reference.citations.all()
                ),
            )
            or "—"
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        issues_render_citing(reference=obj)
        for issue_id in obj.citations.values_list("issue_id", flat=True):
            issue_touch(issue=Issue(pk=issue_id), user=request.user)
