"""The issue exported as Markdown, email HTML, WeChat HTML or plain text."""

from django.http import Http404, HttpResponse

from issues.formats.exports import FORMATS, export_issue

from .base import IssueActionView


class ExportView(IssueActionView):
    """Download one export (or show it inline with ?inline=1)."""

    http_method_names = ["get", "head"]
    permission = "view"

    def get(self, request, fmt):
        if fmt not in FORMATS:
            raise Http404(f"Unknown export format {fmt!r}.")
        content_type, extension = FORMATS[fmt]
        body = export_issue(issue=self.issue, fmt=fmt, base_url=request.build_absolute_uri("/"))
        response = HttpResponse(body, content_type=content_type)
        disposition = "inline" if request.GET.get("inline") else "attachment"
        response["Content-Disposition"] = (
            f'{disposition}; filename="issue-{self.issue.number}-{fmt}.{extension}"'
        )
        return response
