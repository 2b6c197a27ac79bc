"""Backups: export_all then import_all into an empty database gives back the same site."""

import filecmp
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from issues.models import Issue, Item, ModerationAction, Reference, Report
from issues.services.issues import issues_render_citing
from issues.services.moderation import item_unpublish, report_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def pages():
    """What readers get; the feed's build date is the time of the restore, so it is left out."""
    client = Client()
    urls = ["/", "/feed/", "/sitemap.xml"] + [i.get_absolute_url() for i in Issue.objects.all()]
    return {
        url: (r.status_code, re.sub(rb"<lastBuildDate>.*?</lastBuildDate>", b"", r.content))
        for url in urls
        if (r := client.get(url))
    }


def test_round_trip_gives_back_the_same_site(tmp_path, demo):
    moderator = make_user("mod", staff=True, groups=["Moderators"])
    item = Item.objects.get(section__issue__number=2, section__position=1, position=3)
    report_create(
        issue=item.section.issue, item=item, reason="spam", note="n", contact_email="", client="h"
    )
    item_unpublish(item=item, actor=moderator, reason="Spam")
    reference = Reference.objects.get(url="https://arxiv.org/abs/1906.02530")
    reference.title = "An editor's title"
    reference.save()
    issues_render_citing(reference=reference)
    before = pages()

    call_command("export_all", str(tmp_path / "a"), stdout=io.StringIO())
    for model in (ModerationAction, Report, Issue, Reference):
        model.objects.all().delete()
    call_command("import_all", str(tmp_path / "a"), stdout=io.StringIO())
    call_command("export_all", str(tmp_path / "b"), stdout=io.StringIO())

    comparison = filecmp.dircmp(tmp_path / "a", tmp_path / "b")
    assert comparison.diff_files == [] and comparison.left_only == comparison.right_only == []
    assert filecmp.dircmp(tmp_path / "a" / "issues", tmp_path / "b" / "issues").diff_files == []
    assert pages() == before
    assert ModerationAction.objects.get().actor == moderator


def test_import_all_refuses_a_database_with_issues(tmp_path, demo):
    call_command("export_all", str(tmp_path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="already holds 3 issues"):
        call_command("import_all", str(tmp_path))


def test_import_all_of_a_broken_folder_writes_nothing(tmp_path, demo):
    call_command("export_all", str(tmp_path), stdout=io.StringIO())
    Issue.objects.all().delete()
    (tmp_path / "issues" / "issue-00003.md").write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(CommandError, match="issue-00003.md: line 1: the file is not UTF-8"):
        call_command("import_all", str(tmp_path))
    assert Issue.objects.count() == 0
    (tmp_path / "site.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_all", str(tmp_path))
