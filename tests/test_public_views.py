"""What readers get: home, issue pages, feeds, sitemap, and what stays hidden."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_big_issue, make_issue, make_user

pytestmark = pytest.mark.django_db


def soup_of(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


class TestIssuePage:
    def test_numbers_anchors_and_references(self, client):
        issue = make_issue(
            title="Weekly",
            language="zh-hans",
            sections=[
                (
                    "News",
                    "Intro [x](https://x.example)",
                    [("A", "[a](https://a.example)"), ("B", "")],
                ),
                ("More", "", [("C", "again [x](https://x.example)")]),
            ],
        )
        soup = soup_of(client.get(issue.get_absolute_url()))
        assert soup.html["lang"] == "zh-hans"
        assert soup.select_one("#toc-heading").get_text() == "目录"  # UI in the issue's language
        assert [s["id"] for s in soup.select("section.issue-section")] == ["section-1", "section-2"]
        assert [a["id"] for a in soup.select("article.item")] == [
            "item-1-1",
            "item-1-2",
            "item-2-1",
        ]
        assert [a["href"] for a in soup.select("nav.toc a")] == [
            "#section-1", "#item-1-1", "#item-1-2", "#section-2", "#item-2-1", "#references",
        ]  # fmt: skip
        refs = soup.select("ol.references > li")
        assert [li["id"] for li in refs] == ["ref-1", "ref-2"]
        assert refs[0].get_text(" ", strip=True).startswith("[1] x : https://x.example")
        backlinks = [a["href"] for a in refs[0].select(".backrefs a")]
        assert backlinks == ["#cite-1-1", "#cite-1-2"]
        for target in backlinks:
            assert soup.find(id=target.lstrip("#")) is not None

    def test_editor_title_replaces_link_text_in_reference_list(self, client):
        from issues.models import Reference
        from issues.services.issues import issues_render_citing

        issue = make_issue(sections=[("S", "", [("A", "[click here](https://p.example)")])])
        ref = Reference.objects.get()
        ref.title = "The paper"
        ref.save()
        issues_render_citing(reference=ref)
        soup = soup_of(client.get(issue.get_absolute_url()))
        assert soup.select_one("#ref-1 .ref-title").get_text() == "The paper"

    def test_previous_and_next_skip_drafts(self, client):
        first = make_issue(number=1)
        make_issue(number=2, published=False)
        third = make_issue(number=3)
        soup = soup_of(client.get(first.get_absolute_url()))
        assert soup.select_one("a[rel=next]")["href"] == third.get_absolute_url()
        assert soup.select_one("a[rel=prev]") is None
        soup = soup_of(client.get(third.get_absolute_url()))
        assert soup.select_one("a[rel=prev]")["href"] == first.get_absolute_url()
        assert soup.select_one("a[rel=next]") is None

    def test_unknown_issue_is_a_friendly_404(self, client):
        response = client.get("/issues/999/")
        assert response.status_code == 404
        assert b"This page does not exist" in response.content

    @pytest.mark.parametrize("items", [3, 300])
    def test_query_count_does_not_grow_with_items(self, client, settings, items):
        """Guards against an N+1 over sections, items or references on the issue page."""
        settings.DIGEST_PAGE_CACHE = False  # the view's own cost, not a cache hit's
        issue = make_big_issue(items=items, sections=10 if items > 3 else 3)
        with CaptureQueriesContext(connection) as queries:
            soup = soup_of(client.get(issue.get_absolute_url()))
        assert len(soup.select("article.item")) == items
        assert len(soup.select("ol.references > li")) == 2 * items
        assert len(queries) <= 5
        settings.DIGEST_PAGE_CACHE = True
        client.get(issue.get_absolute_url())
        with CaptureQueriesContext(connection) as cached:
            client.get(issue.get_absolute_url())
        assert len(cached) <= 1


class TestVisibility:
    def test_drafts_and_scheduled_are_404_to_the_public(self, client):
        draft = make_issue(number=5, published=False)
        scheduled = make_issue(number=6, published_at=timezone.now() + datetime.timedelta(days=1))
        for issue in (draft, scheduled):
            assert client.get(issue.get_absolute_url()).status_code == 404
        assert b"#5" not in client.get("/").content
        assert b"/issues/6/" not in client.get("/feed/").content
        assert b"/issues/5/" not in client.get("/sitemap.xml").content

    def test_staff_preview_is_never_cached_and_not_indexed(self, client):
        draft = make_issue(number=5, published=False, title="Secret draft")
        client.force_login(make_user("boss", superuser=True))
        response = client.get(draft.get_absolute_url())
        assert response.status_code == 200
        assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
        soup = BeautifulSoup(response.content, "html.parser")
        assert soup.find("meta", attrs={"name": "robots"})["content"].startswith("noindex")
        assert "Preview of a draft" in soup.get_text()

    def test_staff_without_view_permission_get_404(self, client):
        draft = make_issue(number=5, published=False)
        client.force_login(make_user("clerk", staff=True))
        assert client.get(draft.get_absolute_url()).status_code == 404

    def test_scheduled_issue_appears_when_its_time_comes(self, client):
        issue = make_issue(number=8, published_at=timezone.now() + datetime.timedelta(hours=1))
        assert client.get(issue.get_absolute_url()).status_code == 404
        issue.published_at = timezone.now() - datetime.timedelta(seconds=1)
        issue.save()
        assert client.get(issue.get_absolute_url()).status_code == 200


class TestHome:
    def test_empty_site_says_so(self, client):
        assert "No issues yet" in soup_of(client.get("/")).get_text()

    def test_chinese_readers_get_chinese_ui(self, client):
        soup = soup_of(client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9"))
        assert "还没有任何一期" in soup.get_text()

    def test_latest_issue_and_archive(self, client):
        make_issue(number=1, title="Old one")
        make_issue(number=2, title="New one", intro="Hello [x](https://x.example)")
        soup = soup_of(client.get("/"))
        assert soup.select_one(".latest h1").get_text() == "New one"
        assert soup.select_one(".latest sup.citation a")["href"] == "/issues/2/#ref-1"
        assert [a.get_text(" ", strip=True) for a in soup.select(".archive-list a")] == [
            "#2 New one",
            "#1 Old one",
        ]

    def test_archive_is_paginated(self, client, settings):
        settings.ARCHIVE_PAGE_SIZE = 2
        for number in range(1, 6):
            make_issue(number=number)
        page3 = soup_of(client.get("/?page=3"))
        assert [a.get_text(" ", strip=True)[:2] for a in page3.select(".archive-list a")] == ["#1"]
        assert client.get("/?page=abc").status_code == 404  # tests/test_caching.py has more

    def test_home_query_count_is_flat(self, client):
        for number in range(1, 30):
            make_issue(number=number, render=False)
        with CaptureQueriesContext(connection) as queries:
            client.get("/")
        assert len(queries) <= 3


class TestFeeds:
    def test_rss_has_full_content_and_references(self, client):
        make_issue(number=4, sections=[("S", "", [("A", "[a](https://a.example)")])])
        response = client.get("/feed/")
        assert response.status_code == 200
        root = ET.fromstring(response.content)
        item = root.find("channel/item")
        assert item.find("link").text.endswith("/issues/4/")
        content = BeautifulSoup(item.find("description").text, "html.parser")
        assert content.select_one("#ref-1 .ref-url")["href"] == "https://a.example"

    def test_atom_feed_parses(self, client):
        make_issue(number=4)
        response = client.get("/feed/atom/")
        root = ET.fromstring(response.content)
        ns = {"a": "http://www.w3.org/2005/Atom"}
        assert root.find("a:entry/a:title", ns).text.startswith("#4")

    def test_sitemap_lists_published_issues(self, client):
        make_issue(number=4)
        root = ET.fromstring(client.get("/sitemap.xml").content)
        ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
        locs = [loc.text for loc in root.findall("s:url/s:loc", ns)]
        assert any(loc.endswith("/issues/4/") for loc in locs)
