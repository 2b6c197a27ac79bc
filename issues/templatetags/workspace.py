"""The workspace's item summaries, written in Python: 300 of them through the template engine
took a large share of the change page's time."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def item_summary(inline_admin_form, inline_admin_formset):
    """One item as a summary: the box nested_admin drags, its header, and where it stands."""
    form, item = inline_admin_form.form, inline_admin_form.original
    prefix = form.prefix
    removed = (
        format_html(
            ' <span class="removed-by-moderators">{}</span>',
            _("Removed by the moderators, not shown to readers."),
        )
        if item.is_removed
        else ""
    )
    return format_html(
        '<div class="djn-item djn-module djn-inline-form has_original inline-related" '
        'data-inline-model="issues-item" data-is-initial="true" id="{prefix}">'
        '<h3 class="djn-drag-handler"><b>{label}:</b>&nbsp;<span class="inline_label">'
        '<span class="num">{section_number}.{item_number}</span> {title}{removed}</span> '
        '<span class="delete djn-delete-handler {handlers}"><input type="checkbox" '
        'name="{prefix}-DELETE" id="id_{prefix}-DELETE"{checked}> <label '
        'class="vCheckboxLabel inline" for="id_{prefix}-DELETE">{delete}</label></span></h3>'
        '<div class="item-summary" data-item-pk="{pk}">'
        '<input type="hidden" name="{prefix}-position" value="{position}" '
        'id="id_{prefix}-position">'
        '<input type="hidden" name="{prefix}-id" value="{pk}" id="id_{prefix}-id">'
        '<input type="hidden" name="{prefix}-section" value="{section}" id="id_{prefix}-section">'
        '<div class="item-fields"></div></div></div>',
        prefix=prefix,
        label=_("Item"),
        section_number=inline_admin_formset.formset.instance.position,
        item_number=item.position,
        title=item.title,
        removed=removed,
        handlers=" ".join(inline_admin_formset.handler_classes),
        checked=" checked" if form["DELETE"].data else "",
        delete=_("Delete"),
        pk=str(item.pk),
        position=str(form["position"].value() or ""),
        section=str(inline_admin_formset.formset.instance.pk or ""),
    )


@register.filter
def in_position_order(inline_admin_formset, field):
    """nested_admin's `formsetsort` (forms by their posted or saved position, forms without one
    last), reading the formset once: each pass builds every inline admin form anew."""
    placed, unplaced = [], []
    for index, inline_admin_form in enumerate(inline_admin_formset):
        position = inline_admin_form.form[field].data if field else None
        if position and position != "-1":
            placed.append((int(position), index, inline_admin_form))
        else:
            unplaced.append(inline_admin_form)
    return [entry[2] for entry in sorted(placed, key=lambda entry: entry[:2])] + unplaced
