"""Hostile input from public XSS corpora, and generated input, never becomes script."""

import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issues.formats.exports import export_issue
from issues.text.citations import CitationNumbering
from issues.text.markdown import html_flavour, parse
from tests.factories import make_issue
from tests.hostile import dangers

BATCH = 40


def corpus_payloads(corpora):
    """Every payload: one a line, and the inputs of the markdown-it fixture file."""
    payloads = []
    for path in sorted((corpora / "xss").glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.name == "markdown-it-xss-fixtures.txt":
            blocks = text.split("\n.\n")
            # Fixtures are `.` input `.` expected `.`: inputs are every other block.
            payloads += [block.strip(".\n") for block in blocks[0::2] if block.strip(".\n")]
        else:
            payloads += [line for line in text.splitlines() if line.strip()]
    return payloads


def content_fragments(client, issue):
    """The HTML readers can get for an issue: page, feeds and the HTML exports."""
    page = BeautifulSoup(client.get(issue.get_absolute_url()).content, "html.parser")
    yield "page", str(page.select_one("article.issue"))
    for feed in ("/feed/", "/feed/atom/"):
        root = ET.fromstring(client.get(feed).content)
        for entry in root.iter():
            if entry.tag.rsplit("}", 1)[-1] in ("description", "summary") and entry.text:
                yield feed, entry.text
    email = BeautifulSoup(export_issue(issue=issue, fmt="email"), "html.parser")
    yield "email", str(email.body)
    yield "wechat", export_issue(issue=issue, fmt="wechat")


@pytest.mark.django_db
def test_corpus_payloads_never_become_script(corpora):
    payloads = corpus_payloads(corpora)
    assert len(payloads) > 900
    client = Client()
    failures = []
    for start in range(0, len(payloads), BATCH):
        batch = payloads[start : start + BATCH]
        issue = make_issue(
            number=start // BATCH + 1,
            title=batch[0][:300],
            intro=batch[-1],
            sections=[(payload[:300], payload, [(payload[:300], payload)]) for payload in batch],
        )
        for where, fragment in content_fragments(client, issue):
            for danger in dangers(fragment):
                failures.append((where, danger))
        issue.delete()
    assert failures == []


@pytest.mark.django_db
def test_template_syntax_in_content_is_shown_not_run(client):
    issue = make_issue(
        title="{{ request.user }} {% now 'Y' %}",
        sections=[
            ("{% csrf_token %}", "{{ settings.SECRET_KEY }}", [("{{ 7|add:1 }}", "{% debug %}")])
        ],
    )
    text = BeautifulSoup(client.get(issue.get_absolute_url()).content, "html.parser").get_text()
    for literal in (
        "{{ request.user }}",
        "{% now 'Y' %}",
        "{{ settings.SECRET_KEY }}",
        "{{ 7|add:1 }}",
        "{% debug %}",
    ):
        assert literal in text


# Markdown and HTML building blocks the generator recombines.
PIECES = st.sampled_from(
    [
        "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
        "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](data:text/html,<b>)",
        "[x](vbscript:msgbox)", "![i](javascript:alert(1))", "<a href='jav&#x09;ascript:x'>x</a>",
        "<iframe src=//evil>", "<style>*{}</style>", "<form action=//evil><input></form>",
        "<base href=//evil>", "<meta http-equiv=refresh content=0>", "<object data=x>",
        "<embed src=x>",
        "[ok](https://ok.example)", "<https://auto.example>", "`code`", "```\n<script>\n```",
        "<!-- c -->", "**b**", "\n\n", "# h", "> q", "| a |\n|---|\n| 1 |", "&lt;", "\"'", "<",
        ">", "](", "[", "javascript:", "onerror=", "<a ", "href=", "<div onclick=x>",
        # Footnotes: references, definitions, hostile labels and notes.
        "[^1]", "\n[^1]: ", "\n[^1]: <img src=x onerror=alert(1)>\n", '[^"><svg/onload=alert(1)>]',
        '\n[^"><svg/onload=alert(1)>]: [x](javascript:alert(1))\n', "\n    ", "[^a'onclick='x]",
    ]
)  # fmt: skip
MARKUP = st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=12).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MARKUP)
def test_generated_markup_never_becomes_script(text):
    citations = CitationNumbering()
    for fragment in (
        parse(text, citations=citations, anchor="item-1-1"),
        parse(text, citations=citations, inline=True),
    ):
        for flavour in FLAVOURS:
            assert dangers(fragment.render(flavour)) == []


FLAVOURS = [
    html_flavour(),
    html_flavour(styles={"a": "color:red", "sup": "x"}, base_url="https://news.example/i/1/"),
    html_flavour(unlink=True, styles={"p": "margin:0"}),
]
