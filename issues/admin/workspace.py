"""The editors' workspace: an issue assembled on one page, checked, previewed and published."""

import nested_admin
import reversion
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget
from nested_admin.compat import MergeSafeMedia, ensure_merge_safe_media
from nested_admin.nested import NestedInlineAdminFormset

from issues.admin.revisions import revision
from issues.admin.views.exports import ExportView
from issues.admin.views.history import CompareView, RestoreView, RevisionsView
from issues.admin.views.items import ItemFormsView
from issues.admin.views.preview import ItemPreviewView
from issues.admin.views.publishing import PublishView, ToDraftView
from issues.admin.views.sharing import ShareView
from issues.formats.exports import FORMATS
from issues.models import Issue, IssueStatus, Item, Section
from issues.selectors.checks import issue_blockers
from issues.selectors.moderation import issue_withdrawal, item_removals, items_with_removers
from issues.selectors.review import issue_panel
from issues.services.issues import issue_render, positions_renumber, withdrawn_refusal
from issues.services.positions import positions_assign, positions_park


class LazyMarkdownxWidget(AdminMarkdownxWidget):
    """The markdownx editor, started on focus or on request (static/js/markdownx-lazy.js), not
    for every field when the page loads."""

    # Under issues/templates/: Django's default form renderer looks in the apps' folders only.
    template_name = "issues/widgets/markdownx_lazy.html"


MARKDOWN_WIDGETS = {MarkdownxField: {"widget": LazyMarkdownxWidget(attrs={"rows": 6})}}


class PositionedForm(forms.ModelForm):
    """Sections and items: positions are renumbered on save, so a clash is not an error."""

    is_summary = False

    class Meta:
        # Editors order by dragging; the position follows from where they drop.
        widgets = {"position": forms.HiddenInput}

    def validate_unique(self):
        pass


class ItemForm(PositionedForm):
    """An item's form, whole or as a summary: its place only (id, section, position).

    Why summaries, and why this design (issue 13, 300 items): rendering 300 item forms is what
    made the change page take seconds. An item the editor has not opened is shown as a summary
    and posts only where it stands; its text stays in the database. So the one rule is: a saved
    item's title and body are bound only when the page posted them (the item was opened, its
    fields fetched from `ItemFormsView`). A summary cannot lose text (it writes none), moves and
    deletions still go through the one formset and the one save, and the conflict refusal is
    unchanged (the issue's edit version is checked before anything is saved). Per-item
    endpoints would have split one save into many, each needing its own version check.
    """

    TEXT_FIELDS = ("title", "body")

    def _post_clean(self):
        if not self.is_summary:
            super()._post_clean()
            return
        # Only its place was posted: its text is the saved one, there is nothing to check.
        self.instance = forms.models.construct_instance(self, self.instance, ["position"])


class LoadedRowField(forms.ModelChoiceField):
    """The primary key of a row its formset already loaded: one query per formset, not per form."""

    def __init__(self, *, formset, **kwargs):
        self.formset = formset
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            row = self.formset._existing_object(int(value))
        except (TypeError, ValueError):
            row = None
        if row is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return row


class PositionedFormSet(nested_admin.NestedInlineFormSet):
    """Sections or items of one issue; a save writes only the rows that changed.

    Positions are the admin's to number (`_park_positions`, `_apply_positions`), so a form
    whose row did not change, and did not move to another parent, is not written at all."""

    def validate_unique(self):
        pass

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.is_bound:
            # Rows are found by the posted ids: only this issue's, never another issue's.
            if self.model is Item:
                queryset = queryset.filter(section__issue_id=self.instance.issue_id)
            else:
                queryset = queryset.filter(issue_id=self.instance.pk)
        return queryset

    def _existing_object(self, pk):
        row = super()._existing_object(pk)
        if row is not None and not hasattr(row, "loaded_parent"):
            # Before the formset points the row at its own parent: was it moved here?
            row.loaded_parent = getattr(row, self.fk.attname)
        return row

    def add_fields(self, form, index):
        super().add_fields(form, index)
        name = self._pk_field.name
        if form.is_bound and isinstance(form.fields.get(name), forms.ModelChoiceField):
            field = form.fields[name]
            form.fields[name] = LoadedRowField(
                formset=self,
                queryset=field.queryset,
                initial=field.initial,
                required=False,
                widget=field.widget,
            )

    renumbering = True

    def process_forms_pre_save(self, forms):
        """When rows move, distinct positions for the rows written now (the others are parked),
        without touching the posted data; the final 1..n comes from `_apply_positions`. When
        nothing moves, rows keep their positions.

        nested_admin rewrote every posted position here, which made every form "changed" and
        every row written."""
        if self.renumbering:
            for rank, form in enumerate(forms):
                form.instance.position = rank
        return forms

    def get_saved_instance_for_form(self, form, commit, form_instances=None):
        row = form.instance
        unchanged = (
            form._is_initial
            and row.pk is not None
            and not self._should_delete_form(form)
            and not form.has_changed()
            and getattr(row, "loaded_parent", None) == getattr(row, self.fk.attname)
        )
        if unchanged:
            return None
        return super().get_saved_instance_for_form(form, commit, form_instances)


