"""A whole site to a folder and back: every issue in the interchange format, the rest as JSON."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.dateparse import parse_datetime

from issues.formats.interchange import InterchangeError, decode, parse_issue
from issues.models import Issue, Item, ModerationAction, Reference, Report
from issues.services.imports import issue_import
from issues.services.issues import issue_export_markdown, issue_render

STATE_FILE = "site.json"
FORMAT_VERSION = 1


def _item_key(item):
    """Where an item sits, stable across databases: issue number, section and item position."""
    if item is None:
        return None
    return [item.section.issue.number, item.section.position, item.position]


def _when(value):
    return value.isoformat() if value else None


def site_export(directory):
    """Write every issue, reference, report and moderation action under `directory`."""
    directory = Path(directory)
    (directory / "issues").mkdir(parents=True, exist_ok=True)
    issues = list(Issue.objects.order_by("number"))
    for issue in issues:
        path = directory / "issues" / f"issue-{issue.number:05d}.md"
        path.write_text(issue_export_markdown(issue=issue, include_removed=True), encoding="utf-8")
    items = Item.objects.select_related("section__issue")
    state = {
        "format": FORMAT_VERSION,
        "issues": [
            {
                "number": issue.number,
                "withdrawn_at": _when(issue.withdrawn_at),
                "withdrawal_reason": issue.withdrawal_reason,
            }
            for issue in issues
        ],
        "removed_items": [
            {
                "item": _item_key(item),
                "removed_at": _when(item.removed_at),
                "reason": item.removal_reason,
            }
            for item in items.filter(removed_at__isnull=False).order_by("pk")
        ],
        "references": [
            {"url": ref.url, "normalized_url": ref.normalized_url, "title": ref.title}
            for ref in Reference.objects.order_by("normalized_url")
        ],
        "reports": [
            {
                "issue": report.issue.number,
                "item": _item_key(report.item),
                "reason": report.reason,
                "note": report.note,
                "contact_email": report.contact_email,
                "client_hash": report.client_hash,
                "status": report.status,
                "created_at": _when(report.created_at),
                "notified_at": _when(report.notified_at),
                "resolved_at": _when(report.resolved_at),
                "resolved_by": report.resolved_by.username if report.resolved_by else None,
                "resolution_note": report.resolution_note,
            }
            for report in Report.objects.select_related(
                "issue", "item__section__issue", "resolved_by"
            ).order_by("created_at", "pk")
        ],
        "moderation_log": [
            {
                "actor": action.actor.username if action.actor else None,
                "created_at": _when(action.created_at),
                "action": action.action,
                "issue": action.issue.number if action.issue else None,
                "item": _item_key(action.item),
                "target": action.target,
                "reason": action.reason,
                "status_before": action.status_before,
                "status_after": action.status_after,
                "reports_resolved": action.reports_resolved,
            }
            for action in ModerationAction.objects.select_related(
                "actor", "issue", "item__section__issue"
            ).order_by("created_at", "pk")
        ],
    }
    (directory / STATE_FILE).write_text(
        json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )
    return len(issues)


@transaction.atomic
def site_import(directory):
    """Rebuild a site from `site_export`'s folder into an empty database, all or nothing."""
    directory = Path(directory)
    if Issue.objects.exists():
        raise InterchangeError(
            f"the database already holds {Issue.objects.count()} issues: import_all needs an "
            "empty one"
        )
    try:
        state = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
    except OSError as error:
        raise InterchangeError(
            f"{directory / STATE_FILE}: cannot read ({error.strerror})"
        ) from error
    except ValueError as error:
        raise InterchangeError(f"{directory / STATE_FILE}: not valid JSON ({error})") from error
    if state.get("format") != FORMAT_VERSION:
        raise InterchangeError(f"{STATE_FILE}: unknown format {state.get('format')!r}")
    for path in sorted((directory / "issues").glob("issue-*.md")):
        try:
            issue_import(
                parsed=parse_issue(decode(path.read_bytes()), strict=True, allow_flat=True)
            )
        except InterchangeError as error:
            raise InterchangeError(f"{path.name}: {error}") from error

    for ref in state["references"]:
        Reference.objects.update_or_create(
            normalized_url=ref["normalized_url"],
            defaults={"url": ref["url"], "title": ref["title"]},
        )
    users = {user.username: user for user in get_user_model().objects.all()}
    issues = {issue.number: issue for issue in Issue.objects.all()}

    def item_at(key):
        if key is None:
            return None
        number, section_position, item_position = key
        return Item.objects.get(
            section__issue__number=number,
            section__position=section_position,
            position=item_position,
        )

    for entry in state["issues"]:
        Issue.objects.filter(number=entry["number"]).update(
            withdrawn_at=parse_datetime(entry["withdrawn_at"]) if entry["withdrawn_at"] else None,
            withdrawal_reason=entry["withdrawal_reason"],
        )
    for entry in state["removed_items"]:
        item = item_at(entry["item"])
        item.removed_at = parse_datetime(entry["removed_at"])
        item.removal_reason = entry["reason"]
        item.save(update_fields=["removed_at", "removal_reason"])
    for entry in state["reports"]:
        report = Report.objects.create(
            issue=issues[entry["issue"]],
            item=item_at(entry["item"]),
            reason=entry["reason"],
            note=entry["note"],
            contact_email=entry["contact_email"],
            client_hash=entry["client_hash"],
            status=entry["status"],
            notified_at=_parse(entry["notified_at"]),
            resolved_at=_parse(entry["resolved_at"]),
            resolved_by=users.get(entry["resolved_by"]),
            resolution_note=entry["resolution_note"],
        )
        Report.objects.filter(pk=report.pk).update(created_at=_parse(entry["created_at"]))
    for entry in state["moderation_log"]:
        action = ModerationAction.objects.create(
            actor=users.get(entry["actor"]),
            action=entry["action"],
            issue=issues.get(entry["issue"]),
            item=item_at(entry["item"]),
            target=entry["target"],
            reason=entry["reason"],
            status_before=entry["status_before"],
            status_after=entry["status_after"],
            reports_resolved=entry["reports_resolved"],
        )
        ModerationAction.objects.filter(pk=action.pk).update(created_at=_parse(entry["created_at"]))
    for issue in Issue.objects.all():
        issue_render(issue=issue)
    return len(issues)


def _parse(value):
    return parse_datetime(value) if value else None
