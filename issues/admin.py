"""The editors' admin (a first version; the full workspace builds on it)."""

from django.contrib import admin

from .models import Issue, Item, Reference, Section
from .services import issue_render, issues_render_citing, positions_renumber


class SectionInline(admin.StackedInline):
    model = Section
    extra = 0
    fields = ("position", "icon", "title", "text")


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "language", "published_at")
    search_fields = ("title", "intro")
    inlines = (SectionInline,)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        positions_renumber(issue=form.instance)
        issue_render(issue=form.instance)


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("title", "section", "position")
    list_select_related = ("section__issue",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        issue_render(issue=obj.section.issue)


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ("url", "title")
    search_fields = ("url", "title")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        issues_render_citing(reference=obj)
