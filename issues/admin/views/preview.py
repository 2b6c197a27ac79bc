"""The item being typed, as it will be published: rendered with the whole issue, so that its
citations carry their issue-wide numbers and the reference list shows the links it adds."""

from django.http import HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string

from issues.admin.views.base import IssueActionView
from issues.models import Item
from issues.selectors.issues import issue_article, issue_sections
from issues.text.markdown import MAX_TEXT_CHARS


class _Items(list):
    """A section's items as the article reads them (`items.all()`)."""

    def all(self):
        return self


class _WithNewItem:
    """A saved section read with an item not saved yet among its items."""

    def __init__(self, section, items):
        self.pk, self.title, self.text = section.pk, section.title, section.text
        self.items = _Items(items)


class ItemPreviewView(IssueActionView):
    """POST item=<pk>, title, body (unsaved): the item's number, title and body as HTML, and the
    panel's reference list, from the issue as saved with this item's text in place. An item
    not saved yet is posted as section=<pk> and index=<n> (how many saved items of the section
    come before it) instead of item: it is read in that place.

    Nothing is saved; the rendering is `issue_article`, the one the save stores."""

    permission = "change"
    http_method_names = ["post"]

    def post(self, request):
        pk = request.POST.get("item", "")
        title, body = request.POST.get("title", ""), request.POST.get("body", "")
        if len(title) > 300 or len(body) > MAX_TEXT_CHARS:
            return HttpResponseBadRequest("item=<pk>, title, body")
        sections = issue_sections(self.issue)
        if pk.isdigit():
            typed = None
            for section in sections:
                for item in section.items.all():  # the prefetched rows, changed in memory only
                    if item.pk == int(pk):
                        item.title, item.body, typed = title, body, item
        else:
            sections, typed = self._with_new_item(request, sections, title=title, body=body)
        if typed is None:
            return HttpResponseBadRequest("not an item of this issue")
        rendered = issue_article(issue=self.issue, sections=sections)
        shown = next(
            item for section in rendered.sections for item in section.items if item.item is typed
        )
        return JsonResponse(
            {
                "number": shown.number,
                "title": shown.title_html,
                "body": shown.body_html,
                "references": render_to_string(
                    "admin/issues/issue/panel_references.html",
                    {"references": rendered.references},
                    request=request,
                ),
                "count": len(rendered.references),
            }
        )

    def _with_new_item(self, request, sections, *, title, body):
        """The sections with a new item in its place, and the item (None: no such place)."""
        section_pk, index = request.POST.get("section", ""), request.POST.get("index", "")
        if not (section_pk.isdigit() and index.isdigit()):
            return sections, None
        for number, section in enumerate(sections):
            if section.pk == int(section_pk):
                items = list(section.items.all())
                typed = Item(section=section, title=title, body=body)
                items.insert(min(int(index), len(items)), typed)
                with_new = [
                    *sections[:number],
                    _WithNewItem(section, items),
                    *sections[number + 1 :],
                ]
                return with_new, typed
        return sections, None
