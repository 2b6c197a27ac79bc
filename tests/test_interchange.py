"""The Markdown interchange format: import, its errors, export, and the round trip."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from issues.formats.interchange import InterchangeError, decode, parse_issue, split_icon
from issues.models import Issue, Item, Reference, Section
from issues.services.issues import issue_export_markdown

DEMO = Path(__file__).resolve().parents[1] / "issues" / "demo"

VALID = """---
number: 7
title: "Issue #7: [Links](https://title.example) too"
date: 2024-05-01
language: en
---

The intro, citing [intro link](https://intro.example).

<!-- editor note: [hidden](https://comment.example) -->

## 📰 News

Section text.

### First item

Body with a [link](https://a.example).

```
## not a section
### not an item
```

| a | b |
|---|---|
| 1 | 2 |

### Second item

## Empty section
"""


def write(tmp_path, text, name="issue.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def import_error(path, **options):
    with pytest.raises(CommandError) as error:
        call_command("import_issue", str(path), **options)
    message = str(error.value)
    assert "\n" not in message
    return message


class TestParse:
    def test_structure(self):
        parsed = parse_issue(VALID)
        assert parsed.number == 7
        assert parsed.title == "Issue #7: [Links](https://title.example) too"
        assert parsed.intro.startswith("The intro")
        assert "<!-- editor note" in parsed.intro
        assert [(s.icon, s.title) for s in parsed.sections] == [
            ("📰", "News"),
            ("", "Empty section"),
        ]
        news = parsed.sections[0]
        assert news.text == "Section text."
        assert [item.title for item in news.items] == ["First item", "Second item"]
        assert "## not a section" in news.items[0].body
        assert "| 1 | 2 |" in news.items[0].body

    def test_pelican_header(self):
        parsed = parse_issue(
            "Title: TWiR 1\nNumber: 1\nDate: 2026-08-19\nCategory: X\n\nHi\n", allow_flat=True
        )
        assert (parsed.title, parsed.number, parsed.published_at.date().isoformat()) == (
            "TWiR 1",
            1,
            "2026-08-19",
        )
        assert parsed.intro == "Hi"
        assert parsed.warnings == ["line 4: header field 'category' is not kept by Digest"]

    def test_emoji_with_variation_selector_is_an_icon(self):
        assert split_icon("⭐️ Notable Mentions") == ("⭐️", "Notable Mentions")
        assert split_icon("C++ news") == ("", "C++ news")

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("---\nnumber: 1\n---\nHi", "the issue has no title"),
            ("---\ntitle: x\ndate: 2024-13-45\n---\n", "line 3: bad date"),
            ("---\ntitle: x\nnumber: two\n---\n", "line 3: number 'two' is not"),
            ("---\ntitle: x\n", "never closed"),
            (
                "---\nnumber: 1\ntitle: x\nlanguage: en\n---\n### item first\n",
                "line 6: an item (###) comes before any section (##)",
            ),
            ("---\ntitle: x\nlanguage: fr\n---\n", "line 3: unknown language 'fr'"),
            ("---\ntitle: [unclosed\n---\n", "bad front matter"),
            ("---\ntitle: x\n---\n## \n", "line 4: a section has no title"),
        ],
    )
    def test_errors_name_the_problem_and_line(self, text, message):
        with pytest.raises(InterchangeError) as error:
            parse_issue(text)
        assert message in str(error.value)

    def test_long_title_is_refused(self):
        with pytest.raises(InterchangeError, match="5000 characters long"):
            parse_issue(f"---\ntitle: {'x' * 5000}\n---\n")

    def test_not_utf8_and_binary_are_refused(self):
        with pytest.raises(InterchangeError, match="not UTF-8"):
            decode("title: é".encode("latin-1"))
        with pytest.raises(InterchangeError, match="binary"):
            decode(b"\x89PNG\r\n\x1a\n\x00\x00")


@pytest.mark.django_db
class TestImportCommand:
    def test_import_creates_issue_and_prints_url(self, tmp_path, capsys):
        call_command("import_issue", str(write(tmp_path, VALID)))
        assert capsys.readouterr().out.strip().endswith("/issues/7/")
        issue = Issue.objects.get(number=7)
        assert issue.sections.count() == 2
        assert Item.objects.filter(section__issue=issue).count() == 2
        assert list(issue.citations.values_list("reference__url", flat=True)) == [
            "https://title.example",
            "https://intro.example",
            "https://a.example",
        ]

    def test_a_url_longer_than_the_column_still_imports(self, tmp_path):
        long_url = "https://long.example/" + "a" * 2500
        text = VALID.replace("https://a.example", long_url)
        call_command("import_issue", str(write(tmp_path, text)))
        issue = Issue.objects.get(number=7)
        assert long_url in issue.rendered_html
        assert issue.citations.count() == 3

    def test_number_option_overrides(self, tmp_path):
        call_command("import_issue", str(write(tmp_path, VALID)), number=70)
        assert Issue.objects.filter(number=70).exists()

    def test_publish_without_date_publishes_now(self, tmp_path):
        path = write(tmp_path, VALID.replace("date: 2024-05-01\n", ""))
        call_command("import_issue", str(path))
        assert Issue.objects.get(number=7).status == "draft"
        call_command("import_issue", str(path), publish=True, replace=True)
        assert Issue.objects.get(number=7).status == "published"

    def test_duplicate_number_needs_replace(self, tmp_path):
        path = write(tmp_path, VALID)
        call_command("import_issue", str(path))
        message = import_error(path)
        assert "issue 7 already exists" in message and "--replace" in message
        call_command("import_issue", str(path), replace=True)
        assert Issue.objects.filter(number=7).count() == 1

    def test_bad_files_write_nothing(self, tmp_path):
        cases = {
            "no-title.md": ("---\nnumber: 3\n---\n## S\n", "no title"),
            "bad-date.md": ("---\ntitle: x\nnumber: 3\ndate: soon\n---\n", "line 4: bad date"),
            "no-number.md": ("---\ntitle: x\n---\n## S\n### I\n", "has no number"),
        }
        for name, (text, expected) in cases.items():
            assert expected in import_error(write(tmp_path, text, name))
        assert "cannot read" in import_error(tmp_path / "missing.md")
        (tmp_path / "bin.md").write_bytes(b"\x00\x01\x02")
        assert "binary" in import_error(tmp_path / "bin.md")
        (tmp_path / "big.md").write_bytes(b"---\ntitle: x\n---\n" + b"a" * (10 * 1024 * 1024))
        assert "the limit is 5 MB" in import_error(tmp_path / "big.md")
        assert Issue.objects.count() == Section.objects.count() == Reference.objects.count() == 0

    def test_failed_replace_keeps_the_existing_issue(self, tmp_path):
        call_command("import_issue", str(write(tmp_path, VALID)))
        broken = VALID.replace("### Second item", "### " + "y" * 400)
        assert "line" in import_error(write(tmp_path, broken, "b.md"), replace=True)
        assert Issue.objects.get(number=7).sections.first().items.count() == 2


@pytest.mark.django_db
class TestRoundTrip:
    def snapshot(self, issue):
        return (
            issue.title,
            issue.intro,
            issue.language,
            issue.published_at,
            [
                (
                    s.position,
                    s.icon,
                    s.title,
                    s.text,
                    [(i.position, i.title, i.body) for i in s.items.all()],
                )
                for s in issue.sections.order_by("position")
            ],
            list(issue.citations.values_list("number", "reference__url", "text")),
        )

    @pytest.mark.parametrize("name", ["issue-001.md", "issue-002.md", "issue-003.md", "valid"])
    def test_export_then_import_gives_the_same_issue(self, tmp_path, name):
        source = VALID if name == "valid" else (DEMO / name).read_text(encoding="utf-8")
        call_command("import_issue", str(write(tmp_path, source)))
        issue = Issue.objects.get()
        before = self.snapshot(issue)
        exported = issue_export_markdown(issue=issue)
        call_command("import_issue", str(write(tmp_path, exported, "out.md")), replace=True)
        issue = Issue.objects.get()
        assert self.snapshot(issue) == before
        assert issue_export_markdown(issue=issue) == exported

    def test_this_week_in_rust_round_trips_with_its_comments_and_table(self, tmp_path, corpora):
        path = corpora / "newsletters" / "this-week-in-rust-665.md"
        call_command("import_issue", str(path))
        issue = Issue.objects.get(number=665)
        exported = issue_export_markdown(issue=issue)
        assert "Dear community contributors" in exported
        assert exported.count("<!--") == path.read_text(encoding="utf-8").count("<!--")
        before = self.snapshot(issue)
        call_command("import_issue", str(write(tmp_path, exported, "out.md")), replace=True)
        assert self.snapshot(Issue.objects.get(number=665)) == before

    def test_headings_ending_in_a_hash_keep_it(self, tmp_path):
        from tests.factories import make_issue

        issue = make_issue(number=8, sections=[("News", "", [("C#", "x"), ("Issue #", "y")])])
        exported = issue_export_markdown(issue=issue)
        call_command("import_issue", str(write(tmp_path, exported)), replace=True)
        titles = Item.objects.filter(section__issue__number=8).order_by("position")
        assert [item.title for item in titles] == ["C#", "Issue #"]

    def test_an_inline_comment_opener_in_code_is_not_a_comment(self):
        parsed = parse_issue("---\ntitle: T\n---\n## S\n### A\nUse `<!--` to start.\n### B\n")
        assert [item.title for item in parsed.sections[0].items] == ["A", "B"]

    def test_export_command_prints_the_format(self, tmp_path, capsys):
        call_command("import_issue", str(write(tmp_path, VALID)))
        capsys.readouterr()
        call_command("export_issue", "7")
        out = capsys.readouterr().out
        assert out.startswith("---\nnumber: 7\n")
        assert "## 📰 News\n" in out and "### First item\n" in out
        with pytest.raises(CommandError, match="no issue number 8"):
            call_command("export_issue", "8")


BROKEN_FILES = {
    "not-utf8.md": ("---\ntitle: Café\n---\n".encode("latin-1"), "not UTF-8"),
    "binary.md": (bytes(range(256)) * 4, "binary"),
    "huge.md": (
        b"---\ntitle: Big\nnumber: 1\n---\n" + b"word " * (2 * 1024 * 1024),
        "limit is 5 MB",
    ),
    "long-title.md": (f"---\ntitle: {'t' * 5000}\nnumber: 1\n---\n".encode(), "5000 characters"),
    "bad-number.md": (b"---\ntitle: T\nnumber: twelve\n---\n", "line 3: number 'twelve'"),
    "negative-number.md": (b"---\ntitle: T\nnumber: -4\n---\n", "line 3: number -4"),
    "item-first.md": (
        b"---\ntitle: T\nnumber: 1\nlanguage: en\n---\n### orphan\n",
        "line 6: an item",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_broken_files_fail_in_one_line_and_leave_the_database_as_it_was(tmp_path, name):
    call_command("import_issue", str(write(tmp_path, VALID.replace("number: 7", "number: 1"))))
    before = TestRoundTrip().snapshot(Issue.objects.get(number=1))
    content, expected = BROKEN_FILES[name]
    (tmp_path / name).write_bytes(content)
    message = import_error(tmp_path / name, replace=True)
    assert expected in message and message.startswith(str(tmp_path / name))
    assert len(message) < 300
    assert Issue.objects.count() == 1
    assert TestRoundTrip().snapshot(Issue.objects.get(number=1)) == before
