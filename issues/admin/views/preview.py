"""The item being typed, as it will be published: rendered with the whole issue, so that its
citations carry their issue-wide numbers and the reference list shows the links it adds."""

from django.http import HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string

from issues.admin.views.base import IssueActionView
from issues.selectors.issues import issue_article, issue_sections
from issues.text.markdown import MAX_TEXT_CHARS


class ItemPreviewView(IssueActionView):
    """POST item=<pk>, title, body (unsaved): the item's number, title and body as HTML, and the
    panel's reference list, from the issue as saved with this item's text in place.

    Nothing is saved; the rendering is `issue_article`, the one the save stores."""

    permission = "change"
    http_method_names = ["post"]

    def post(self, request):
        pk = request.POST.get("item", "")
        title, body = request.POST.get("title", ""), request.POST.get("body", "")
        if not pk.isdigit() or len(title) > 300 or len(body) > MAX_TEXT_CHARS:
            return HttpResponseBadRequest("item=<pk>, title, body")
        sections = issue_sections(self.issue)
        typed = None
        for section in sections:
            for item in section.items.all():  # the prefetched rows, changed in memory only
                if item.pk == int(pk):
                    item.title, item.body, typed = title, body, item
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
