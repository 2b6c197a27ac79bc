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


ODD_URLS = [
    "http://q.example/page?",
    "HTTP://U.example/A",
    "https://t.example/x#",
    "https://e.example/a?x=1&y=2",
    "https://zh.example/中文",
]


@pytest.fixture
def odd_issue():
    from tests.factories import make_issue

    links = " ".join(f"[l{n}]({url})" for n, url in enumerate(ODD_URLS))
    return make_issue(
        number=41,
        title="[Titled](https://title.example/)",
        intro="Hi. [Write to us](mailto:ed@news.example).",
        sections=[("S", "", [("One", links), ("Two", "[rel](/local/page)")])],
    )


def page_links(client, issue):
    soup = BeautifulSoup(client.get(issue.get_absolute_url()).content, "html.parser")
    article = soup.select_one("article.issue")
    return [
        a["href"]
        for a in article.select(".intro a, .item-body a, h1 a, h3 a")
        if not a.find_parent("sup") and "heading-link" not in a.get("class", [])
    ]


def test_every_export_keeps_each_link_target_as_the_page_has_it(client, odd_issue):
    web = page_links(client, odd_issue)
    assert web[-len(ODD_URLS) - 1 : -1] == ODD_URLS
    email = BeautifulSoup(
        export_issue(issue=odd_issue, fmt="email", base_url="https://news.example"),
        "html.parser",
    )
    email_links = [
        a["href"]
        for a in email.select("h1 a, h3 a, p a")
        if not a.find_parent("sup") and "Read on the web" not in a.get_text()
    ]
    # The only change: the relative link becomes absolute, since an email has no page.
    assert email_links == [*web[:-1], "https://news.example/local/page"]
    assert web[-1] == "/local/page"
    wechat = BeautifulSoup(export_issue(issue=odd_issue, fmt="wechat"), "html.parser")
    wechat_urls = [li.get_text().rpartition(": ")[2] for li in wechat.select("ol li")]
    text = export_issue(issue=odd_issue, fmt="text")
    text_urls = re.findall(r"^\[\d+\] .*?: (\S+)$", text, flags=re.MULTILINE)
    assert wechat_urls == text_urls == ["https://title.example/", *ODD_URLS]


def test_text_export_carries_the_title_mark_and_mailto_addresses(odd_issue):
    text = export_issue(issue=odd_issue, fmt="text")
    assert text.splitlines()[0] == "#41 Titled[1]"
    assert "Write to us (ed@news.example)." in text


def test_wechat_spells_out_mailto_addresses(odd_issue):
    soup = BeautifulSoup(export_issue(issue=odd_issue, fmt="wechat"), "html.parser")
    assert "Write to us (ed@news.example)." in soup.get_text()


def test_reference_titles_editors_set_show_in_the_page_and_every_export(client, odd_issue):
    from issues.models import Reference
    from issues.services.issues import issues_render_citing

    reference = Reference.objects.get(normalized_url="https://title.example/")
    reference.title = "Editor's & <title>"
    reference.save()
    issues_render_citing(reference=reference)
    soup = BeautifulSoup(client.get(odd_issue.get_absolute_url()).content, "html.parser")
    assert soup.select_one("#ref-1 .ref-title").get_text() == "Editor's & <title>"
    assert "[1] Editor's & <title>: https://title.example/" in export_issue(
        issue=odd_issue, fmt="text"
    )
    for fmt in ("email", "wechat"):
        soup = BeautifulSoup(export_issue(issue=odd_issue, fmt=fmt), "html.parser")
        assert (
            "[1] Editor's & <title>: https://title.example/" in soup.select("ol li")[0].get_text()
        )


def test_removed_items_read_the_same_in_every_format(client, odd_issue):
    from django.utils import timezone

    from issues.models import Item
    from issues.services.issues import issue_render

    Item.objects.filter(title="Two").update(removed_at=timezone.now())
    issue_render(issue=odd_issue)
    page = BeautifulSoup(client.get(odd_issue.get_absolute_url()).content, "html.parser")
    sentence = page.select_one("article.item-removed h3").get_text(" ", strip=True)
    assert "removed by the moderators on" in sentence
    text = export_issue(issue=odd_issue, fmt="text")
    assert sentence in text
    for fmt in ("email", "wechat"):
        soup = BeautifulSoup(export_issue(issue=odd_issue, fmt=fmt), "html.parser")
        assert sentence in [h.get_text(" ", strip=True) for h in soup.find_all("h3")]


@pytest.fixture
def noted_issue():
    from tests.factories import make_issue

    return make_issue(
        number=42,
        title="Notes",
        intro="Intro[^1].\n\n[^1]: See [intro](https://intro.example/).",
        sections=[
            (
                "S",
                "Section[^s].\n\n[^s]: Section note.",
                [
                    (
                        "One",
                        "A[^1] [a](https://a.example/).\n\n[^1]: One's [n](https://n.example/).",
                    ),
                    (
                        "Two",
                        "B[^1][^x].\n\n[^1]: Two's note.\n\n    Its second paragraph.\n[^x]: x",
                    ),
                ],
            )
        ],
    )


def test_footnotes_round_trip_the_markdown_export(tmp_path, noted_issue):
    exported = export_issue(issue=noted_issue, fmt="markdown")
    assert "[^1]: One's [n](https://n.example/).\n" in exported
    path = tmp_path / "out.md"
    path.write_text(exported, encoding="utf-8")
    call_command("import_issue", str(path), replace=True)
    issue = Issue.objects.get(number=42)
    assert export_issue(issue=issue, fmt="markdown") == exported
    assert issue.sections.get().items.get(title="Two").body.endswith("second paragraph.\n[^x]: x")


def test_footnotes_on_the_page_and_in_every_export(client, noted_issue):
    page = BeautifulSoup(client.get(noted_issue.get_absolute_url()).content, "html.parser")
    article = page.select_one("article.issue")
    ids = [tag["id"] for tag in article.find_all(id=True)]
    assert len(ids) == len(set(ids))
    notes = [li["id"] for li in article.select("section.footnotes li")]
    assert notes == [
        "intro-fn-1",
        "section-1-fn-1",
        "item-1-1-fn-1",
        "item-1-2-fn-1",
        "item-1-2-fn-2",
    ]
    for link in article.select("sup.footnote-ref a, a.footnote-backref"):
        assert link["href"][1:] in ids
    # A note's links are cited where readers meet them: after the text that refers to it.
    assert [ref.get_text() for ref in article.select(".ref-url")] == [
        "https://intro.example/",
        "https://a.example/",
        "https://n.example/",
    ]

    text = export_issue(issue=noted_issue, fmt="text")
    assert "Intro¹.\n\n¹ See intro[1]." in text
    assert "A¹ a[2].\n\n¹ One's n[3]." in text
    assert "B¹².\n\n¹ Two's note.\n\nIts second paragraph.\n\n² x" in text

    wechat = BeautifulSoup(export_issue(issue=noted_issue, fmt="wechat"), "html.parser")
    assert not wechat.select("sup.footnote-ref a")
    assert [li.get_text(" ", strip=True) for li in wechat.select("section.footnotes li")][:3] == [
        "See intro [1] .",
        "Section note.",
        "One's n [3] .",
    ]

    email = BeautifulSoup(
        export_issue(issue=noted_issue, fmt="email", base_url="https://news.example"),
        "html.parser",
    )
    assert email.select_one("sup.footnote-ref a")["href"] == (
        "https://news.example/issues/42/#intro-fn-1"
    )
    assert email.select_one("section.footnotes")["style"].startswith("font-size:14px")
    assert len(email.select("section.footnotes li")) == 5
