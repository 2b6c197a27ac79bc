"""`import_archive`: a folder of issues, each in its own transaction, a table at the end."""

import pytest
from django.core.management import CommandError, call_command

from issues.models import Issue

GOOD = "---\ntitle: Issue {n}\n{number}---\n## News\n### Item {n}\n[l](https://x.example/{n})\n"


def archive(tmp_path, files):
    folder = tmp_path / "archive"
    (folder / "content").mkdir(parents=True)
    for name, text in files.items():
        (folder / "content" / name).write_text(text, encoding="utf-8")
    (folder / "README.md").write_text("# The archive\n", encoding="utf-8")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD.md").write_text("not an issue", encoding="utf-8")
    return folder


def run(folder, capsys, **options):
    try:
        call_command("import_archive", str(folder), **options)
        failed = None
    except CommandError as error:
        failed = str(error)
    out, err = capsys.readouterr()
    return out.strip().splitlines(), err, failed


@pytest.mark.django_db
class TestImportArchive:
    def test_numbers_from_metadata_or_file_order_and_a_table(self, tmp_path, capsys):
        folder = archive(
            tmp_path,
            {
                "2020-01-01-a.md": GOOD.format(n=1, number=""),
                "2020-01-08-b.md": GOOD.format(n=2, number=""),
                "2020-01-15-c.md": GOOD.format(n=3, number="number: 30\n"),
            },
        )
        table, err, failed = run(folder, capsys)
        assert failed is None
        assert sorted(Issue.objects.values_list("number", "title")) == [
            (1, "Issue 1"),
            (2, "Issue 2"),
            (30, "Issue 3"),
        ]
        assert table[0].split() == [
            "file", "number", "sections", "items", "references", "warnings", "error"
        ]  # fmt: skip
        assert table[1].split() == ["content/2020-01-01-a.md", "1", "1", "1", "1"]
        assert table[-1] == "3 imported, 0 kept as they were, 0 failed of 3 files"
        assert "[##############################] 3/3 2020-01-15-c.md" in err

    def test_bad_files_are_reported_and_the_others_imported(self, tmp_path, capsys):
        folder = archive(
            tmp_path,
            {
                "1.md": GOOD.format(n=1, number=""),
                "2.md": "---\ntitle: [unclosed\n---\n",
                "3.md": GOOD.format(n=3, number="").replace("## News", "## " + "x" * 400),
                "4.md": GOOD.format(n=4, number="layout: post\n"),
            },
        )
        table, err, failed = run(folder, capsys)
        assert failed == "2 of 4 files failed (see the table)"
        assert sorted(Issue.objects.values_list("number", flat=True)) == [1, 4]
        by_file = {line.split()[0]: line for line in table[1:-1]}
        assert "line 2: bad front matter" in by_file["content/2.md"]
        assert "line 4: a section title is 400 characters long" in by_file["content/3.md"]
        assert "line 3: header field 'layout' is not kept by Digest" in by_file["content/4.md"]
        assert "Traceback" not in err

    def test_rerunning_replaces_nothing_unless_asked(self, tmp_path, capsys):
        folder = archive(tmp_path, {"1.md": GOOD.format(n=1, number="")})
        run(folder, capsys)
        Issue.objects.filter(number=1).update(title="Edited")
        table, _, failed = run(folder, capsys)
        assert failed is None and Issue.objects.get(number=1).title == "Edited"
        assert "issue 1 exists: kept (--replace to overwrite)" in table[1]
        assert table[-1] == "0 imported, 1 kept as they were, 0 failed of 1 files"
        run(folder, capsys, replace=True)
        assert Issue.objects.get(number=1).title == "Issue 1"

    def test_a_place_in_file_order_taken_by_another_files_number(self, tmp_path, capsys):
        folder = archive(
            tmp_path,
            {"a.md": GOOD.format(n=1, number="number: 2\n"), "b.md": GOOD.format(n=2, number="")},
        )
        table, _, failed = run(folder, capsys)
        assert failed == "1 of 2 files failed (see the table)"
        assert "its place (2) is the number of a.md" in table[2]

    def test_the_newsletter_corpus_imports_whole(self, corpora, capsys):
        table, _, failed = run(corpora / "newsletters", capsys)
        assert failed is None, table
        assert sorted(Issue.objects.values_list("number", flat=True)) == [1, 2, 300, 599, 665]

    def test_a_missing_folder_is_one_line(self, tmp_path):
        with pytest.raises(CommandError, match="no such folder"):
            call_command("import_archive", str(tmp_path / "nope"))
