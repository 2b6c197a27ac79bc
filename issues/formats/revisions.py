"""Revisions of whole issues, read back as the interchange format for comparing."""

from types import SimpleNamespace

from django.utils.dateparse import parse_datetime

from issues.formats.interchange import serialize_issue
from issues.models import Item, Section


def revision_markdown(version):
    """The issue as one revision recorded it, in the interchange format."""
    fields = version.field_dict
    published_at = fields.get("published_at")
    if isinstance(published_at, str):
        published_at = parse_datetime(published_at)
    issue = SimpleNamespace(
        number=fields["number"],
        title=fields["title"],
        intro=fields.get("intro", ""),
        language=fields.get("language", "en"),
        published_at=published_at,
    )
    sections, items = [], []
    for other in version.revision.version_set.select_related("content_type"):
        model = other.content_type.model_class()
        if model is Section:
            sections.append((other.object_id, other.field_dict))
        elif model is Item:
            items.append(other.field_dict)
    built = []
    for section_id, data in sorted(sections, key=lambda entry: entry[1]["position"]):
        if str(data.get("issue_id", data.get("issue"))) != str(version.object_id):
            continue
        section_items = sorted(
            (
                item
                for item in items
                if str(item.get("section_id", item.get("section"))) == section_id
            ),
            key=lambda item: item["position"],
        )
        built.append(
            SimpleNamespace(
                title=data["title"],
                icon=data.get("icon", ""),
                text=data.get("text", ""),
                items=[
                    SimpleNamespace(title=i["title"], body=i.get("body", "")) for i in section_items
                ],
            )
        )
    return serialize_issue(issue, built)