class ItemFormSet(PositionedFormSet):
    """Items: saved ones as summaries when the page is long (see ItemForm), whole otherwise."""

    summaries = False

    def _construct_form(self, i, **kwargs):
        if not self._is_summary(i):
            return super()._construct_form(i, **kwargs)
        # A summary is built from a form class with the position alone: no title and body
        # fields (and their Markdown widgets) copied for each of 300 forms, then dropped.
        full, self.form = self.form, self.summary_form()
        try:
            form = super()._construct_form(i, **kwargs)
        finally:
            self.form = full
        if form.instance.pk is None:  # an id that is not this issue's item: the whole form
            return super()._construct_form(i, **kwargs)
        return form

    def _is_summary(self, i):
        if i >= self.initial_form_count():
            return False
        if self.is_bound:
            return self.add_prefix(i) + "-title" not in self.data
        return self.summaries

    @classmethod
    def summary_form(cls):
        if "_summary_form" not in cls.__dict__:
            cls._summary_form = forms.models.modelform_factory(
                Item, form=cls.form, fields=["position"], widgets={"position": forms.HiddenInput}
            )
            cls._summary_form.is_summary = True
        return cls._summary_form


class ItemInline(nested_admin.NestedStackedInline):
    model = Item
    form = ItemForm
    formset = ItemFormSet
    template = "admin/issues/issue/item_inline.html"
    extra = 0
    fields = ("position", "moderation", "title", "body")
    readonly_fields = ("moderation",)
    sortable_field_name = "position"
    formfield_overrides = MARKDOWN_WIDGETS

    def get_queryset(self, request):
        return items_with_removers(super().get_queryset(request))

    def get_formset(self, request, obj=None, **kwargs):
        # nested_admin asks once per section (21 times on the bench issue, each building the
        # form and formset classes anew); permissions here are the user's, not per section,
        # so one class per request serves every section.
        classes = request.__dict__.setdefault("_item_formset_classes", {})
        key = obj is None
        if kwargs or key not in classes:
            formset = super().get_formset(request, obj, **kwargs)
            formset.summaries = getattr(request, "item_summaries", False)
            if kwargs:
                return formset
            classes[key] = formset
        return classes[key]

    @admin.display(description=_("moderation"))
    def moderation(self, item):
        """Editors see on the item itself that the moderators removed it: who, when, why."""
        if not item.is_removed:
            return ""
        return format_html(
            '<strong class="removed-by-moderators">{}</strong>',
            removal_note(
                who=getattr(item, "removed_by", None),
                when=item.removed_at,
                why=item.removal_reason,
            ),
        )


def unsortable_when_read_only(request, obj, inlines):
    """Who may only view an issue cannot drag its sections and items either: no handles."""
    for inline in inlines:
        if not inline.has_change_permission(request, obj):
            inline.sortable_options = {**inline.sortable_options, "disabled": True}
    return inlines


class SectionInline(nested_admin.NestedStackedInline):
    model = Section
    form = PositionedForm
    formset = PositionedFormSet
    extra = 0
    fields = ("position", "icon", "title", "text")
    sortable_field_name = "position"
    inlines = (ItemInline,)
    formfield_overrides = MARKDOWN_WIDGETS

    def get_inline_instances(self, request, obj=None):
        return unsortable_when_read_only(request, obj, super().get_inline_instances(request, obj))


def removal_note(*, who, when, why):
    """One sentence naming who removed an item, when and why; automatic hides have no actor."""
    return _(
        "Removed by the moderators (%(who)s, %(when)s), not shown to readers. Reason: %(why)s"
    ) % {
        "who": who or _("automatically"),
        "when": formats.date_format(timezone.localtime(when), "DATETIME_FORMAT"),
        "why": why or "—",
    }


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
        self._keep_publication(cleaned_data)
        self._check_blockers(cleaned_data)
        return cleaned_data

    def _keep_publication(self, cleaned_data):
        """A save never moves the publication date by itself, and a withdrawn issue's not at all."""
        if "published_at" not in cleaned_data or not self.instance.pk:
            return
        before, after = self.instance.published_at, cleaned_data["published_at"]
        if before and after and after == before.replace(microsecond=0):
            # The widget shows whole seconds: resubmitting them is no change.
            cleaned_data["published_at"] = before
        elif after != before and (refusal := withdrawn_refusal(issue=self.instance)):
            self.add_error("published_at", refusal)

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


