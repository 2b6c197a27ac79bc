"""Readers' pages in both languages: which language speaks where, and titles said once."""

import pytest
from bs4 import BeautifulSoup

from issues.models.content import numbered_title, title_carries_number
from tests.factories import make_issue

pytestmark = pytest.mark.django_db

ENGLISH, CHINESE = {"HTTP_ACCEPT_LANGUAGE": "en-US"}, {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh"}


def soup_of(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture
def issues():
    return [
        make_issue(number=1, title="NLP简报 Issue #1: Meena", language="zh-hans"),
        make_issue(number=2, title="NLP简报 Issue #2", language="zh-hans",
                   sections=[("S", "", [("Reformer", "LSH 注意力")])]),
        make_issue(number=3, title="Weekly notes", language="en",
                   sections=[("S", "", [("Reformer again", "LSH attention")])]),
    ]  # fmt: skip


class TestIssuePagesSpeakTheIssuesLanguage:
    @pytest.mark.parametrize("browser", [ENGLISH, CHINESE])
    def test_a_chinese_issue_is_chinese_throughout(self, client, issues, browser):
        response = client.get("/issues/2/", **browser)
        soup = soup_of(response)
        assert soup.html["lang"] == "zh-hans" and response["Content-Language"] == "zh-hans"
        assert soup.select_one(".skip-link").get_text() == "跳到正文"
        assert soup.select_one(".site-search button").get_text() == "搜索"
        assert soup.select_one(".site-footer p").get_text().startswith("本站")
        assert soup.select_one("main > p.report a").get_text() == "举报第 2 期"
        # Neighbours in another language say so; those in the same one need not.
        assert soup.select_one("a[rel=next]")["lang"] == "en"
        assert not soup.select_one("a[rel=prev]").has_attr("lang")

    def test_an_english_issue_is_english_for_a_chinese_browser(self, client, issues):
        soup = soup_of(client.get("/issues/3/", **CHINESE))
        assert soup.html["lang"] == "en"
        assert soup.select_one(".skip-link").get_text() == "Skip to content"
        assert soup.select_one("a[rel=prev]")["lang"] == "zh-hans"

    def test_issue_pages_have_no_language_switch(self, client, issues):
        assert soup_of(client.get("/issues/2/")).select(".language-switch") == []


class TestSitePagesFollowTheBrowser:
    @pytest.mark.parametrize(
        ("browser", "lang", "skip", "other"),
        [(ENGLISH, "en", "Skip to content", "zh-hans"), (CHINESE, "zh-hans", "跳到正文", "en")],
    )
    @pytest.mark.parametrize("path", ["/", "/search/?q=Reformer", "/report/?issue=3", "/nope/"])
    def test_chrome_and_switch(self, client, issues, browser, lang, skip, other, path):
        response = client.get(path, **browser)
        soup = BeautifulSoup(response.content, "html.parser")
        assert soup.html["lang"] == lang
        assert soup.select_one(".skip-link").get_text() == skip
        (button,) = soup.select(".language-switch button[name=language]")
        assert button["value"] == other and button["lang"] == other
        assert soup.select_one(".language-switch input[name=next]")["value"] == path

    def test_the_switch_sets_the_language_for_site_pages_only(self, client, issues):
        response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/search/"})
        assert response.status_code == 302 and response["Location"] == "/search/"
        assert soup_of(client.get("/", **ENGLISH)).html["lang"] == "zh-hans"
        assert soup_of(client.get("/issues/3/", **ENGLISH)).html["lang"] == "en"

    def test_a_switch_posted_from_another_site_is_refused(self, client):
        response = client.post(
            "/i18n/setlang/", {"language": "zh-hans"}, HTTP_SEC_FETCH_SITE="cross-site"
        )
        assert response.status_code == 403 and "django_language" not in response.cookies

    def test_parts_in_another_language_are_marked(self, client, issues):
        soup = soup_of(client.get("/search/?q=Reformer", **ENGLISH))
        langs = {li.select_one(".hit-title a").get_text(): li.get("lang") for li in
                 soup.select(".search-hit")}  # fmt: skip
        assert langs == {"Reformer": "zh-hans", "Reformer again": None}
        home = soup_of(client.get("/", **ENGLISH))
        archive = home.select(".archive-list li a")
        assert [a.get("lang") for a in archive] == [None, "zh-hans", "zh-hans"]
        # The latest issue's own words are marked, the page's labels and dates are not.
        assert home.select_one(".latest .kicker").get_text() == "Latest: Issue #3"
        assert not home.select_one(".latest").has_attr("lang")
        home = soup_of(client.get("/", **CHINESE))
        assert home.select_one(".latest h1")["lang"] == "en"
        assert home.select_one(".latest .intro")["lang"] == "en"
        report = soup_of(client.get("/report/?issue=2&item=1.1", **ENGLISH))
        assert report.select_one(".report-target q[lang=zh-hans]").get_text() == "Reformer"


class TestNumbersSaidOnce:
    @pytest.mark.parametrize(
        ("title", "number", "carries"),
        [
            ("NLP简报 Issue #2: Reformer", 2, True),
            ("Issue 2", 2, True),
            ("No. 2 of the year", 2, True),
            ("第2期", 2, True),
            ("#12 things", 2, False),
            ("Issue #21", 2, False),
            ("Weekly", 2, False),
        ],
    )
    def test_title_carries_number(self, title, number, carries):
        assert title_carries_number(title, number) is carries
        assert numbered_title(title, number) == (title if carries else f"#{number} {title}")

    def test_page_title_archive_and_search(self, client, issues):
        soup = soup_of(client.get("/issues/2/"))
        assert soup.title.get_text() == "NLP简报 Issue #2 · Digest"
        assert soup.select_one(".issue-header .kicker") is None
        assert soup_of(client.get("/issues/3/")).title.get_text() == "#3 Weekly notes · Digest"
        archive = soup_of(client.get("/")).select(".archive-list li a")
        assert [a.get_text(" ", strip=True) for a in archive] == [
            "#3 Weekly notes", "NLP简报 Issue #2", "NLP简报 Issue #1: Meena"
        ]  # fmt: skip
        hits = soup_of(client.get("/search/?q=NLP简报")).select(".search-hit")
        assert [hit.get_text(" ", strip=True) for hit in hits][:1] == ["NLP简报 Issue #2"]

    def test_search_results_show_one_number_each(self, client, issues):
        soup = soup_of(client.get("/search/?q=Reformer"))
        for hit in soup.select(".search-hit"):
            title = hit.select_one(".hit-title")
            # The number sits outside the link, so the underline starts with the title.
            assert title.select_one("a").get_text() == title.get_text().split(" ", 1)[1]
            assert title.select_one(".num").get_text() == "1.1"


def test_a_reference_title_ending_in_a_question_mark_takes_no_colon(client):
    issue = make_issue(
        sections=[
            ("S", "", [("A", "[Can You Trust It?](https://a.example/) [B](https://b.example/)")])
        ]
    )
    soup = soup_of(client.get(issue.get_absolute_url()))
    lines = [li.get_text(" ", strip=True) for li in soup.select("ol.references > li")]
    assert lines[0].startswith("[1] Can You Trust It? https://a.example/")
    assert lines[1].startswith("[2] B : https://b.example/")


def test_section_and_item_headings_link_to_themselves(client):
    issue = make_issue(sections=[("S", "", [("A", "a"), ("B", "b")]), ("T", "", [("C", "c")])])
    soup = soup_of(client.get(issue.get_absolute_url()))
    links = [
        (a.parent.name, a["href"], a["aria-label"])
        for a in soup.select("h2 > a.heading-link, h3 > a.heading-link")
    ]
    assert links == [
        ("h2", "#section-1", "Link to section 1"),
        ("h3", "#item-1-1", "Link to item 1.1"),
        ("h3", "#item-1-2", "Link to item 1.2"),
        ("h2", "#section-2", "Link to section 2"),
        ("h3", "#item-2-1", "Link to item 2.1"),
    ]
