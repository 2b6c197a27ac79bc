"""Every export format carries the same numbers as the web page."""

import re

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.urls import reverse

from issues.formats.exports import export_issue
from issues.models import Issue
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(demo):
    return Issue.objects.get(number=3)


@pytest.fixture
def web(client, issue):
    """Numbers as readers see them: headings, citations in order, the reference list."""
    soup = BeautifulSoup(client.get(issue.get_absolute_url()).content, "html.parser")
    return {
        "headings": [
            h.select_one(".num").get_text()
            for h in soup.select("section.issue-section > h2, article.item > h3")
        ],
        "citations": [sup.get_text() for sup in soup.select("article.issue sup.citation")],
        "references": [
            (li.select_one(".ref-title").get_text(), li.select_one(".ref-url").get_text())
            for li in soup.select("ol.references > li")
        ],
    }


def test_email_is_self_contained_with_inline_css_and_absolute_urls(issue, web):
    document = export_issue(issue=issue, fmt="email", base_url="https://news.example")
    soup = BeautifulSoup(document, "html.parser")
    assert soup.find("html")["lang"] == "en"
    assert not soup.find_all(["link", "script", "style"])
    assert soup.find("h1")["style"] and soup.find("h2")["style"]
    for tag in soup.find_all(href=True):
        assert tag["href"].startswith(("http://", "https://", "mailto:")), tag
    assert [sup.get_text() for sup in soup.select("sup.citation")] == web["citations"]
    assert soup.select_one("sup.citation a")["href"] == "https://news.example/issues/3/#ref-1"
    headings = [h.span.get_text() for h in soup.select("h2[id^=section-], h3[id^=item-]")]
    assert headings == web["headings"]
    refs = [re.match(r"\[(\d+)\] (.*): (\S+)$", li.get_text()) for li in soup.select("ol li")]
    assert [(m.group(2), m.group(3)) for m in refs] == web["references"]


def test_wechat_keeps_marks_and_spells_out_urls_without_links(issue, web):
    soup = BeautifulSoup(export_issue(issue=issue, fmt="wechat"), "html.parser")
    assert soup.find("a") is None
    assert all(tag.get("style") for tag in soup.find_all(["h1", "h2", "h3"]))
    assert [sup.get_text() for sup in soup.select("sup.citation")] == web["citations"]
    refs = [re.match(r"\[(\d+)\] (.*): (\S+)$", li.get_text()) for li in soup.select("ol li")]
    assert [(m.group(2), m.group(3)) for m in refs] == web["references"]
    numbers = [re.split(r"[、 ]", h.get_text(), maxsplit=1)[0] for h in soup.select("h2, h3")]
    assert [n for n in numbers if n[0].isdigit()] == web["headings"]


def test_text_has_the_same_marks_headings_and_references(issue, web):
    text = export_issue(issue=issue, fmt="text")
    body, _, references = text.rpartition("\nReferences\n")
    assert re.findall(r"\[\d+\]", body) == web["citations"]
    assert re.findall(r"^(\d+(?:\.\d+)?) ", body, flags=re.MULTILINE) == web["headings"]
    listed = re.findall(r"^\[(\d+)\] (.*): (\S+)$", references, flags=re.MULTILINE)
    assert [(title, url) for _, title, url in listed] == web["references"]


def test_markdown_export_is_the_interchange_format(issue):
    assert export_issue(issue=issue, fmt="markdown").startswith("---\nnumber: 3\n")


def test_command_takes_a_format_and_refuses_unknown_ones(issue, capsys):
    call_command("export_issue", "3", "--format", "text")
    assert capsys.readouterr().out.startswith("#3 ")
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="invalid choice"):
        call_command("export_issue", "3", "--format", "pdf")


def test_admin_export_button_downloads_each_format(client, issue):
    client.force_login(make_user("exporter", staff=True, groups=["Editors"]))
    for fmt in ("markdown", "email", "wechat", "text"):
        response = client.get(reverse("admin:issues_issue_export", args=[issue.pk, fmt]))
        assert response.status_code == 200
        assert f"issue-3-{fmt}" in response["Content-Disposition"]
    assert (
        client.get(reverse("admin:issues_issue_export", args=[issue.pk, "pdf"])).status_code == 404
    )
    client.logout()
    response = client.get(reverse("admin:issues_issue_export", args=[issue.pk, "text"]))
    assert response.status_code == 302
