"""Published newsletters import as they are, and cite exactly the links a CommonMark reader finds.

The files are read from `../shared/corpora/newsletters/` (never copied here). The expected
reference list is counted independently: markdown-it-py's tokens over the whole file, with the
README's URL identity rules written out again here, not Digest's parser or `normalize_url`.
"""

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.management import call_command
from markdown_it import MarkdownIt

from issues.models import Issue
from issues.services.issues import issue_export_markdown

DEMO = Path(__file__).resolve().parents[1] / "issues" / "demo"
NEWSLETTERS = {
    # file: (number to give when the file has none, sections, items)
    "lwkd-2023-07-16.md": (1, 7, 2),
    "this-week-in-rust-085.md": (85, 11, 34),
    "this-week-in-rust-300.md": (None, 7, 4),
    "this-week-in-rust-599.md": (None, 8, 20),
    "this-week-in-rust-665.md": (None, 8, 19),
}
_HEADER = re.compile(r"\A(?:---\n.*?\n---\n|(?:[A-Za-z][\w-]*:[^\n]*\n)+\n)", re.DOTALL)


def same_url(url):
    """The README's identity: scheme and host lower-cased, no default port, no utm_* parameters."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port
    if port and port != {"http": 80, "https": 443}[parts.scheme.lower()]:
        host += f":{port}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(key, value) for key, value in query if not key.lower().startswith("utm_")]
    query_text = parts.query if len(kept) == len(query) else "&".join(f"{k}={v}" for k, v in kept)
    return (parts.scheme.lower(), host.lower(), parts.path or "/", query_text, parts.fragment)


def commonmark_citations(text):
    """Distinct http(s) link targets in reading order, as markdown-it-py reads the file."""
    body = _HEADER.sub("", text, count=1)
    seen = []
    for token in MarkdownIt("commonmark").enable("table").parse(body):
        for child in [token, *(token.children or [])]:
            href = child.attrs.get("href") if child.type == "link_open" else None
            if (
                href
                and urlsplit(href).scheme.lower() in ("http", "https")
                and urlsplit(href).netloc
            ):
                key = same_url(href)
                if key not in seen:
                    seen.append(key)
    return seen


def title_link(text):
    match = re.search(r"^(?:Title|title):[ \t]*(.*)$", text, re.MULTILINE)
    return match.group(1) if match else ""


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(NEWSLETTERS))
def test_a_published_issue_imports_as_it_is_with_every_link_cited(corpora, name, capsys):
    path = corpora / "newsletters" / name
    number, sections, items = NEWSLETTERS[name]
    call_command("import_issue", str(path), **({"number": number} if number else {}))
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    issue = Issue.objects.get()
    assert (issue.sections.count(), sum(s.items.count() for s in issue.sections.all())) == (
        sections,
        items,
    )
    cited = [
        same_url(url)
        for url in issue.citations.order_by("number").values_list("reference__url", flat=True)
    ]
    text = path.read_text(encoding="utf-8")
    assert cited == commonmark_citations(text)
    assert f"{sections} sections, {items} items, {len(cited)} references" in summary


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(NEWSLETTERS))
def test_a_published_issue_round_trips(corpora, name, tmp_path):
    number = NEWSLETTERS[name][0]
    call_command(
        "import_issue",
        str(corpora / "newsletters" / name),
        **({"number": number} if number else {}),
    )
    exported = issue_export_markdown(issue=Issue.objects.get())
    (tmp_path / "out.md").write_text(exported, encoding="utf-8")
    call_command("import_issue", str(tmp_path / "out.md"), replace=True)
    assert issue_export_markdown(issue=Issue.objects.get()) == exported


@pytest.mark.django_db
def test_the_seed_copied_from_a_web_page_finds_the_demo_issues_structure(seed_text, tmp_path):
    """The NLP简报 seed is text copied from a web page: no Markdown headings, sections and items
    as lines numbered `1、` and `1.1`, its links spelled out as text (so neither parser finds
    any). Its structure must be the one the demo issue (converted by hand) has."""
    path = tmp_path / "seed.txt"
    path.write_text(seed_text, encoding="utf-8")
    call_command("import_issue", str(path), number=2, title="NLP简报 Issue #2")
    issue = Issue.objects.get()
    demo = (DEMO / "issue-002.md").read_text(encoding="utf-8")

    def squeeze(text):
        return re.sub(r"\s+", "", text)

    expected = [squeeze(line[4:]) for line in demo.splitlines() if line.startswith("### ")]
    imported = [
        squeeze(item.title) for section in issue.sections.all() for item in section.items.all()
    ]
    assert imported == expected
    assert issue.sections.count() == demo.count("\n## ") == 7
    assert issue.citations.count() == len(commonmark_citations(seed_text)) == 0
    exported = issue_export_markdown(issue=issue)
    (tmp_path / "out.md").write_text(exported, encoding="utf-8")
    call_command("import_issue", str(tmp_path / "out.md"), replace=True)
    assert issue_export_markdown(issue=Issue.objects.get()) == exported
