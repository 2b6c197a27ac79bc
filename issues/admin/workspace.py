"""The editors' workspace: an issue assembled on one page, checked, previewed and published."""

import nested_admin
import reversion
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import path, reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget

from issues.admin.revisions import revision
from issues.admin.views.exports import ExportView
from issues.admin.views.history import CompareView, RestoreView, RevisionsView
from issues.admin.views.publishing import PublishView, ToDraftView
from issues.admin.views.sharing import ShareView
from issues.formats.exports import FORMATS
from issues.models import Issue, IssueStatus, Item, Section
from issues.selectors.checks import issue_blockers, issue_review
from issues.services.issues import issue_render, positions_renumber
from issues.services.positions import positions_assign, positions_park

MARKDOWN_WIDGETS = {MarkdownxField: {"widget": AdminMarkdownxWidget(attrs={"rows": 6})}}


class PositionedForm(forms.ModelForm):
    """Sections and items: positions are renumbered on save, so a clash is not an error."""

    class Meta:
        # Editors order by dragging; the position follows from where they drop.
        widgets = {"position": forms.HiddenInput}

    def validate_unique(self):
        pass


class PositionedFormSet(nested_admin.NestedInlineFormSet):
    def validate_unique(self):
        pass


class ItemInline(nested_admin.NestedStackedInline):
    model = Item
    form = PositionedForm
    formset = PositionedFormSet
    extra = 0
    fields = ("position", "title", "body")
    sortable_field_name = "position"
    formfield_overrides = MARKDOWN_WIDGETS


class SectionInline(nested_admin.NestedStackedInline):
    model = Section
    form = PositionedForm
    formset = PositionedFormSet
    extra = 0
    fields = ("position", "icon", "title", "text")
    sortable_field_name = "position"
    inlines = (ItemInline,)
    formfield_overrides = MARKDOWN_WIDGETS


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return IssueStatus.choices

    def queryset(self, request, queryset):
        if self.value() in IssueStatus.values:
            return queryset.with_status(self.value())
        return queryset


class IssueAdminForm(forms.ModelForm):
    """The issue form; refuses a save when someone else saved after this page was opened."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Issue
        fields = ("number", "title", "language", "intro", "published_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loaded_version"].initial = self.instance.edit_version

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk:
            # The row lock makes a concurrent save wait here, then see the newer version.
            current = (
                Issue.objects.select_for_update(of=("self",))
                .filter(pk=self.instance.pk)
                .values("edit_version", "updated_at", "last_edited_by__username")
                .first()
            )
            if current is None:
                raise ValidationError(_("This issue was deleted by someone else."), code="gone")
            if cleaned_data.get("loaded_version") != current["edit_version"]:
                raise ValidationError(
                    _(
                        "%(who)s changed this issue at %(when)s, after you opened it. "
                        "Your changes were NOT saved, so nothing was overwritten: copy what you "
                        "need from this page, then reload it to see their version."
                    ),
                    code="conflict",
                    params={
                        "who": current["last_edited_by__username"] or _("Someone"),
                        "when": formats.date_format(current["updated_at"], "DATETIME_FORMAT"),
                    },
                )
        self._check_blockers(cleaned_data)
        return cleaned_data

    def _check_blockers(self, cleaned_data):
        """Publishing or scheduling by date obeys the same blockers as "Publish now"."""
        published_at = cleaned_data.get("published_at")
        if not self.instance.pk or not published_at or self.instance.published_at:
            return
        blockers = issue_blockers(issue=self.instance)
        if blockers:
            self.add_error(
                "published_at",
                _("Cannot publish or schedule yet: %(problems)s")
                % {"problems": " ".join(check.message for check in blockers)},
            )


def _positioned(formsets):
    return [formset for formset in formsets if formset.model in (Section, Item)]


def _park_positions(formsets):
    """Before saving: move existing rows out of the way, and drop the items of deleted sections."""
    for formset in _positioned(formsets):
        pks = [form.instance.pk for form in formset.forms if form.instance.pk]
        positions_park(queryset=formset.model.objects.filter(pk__in=pks))
        for form in formset.forms:
            if formset._should_delete_form(form):
                for child in getattr(form, "nested_formsets", []):
                    for child_form in child.forms:
                        if hasattr(child_form, "cleaned_data"):
                            child_form.cleaned_data["DELETE"] = True
                    child.__dict__.pop("_deleted_form_indexes", None)


def _apply_positions(formsets):
    """After saving: number each section's items, and the sections, 1..n in submitted order."""
    for formset in _positioned(formsets):
        kept = sorted(
            (
                (form.cleaned_data.get("position") or 0, index, form.instance)
                for index, form in enumerate(formset.forms)
                if hasattr(form, "cleaned_data") and form.instance.pk
                if not formset._should_delete_form(form)
            ),
            key=lambda entry: entry[:2],
        )
        instances = [instance for _position, _index, instance in kept]
        if instances:
            positions_assign(objects=instances)