class PostedData(QueryDict):
    """The posted form, copied cheaply: nested_admin gives each nested formset its own copy
    (21 deep copies of every posted field on the 300-item issue).

    A copy has its own keys and shares the lists of values: whoever writes to a copy sets a
    key anew (nested_admin renumbering positions, `data[key] = value`), and nothing here or in
    nested_admin appends to a posted list in place."""

    @classmethod
    def of(cls, posted):
        data = cls(mutable=True, encoding=posted.encoding)
        dict.update(data, {key: list(values) for key, values in dict.items(posted)})
        data._mutable = False
        return data

    def copy(self):
        copied = QueryDict(mutable=True, encoding=self.encoding)
        dict.update(copied, dict.items(self))
        return copied


def _positioned(formsets):
    return [formset for formset in formsets if formset.model in (Section, Item)]


def _moved(formset, form):
    """Whether the form's row was dragged here from another section (a change no field shows:
    the parent's field never counts as changed, and the position may be the same number)."""
    row = form.instance
    return row.pk is not None and (
        getattr(row, "loaded_parent", None) != getattr(row, formset.fk.attname)
    )


def _formsets_changed(formsets):
    """Whether any form of these formsets, or of the formsets nested in them, changed."""
    return any(
        formset.has_changed()
        or any(_moved(formset, form) for form in formset.forms)
        or any(_formsets_changed(getattr(form, "nested_formsets", [])) for form in formset.forms)
        for formset in formsets
    )


def _positions_move(formsets):
    """Whether this save adds, deletes or moves a section or an item; if not, no position is
    written at all (a save of one changed field on a 300-item issue writes one row)."""
    for formset in _positioned(formsets):
        for index, form in enumerate(formset.forms):
            row = form.instance
            new = row.pk is None or index >= formset.initial_form_count()
            if formset._should_delete_form(form):
                if not new:
                    return True
            elif new:
                if form.has_changed():
                    return True
            elif "position" in form.changed_data or _moved(formset, form):
                return True
    return False


def _park_positions(issue):
    """Before saving moves: the issue's rows out of the way (rows not posted too, so that no
    position written next can clash with them)."""
    positions_park(queryset=Section.objects.filter(issue=issue))
    positions_park(queryset=Item.objects.filter(section__issue=issue))


def _delete_items_of_deleted_sections(formsets):
    """A deleted section's items go with it, whatever their own forms said."""
    for formset in _positioned(formsets):
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


NESTED_ADMIN_JS = "nested_admin/dist/nested_admin.min.js"


class WorkspaceInlineAdminFormset(NestedInlineAdminFormset):
    """nested_admin's, without walking every form for its media (nested_admin's walk built
    all 320 inline admin forms of the bench issue once more, before rendering them)."""

    def _set_inline_admin_form_nested_attrs(self, inline_admin_form):
        # nested_admin's, without its walk through every nested form to collect prepopulated
        # fields (the workspace has none): that walk built each section's item forms once
        # more before they were rendered.
        form = inline_admin_form.form
        if getattr(form, "inlines", None):
            return
        holder = self.formset if form.prefix.endswith("__prefix__") else form
        form.inlines = self.model_admin.get_inline_formsets(
            self.request,
            getattr(holder, "nested_formsets", None) or [],
            getattr(holder, "nested_inlines", None) or [],
            obj=form.instance if form.instance.pk else None,
            allow_nested=True,
        )

    @property
    def media(self):
        # Every form of a formset has its empty form's widgets, or fewer (a summary), and every
        # section's items are the same inline: the media of one empty form of each suffices.
        kept = type(self.formset).__dict__.get("_workspace_media")
        if kept is None:
            kept = ensure_merge_safe_media(self.opts.media) + ensure_merge_safe_media(
                self.formset.empty_form.media
            )
            for inline in self.opts.get_inline_instances(self.request, None):
                empty = inline.get_formset(self.request, None)().empty_form
                kept += self._with_nested_admin_js(
                    ensure_merge_safe_media(inline.media) + ensure_merge_safe_media(empty.media)
                )
            kept = self._with_nested_admin_js(kept)
            # One formset class per request (ItemInline.get_formset): computed once.
            type(self.formset)._workspace_media = kept
        return kept

    def _with_nested_admin_js(self, media):
        """nested_admin's script after the others it depends on, as nested_admin orders it."""
        media += MergeSafeMedia(js=[NESTED_ADMIN_JS])
        for script in media._js:
            if script in self._djn_js_deps:
                media += MergeSafeMedia(js=[script, NESTED_ADMIN_JS])
        return media


