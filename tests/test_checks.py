"""Editor checks on links: URLs, link texts, and the demo issue's checks panel."""

import io

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.urls import reverse

from issues.models import Issue
from issues.selectors.checks import issue_checks
from issues.selectors.issues import issue_article, issue_sections
from tests.factories import make_issue, make_user

pytestmark = pytest.mark.django_db


def messages(issue):
    sections = issue_sections(issue)
    rendered = issue_article(issue=issue, sections=sections)
    return [
        check.message for check in issue_checks(issue=issue, sections=sections, rendered=rendered)
    ]


def one_item(body):
    return make_issue(sections=[("S", "", [("A", body)])])


class TestUrlCharacters:
    def test_characters_not_valid_in_a_url_are_named(self):
        issue = one_item("[MLT](https://twitter.com/「MLT」) [a b](https://x.example/a%zz)")
        assert messages(issue) == [
            "[1] https://twitter.com/「MLT」 has characters that are not valid in a URL: 「 」.",
            "[2] https://x.example/a%zz has characters that are not valid in a URL: %.",
        ]

    def test_encoded_and_reserved_characters_pass(self):
        issue = one_item(
            "[ok](https://x.example/%E3%80%8C?a=1&b=(2)#frag) "
            "[ok 2](https://x.example/@user/a-b_c~d;e=f)"
        )
        assert messages(issue) == []


class TestLinkTexts:
    @pytest.mark.parametrize("text", ["here", "Click here", "link", "论文", "查看全文", "服务"])
    def test_generic_texts(self, text):
        assert messages(one_item(f"[{text}](https://x.example/)")) == [
            f"[1] The link text “{text}” says nothing about https://x.example/."
        ]

    def test_empty_text(self):
        assert messages(one_item("[](https://x.example/)")) == [
            "[1] https://x.example/ is cited with an empty link text."
        ]

    @pytest.mark.parametrize(
        "text", ["“ NLP神经网络”课程", ", the paper", "the paper:", "（ 论文集", "“Quoted ”"]
    )
    def test_stray_punctuation_and_spaces(self, text):
        assert messages(one_item(f"[{text}](https://x.example/)")) == [
            f"[1] The link text “{text}” has stray punctuation or spaces."
        ]

    @pytest.mark.parametrize(
        "text", ["Can You Trust Your Model's Uncertainty?", "Neural Data Server (NDS)", "“NLP”课程"]
    )
    def test_ordinary_titles_pass(self, text):
        assert messages(one_item(f"[{text}](https://x.example/)")) == []

    def test_one_text_for_different_urls(self):
        issue = one_item("[Reformer](https://a.example/) and [reformer](https://b.example/)")
        assert messages(issue) == [
            "The link text “Reformer” is used for different URLs: "
            "[1] https://a.example/, [2] https://b.example/."
        ]


def test_the_demo_checks_panel_shows_what_the_original_got_wrong(client):
    """The demo keeps the seed's references as they were; the checks name each of its faults."""
    call_command("load_demo", stdout=io.StringIO())
    client.force_login(make_user("ed", staff=True, groups=["Editors"]))
    issue = Issue.objects.get(number=2)
    response = client.get(reverse("admin:issues_issue_change", args=[issue.pk]))
    soup = BeautifulSoup(response.content, "html.parser")
    panel = [li.get_text(" ", strip=True) for li in soup.select(".checks li")]
    assert panel == [
        "Warning: [18] The link text “论文” says nothing about "
        "https://www.aclweb.org/anthology/D19-3043.pdf.",
        "Warning: [20] The link text “查看全文” says nothing about https://www.reuters.com/article/"
        "us-eu-ai/eu-mulls-five-year-ban-on-facial-recognition-tech-in-public-areas-idUSKBN1ZF2QL.",
        "Warning: [28] The link text ““ NLP神经网络”课程” has stray punctuation or spaces.",
        "Warning: [33] https://twitter.com/「MLT」 has characters that are not valid in a URL: "
        "「 」.",
        "Warning: [41] The link text “服务” says nothing about http://aidemos.cs.toronto.edu/nds/.",
    ]
