"""An item's form, fetched when the editor opens an item shown as a summary (issue 13)."""

import re

from django.contrib.admin import helpers
from django.http import HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string

from issues.admin.views.base import IssueActionView
from issues.models import Item
from issues.selectors.moderation import items_with_removers

# The name prefix the item's box has on the page now (it changes as items are dragged).
PREFIX = re.compile(r"^sections-\d{1,5}-items-\d{1,5}$")
MAX_ITEMS = 1000


class ItemFormsView(IssueActionView):
    """The title and body fields of some of the issue's items, for the boxes they go in.

    GET ?item=<pk>:<prefix>, repeated: a JSON object of HTML by pk, and the issue's edit
    version (the page warns when it is newer than the one it was opened at)."""

    permission = "change"
    http_method_names = ["get"]

    def get(self, request):
        wanted = {}
        for value in request.GET.getlist("item")[:MAX_ITEMS]:
            pk, _colon, prefix = value.partition(":")
            if not pk.isdigit() or not PREFIX.match(prefix):
                return HttpResponseBadRequest("item=<pk>:<prefix>")
            wanted[int(pk)] = prefix
        inline = self.item_inline()
        form_class = inline.get_formset(request, self.issue).form
        items = items_with_removers(
            Item.objects.filter(section__issue=self.issue, pk__in=wanted)
        ).select_related("section")
        fieldsets = [(None, {"fields": ["moderation", *form_class.TEXT_FIELDS]})]
        forms = {}
        for item in items:
            form = form_class(instance=item, prefix=wanted[item.pk])
            admin_form = helpers.InlineAdminForm(
                None,
                form,
                fieldsets,
                {},
                item,
                readonly_fields=("moderation",),
                model_admin=inline,
            )
            forms[item.pk] = render_to_string(
                "admin/issues/issue/item_fields.html",
                {"inline_admin_form": admin_form},
                request=request,
            )
        return JsonResponse({"version": self.issue.edit_version, "forms": forms})

    def item_inline(self):
        (section_inline,) = self.model_admin.get_inline_instances(self.request, self.issue)
        (item_inline,) = section_inline.get_inline_instances(self.request, self.issue)
        return item_inline