@admin.register(Issue)
class IssueAdmin(nested_admin.NestedModelAdmin):
    form = IssueAdminForm
    inline_admin_formset_helper_cls = WorkspaceInlineAdminFormset
    change_form_template = "admin/issues/issue/change_form.html"
    list_display = ("number", "title", "status_badge", "published_at", "updated_at", "last_editor")
    list_display_links = ("number", "title")
    list_filter = (StatusFilter, "language")
    list_select_related = ("last_edited_by",)
    search_fields = ("=number", "title", "intro")
    ordering = ("-number",)
    inlines = (SectionInline,)
    formfield_overrides = MARKDOWN_WIDGETS
    # Up to this many items, every item's form is on the page; past it, items are summaries
    # whose form is fetched when opened (ItemForm says why).
    items_in_full_up_to = 40
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

    def get_inline_instances(self, request, obj=None):
        return unsortable_when_read_only(request, obj, super().get_inline_instances(request, obj))

    def get_readonly_fields(self, request, obj=None):
        if request.user.has_perm("issues.publish_issue"):
            return ()
        return ("published_at",)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            request.POST = PostedData.of(request.POST)
        with revision(request, _("Saved in the admin"), manually=True):
            extra_context = {**(extra_context or {}), **self._workspace(request, object_id)}
            return super().changeform_view(request, object_id, form_url, extra_context)

    def _workspace(self, request, object_id):
        """The published-to-be issue beside the form: numbers, references and checks."""
        if object_id is None:
            return {}
        issue = Issue.objects.filter(pk=object_id).first()
        if issue is None or not self.has_view_permission(request, issue):
            return {}
        panel = issue_panel(issue=issue)
        # Summaries need their form fetched on opening, which needs the change permission.
        can_change = self.has_change_permission(request, issue)
        items = sum(len(section.items) for section in panel.sections)
        request.item_summaries = can_change and items > self.items_in_full_up_to
        removals = item_removals(issue=issue)
        notes = {
            pk: removal_note(
                who=action.actor.username if action.actor else None,
                when=action.item.removed_at if action.item else action.created_at,
                why=action.item.removal_reason if action.item else action.reason,
            )
            for pk, action in removals.items()
        }
        return {
            "panel": panel,
            # Each item with what the moderators did to it, if anything.
            "contents": [
                (section, [(item, notes.get(item.pk, "")) for item in section.items])
                for section in panel.sections
            ],
            "withdrawal": issue_withdrawal(issue=issue),
            "can_change": can_change,
            "checks": panel.checks,
            "has_blockers": panel.has_blockers,
            "export_formats": FORMATS,
            "can_publish": request.user.has_perm("issues.publish_issue"),
            "share_url": request.build_absolute_uri(
                reverse("issues:shared-preview", args=[issue.share_token])
            )
            if issue.share_token
            else "",
        }

    def save_model(self, request, obj, form, change):
        if change:
            return  # saved by save_related, once it knows whether anything changed
        obj.last_edited_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:
            if not form.has_changed() and not _formsets_changed(formsets):
                # Nothing to record: no new edit version (open forms stay valid), no revision.
                # The formsets save nothing, but the change message reads what they saved.
                super().save_related(request, form, formsets, change)
                return
            issue = form.instance
            issue.last_edited_by = request.user
            issue.edit_version += 1
            issue.save()
        moves = _positions_move(formsets)
        for formset in _positioned(formsets):
            formset.renumbering = moves
        if moves:
            _park_positions(form.instance)
        _delete_items_of_deleted_sections(formsets)
        super().save_related(request, form, formsets, change)
        if moves:
            _apply_positions(formsets)
        issue = form.instance
        positions_renumber(issue=issue)
        rendered = issue_render(issue=issue)
        # Record the final state, after renumbering, in this save's revision: read in three
        # queries (the revision follows sections and items; one query per section otherwise).
        reversion.add_to_revision(Issue.objects.with_contents().get(pk=issue.pk))
        # The panel's contents and checks are computed now, once, not on every view.
        issue.refresh_from_db(fields=["updated_at"])
        issue_panel(issue=issue, rendered=rendered)

    def get_urls(self):
        routes = [
            ("publish/", PublishView, "publish"),
            ("draft/", ToDraftView, "draft"),
            ("share/", ShareView, "share"),
            ("export/<str:fmt>/", ExportView, "export"),
            ("revisions/", RevisionsView, "revisions"),
            ("revisions/compare/", CompareView, "compare"),
            ("revisions/<int:version_id>/restore/", RestoreView, "restore"),
            ("items/", ItemFormsView, "items"),
            ("preview-item/", ItemPreviewView, "preview_item"),
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
