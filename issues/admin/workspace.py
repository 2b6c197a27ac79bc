"""The editors' workspace: an issue assembled on one page, checked, previewed and published."""

import difflib
from contextlib import contextmanager

import nested_admin
import reversion
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget
from reversion.models import Version

from issues.formats.exports import FORMATS, export_issue
from issues.formats.revisions import revision_markdown
from issues.models import Issue, IssueStatus, Item, Section
from issues.selectors.checks import issue_checks
from issues.services.issues import (
    issue_article,
    issue_publish,
    issue_render,
    issue_restore,
    issue_share,
    issue_to_draft,
    issue_unshare,
    positions_renumber,
)
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
        blockers = [check for check in _checks(self.instance)[1] if check.is_blocker]
        if blockers:
            self.add_error(
                "published_at",
                _("Cannot publish or schedule yet: %(problems)s")
                % {"problems": " ".join(check.message for check in blockers)},
            )


@contextmanager
def _revision(request, comment):
    """Record what the block saves as one revision of the issue, by this user."""
    with reversion.create_revision():
        reversion.set_user(request.user)
        reversion.set_comment(comment)
        yield


def _checks(issue):
    """The issue as it would be published, and the checks on it."""
    sections = list(Issue.objects.with_contents().get(pk=issue.pk).sections.all())
    rendered = issue_article(issue=issue, sections=sections)
    return rendered, issue_checks(issue=issue, sections=sections, rendered=rendered)


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
        with _revision(request, _("Saved in the admin")):
            extra_context = {**(extra_context or {}), **self._workspace(request, object_id)}
            return super().changeform_view(request, object_id, form_url, extra_context)

    def _workspace(self, request, object_id):
        """The published-to-be issue beside the form: numbers, references and checks."""
        if object_id is None:
            return {}
        issue = Issue.objects.filter(pk=object_id).first()
        if issue is None or not self.has_view_permission(request, issue):
            return {}
        rendered, checks = _checks(issue)
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
            ("publish/", self.publish_view, "publish"),
            ("unpublish/", self.unpublish_view, "unpublish"),
            ("share/", self.share_view, "share"),
            ("export/<str:fmt>/", self.export_view, "export"),
            ("revisions/", self.revisions_view, "revisions"),
            ("revisions/compare/", self.compare_view, "compare"),
            ("revisions/<int:version_id>/restore/", self.restore_view, "restore"),
        ]
        own = [
            path(f"<path:object_id>/{route}", self._view(view), name=f"issues_issue_{name}")
            for route, view, name in routes
        ]
        return own + super().get_urls()

    def _view(self, view):
        return self.admin_site.admin_view(view)

    def _issue(self, request, object_id, *, permission):
        issue = get_object_or_404(Issue, pk=object_id)
        allowed = {
            "view": self.has_view_permission(request, issue),
            "change": self.has_change_permission(request, issue),
            "publish": request.user.has_perm("issues.publish_issue"),
        }[permission]
        if not allowed:
            raise PermissionDenied
        return issue

    def _back(self, issue):
        return redirect("admin:issues_issue_change", issue.pk)

    def publish_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        issue = self._issue(request, object_id, permission="publish")
        blockers = [check for check in _checks(issue)[1] if check.is_blocker]
        if blockers:
            problems = " ".join(check.message for check in blockers)
            messages.error(request, _("Not published: %(problems)s") % {"problems": problems})
            return self._back(issue)
        with _revision(request, _("Published")):
            issue_publish(issue=issue, user=request.user)
        messages.success(request, _("Issue #%(n)s is published.") % {"n": issue.number})
        return self._back(issue)

    def unpublish_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        issue = self._issue(request, object_id, permission="publish")
        with _revision(request, _("Back to draft")):
            issue_to_draft(issue=issue, user=request.user)
        messages.success(request, _("Issue #%(n)s is a draft again.") % {"n": issue.number})
        return self._back(issue)

    def share_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        issue = self._issue(request, object_id, permission="change")
        if request.POST.get("action") == "revoke":
            issue_unshare(issue=issue, user=request.user)
            messages.success(request, _("The share link is revoked; it no longer opens."))
        else:
            issue_share(issue=issue, user=request.user)
            messages.success(
                request, _("A new share link was created; earlier links no longer open.")
            )
        return self._back(issue)

    def export_view(self, request, object_id, fmt):
        issue = self._issue(request, object_id, permission="view")
        if fmt not in FORMATS:
            raise Http404(f"Unknown export format {fmt!r}.")
        content_type, extension = FORMATS[fmt]
        body = export_issue(issue=issue, fmt=fmt, base_url=request.build_absolute_uri("/"))
        response = HttpResponse(body, content_type=content_type)
        disposition = "inline" if request.GET.get("inline") else "attachment"
        response["Content-Disposition"] = (
            f'{disposition}; filename="issue-{issue.number}-{fmt}.{extension}"'
        )
        return response

    def revisions_view(self, request, object_id):
        issue = self._issue(request, object_id, permission="view")
        versions = Version.objects.get_for_object(issue).select_related("revision__user")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": issue,
            "title": _("Revisions of issue #%(n)s") % {"n": issue.number},
            "versions": versions,
            "can_restore": self.has_change_permission(request, issue),
        }
        return TemplateResponse(request, "admin/issues/issue/revisions.html", context)

    def compare_view(self, request, object_id):
        issue = self._issue(request, object_id, permission="view")
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
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": issue,
            "title": _("Compare revisions of issue #%(n)s") % {"n": issue.number},
            "diff_table": diff,
            "older": older,
            "newer": newer,
        }
        return TemplateResponse(request, "admin/issues/issue/compare.html", context)

    def restore_view(self, request, object_id, version_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        issue = self._issue(request, object_id, permission="change")
        version = get_object_or_404(Version.objects.get_for_object(issue), pk=version_id)
        when = formats.date_format(version.revision.date_created, "DATETIME_FORMAT")
        with (
            transaction.atomic(),
            _revision(request, _("Restored the revision of %(when)s") % {"when": when}),
        ):
            issue_restore(issue=issue, version=version, user=request.user)
            reversion.add_to_revision(issue)
        messages.success(request, _("The revision was restored."))
        return self._back(issue)