@admin.register(Issue)
class IssueAdmin(nested_admin.NestedModelAdmin):
    form = IssueAdminForm
    change_form_template = "admin/issues/issue/change_form.html"
    list_display = ("number", "title", "status_badge", "published_at", "updated_at", "last_editor")
    list_display_links = ("number", "title")
    list_filter = (StatusFilter, "language")
    list_select_related = ("last_edited_by",)
    search_fields = ("=number", "title", "intro")
    ordering = ("-number",)
    inlines = (SectionInline,)
    formfield_overrides = MARKDOWN_WIDGETS
    fieldsets = (
        (None, {"fields": ("number", "title", "language", "intro", "loaded_version")}),
        (
            _("Publication"),
            {
                "fields": ("published_at",),
                "description": _(
                    "Empty: draft. A future date and time schedules the issue: it appears by "
                    "itself at that moment. Or use “Publish now” beside the form."
                ),
            },
        ),
    )

    @admin.display(description=_("status"), ordering="published_at")
    def status_badge(self, issue):
        return format_html(
            '<span class="status status-{}">{}</span>', issue.status, issue.status_label
        )

    @admin.display(description=_("last edited by"), ordering="last_edited_by__username")
    def last_editor(self, issue):
        return issue.last_edited_by.username if issue.last_edited_by else "—"

    def get_readonly_fields(self, request, obj=None):
        if request.user.has_perm("issues.publish_issue"):
            return ()
        return ("published_at",)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with revision(request, _("Saved in the admin")):
            extra_context = {**(extra_context or {}), **self._workspace(request, object_id)}
            return super().changeform_view(request, object_id, form_url, extra_context)

    def _workspace(self, request, object_id):
        """The published-to-be issue beside the form: numbers, references and checks."""
        if object_id is None:
            return {}
        issue = Issue.objects.filter(pk=object_id).first()
        if issue is None or not self.has_view_permission(request, issue):
            return {}
        rendered, checks = issue_review(issue=issue)
        return {
            "rendered": rendered,
            "checks": checks,
            "has_blockers": any(check.is_blocker for check in checks),
            "export_formats": FORMATS,
            "can_publish": request.user.has_perm("issues.publish_issue"),
            "share_url": request.build_absolute_uri(
                reverse("issues:shared-preview", args=[issue.share_token])
            )
            if issue.share_token
            else "",
        }

    def save_model(self, request, obj, form, change):
        obj.last_edited_by = request.user
        if change:
            obj.edit_version += 1
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        _park_positions(formsets)
        super().save_related(request, form, formsets, change)
        _apply_positions(formsets)
        issue = form.instance
        positions_renumber(issue=issue)
        issue_render(issue=issue)
        # Record the final state, after renumbering, in this save's revision.
        reversion.add_to_revision(issue)

    def get_urls(self):
        routes = [
            ("publish/", PublishView, "publish"),
            ("draft/", ToDraftView, "draft"),
            ("share/", ShareView, "share"),
            ("export/<str:fmt>/", ExportView, "export"),
            ("revisions/", RevisionsView, "revisions"),
            ("revisions/compare/", CompareView, "compare"),
            ("revisions/<int:version_id>/restore/", RestoreView, "restore"),
        ]
        own = [
            path(
                f"<path:object_id>/{route}",
                self.admin_site.admin_view(view.as_view(model_admin=self)),
                name=f"issues_issue_{name}",
            )
            for route, view, name in routes
        ]
        return own + super().get_urls()
