"""The public page cache: hits cost one query, and every change shows on the very next request."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from issues.models import Issue, Item
from issues.services.issues import issue_publish, issue_render, issue_to_draft
from tests.factories import make_big_issue, make_issue, make_user

pytestmark = pytest.mark.django_db

PAGES = ["/", "/issues/1/", "/feed/", "/feed/atom/", "/sitemap.xml"]


def cache_size():
    """Entries in the local-memory cache (the tests' cache)."""
    from django.core.cache import cache

    return len(cache._cache)


def queries_for(client, url, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    return response, len(queries)


class TestHits:
    @pytest.mark.parametrize("url", PAGES)
    def test_a_cached_page_costs_one_query(self, client, url):
        """The one query is the site state the key is made of; nothing else is read."""
        make_issue(number=1, sections=[("S", "", [("A", "[a](https://a.example)")])])
        first, cold = queries_for(client, url)
        second, warm = queries_for(client, url)
        assert first.status_code == second.status_code == 200
        assert second.content == first.content
        assert warm == 1 < cold

    def test_made_up_query_strings_are_not_cached(self, client):
        from django.core.cache import cache

        make_issue(number=1)
        client.get("/issues/1/")
        keys_before = len(getattr(cache, "_cache", {}))
        for n in range(5):
            assert client.get(f"/issues/1/?x={n}").status_code == 200
        assert len(getattr(cache, "_cache", {})) == keys_before

    def test_page_numbers_are_cached_on_the_home_page_only(self, client, settings):
        settings.ARCHIVE_PAGE_SIZE = 1
        make_issue(number=1)
        make_issue(number=2)
        assert client.get("/?page=2").status_code == 200
        assert queries_for(client, "/?page=2")[1] == 1
        keys = cache_size()
        for _ in range(3):
            assert client.get("/issues/1/?page=abc").status_code == 200
            assert client.get("/issues/1/?page=2").status_code == 200
        assert cache_size() == keys

    @pytest.mark.parametrize("page", ["abc", "0", "-1", "3", "99999999999999999999", "1.5", "01"])
    def test_an_invalid_or_out_of_range_archive_page_is_a_404(self, client, settings, page):
        settings.ARCHIVE_PAGE_SIZE = 1
        make_issue(number=1)
        make_issue(number=2)
        client.get("/")
        keys = cache_size()
        assert client.get(f"/?page={page}").status_code == 404
        assert cache_size() == keys

    def test_junk_requests_leave_the_real_pages_cached(self, client):
        """400 made-up query strings once pushed the real pages out of the local-memory cache."""
        make_issue(number=1)
        make_issue(number=2)
        real = ["/", "/issues/1/", "/issues/2/", "/feed/"]
        for url in real:
            client.get(url)
        keys = cache_size()
        junk = [
            f"/issues/{1 + n % 2}/?page={v}" for n, v in enumerate(("abc", "2", "x y", "1") * 25)
        ]
        junk += [f"/?page={v}" for v in range(3, 103)] + [f"/?page=abc{n}" for n in range(100)]
        junk += [f"/?page=1{'&' * n}" for n in range(1, 51)] + [f"/?x={n}" for n in range(50)]
        assert len(junk) == 400
        for url in junk:
            assert client.get(url).status_code in (200, 404), url
        assert cache_size() == keys
        for url in real:
            assert queries_for(client, url)[1] == 1, url

    def test_a_big_issue_is_served_from_the_cache_too(self, client):
        issue = make_big_issue(items=300, sections=20, number=1)
        client.get(issue.get_absolute_url())
        response, count = queries_for(client, issue.get_absolute_url())
        assert count == 1
        assert response.content.count(b'class="item"') == 300

    def test_switched_off_every_request_renders(self, client, settings):
        settings.DIGEST_PAGE_CACHE = False
        make_issue(number=1)
        client.get("/issues/1/")
        with CaptureQueriesContext(connection) as queries:
            client.get("/issues/1/")
        # The view's own query (the issue and its neighbours), not a cache hit's fingerprint.
        assert len(queries) == 1 and "WHERE i.number = " in queries[0]["sql"]

    def test_languages_are_cached_apart(self, client):
        make_issue(number=1)
        english = client.get("/issues/1/").content
        chinese = client.get("/issues/1/", HTTP_ACCEPT_LANGUAGE="zh-CN").content
        assert english != chinese
        assert client.get("/issues/1/").content == english


class TestNextRequest:
    def test_an_edit_shows(self, client):
        issue = make_issue(number=1, sections=[("S", "", [("Old title", "")])])
        assert b"Old title" in client.get("/issues/1/").content
        Item.objects.filter(section__issue=issue).update(title="New title")
        issue_render(issue=issue)
        content = client.get("/issues/1/").content
        assert b"New title" in content and b"Old title" not in content

    def test_a_publish_shows_everywhere(self, client):
        make_issue(number=1)
        draft = make_issue(number=2, published=False, title="Fresh news")
        before = {url: client.get(url).content for url in PAGES}
        assert client.get("/issues/2/").status_code == 404
        issue_publish(issue=draft)
        assert client.get("/issues/2/").status_code == 200
        for url in PAGES:
            assert client.get(url).content != before[url], url
        assert b"/issues/2/" in client.get("/feed/").content

    def test_an_unpublish_shows(self, client):
        issue = make_issue(number=1)
        assert client.get("/issues/1/").status_code == 200
        issue_to_draft(issue=issue)
        assert client.get("/issues/1/").status_code == 404
        assert b"/issues/1/" not in client.get("/").content

    def test_a_scheduled_time_passing_shows(self, client):
        make_issue(number=1)
        scheduled = make_issue(
            number=2, title="Tomorrow", published_at=timezone.now() + datetime.timedelta(days=1)
        )
        assert b"Tomorrow" not in client.get("/").content
        assert b"Tomorrow" not in client.get("/issues/1/").content  # no "next" link yet
        # Time passing changes nothing in the row, sends no signal and calls no service.
        Issue.objects.filter(pk=scheduled.pk).update(
            published_at=timezone.now() - datetime.timedelta(seconds=1)
        )
        assert b"Tomorrow" in client.get("/").content
        assert b"Tomorrow" in client.get("/issues/1/").content
        assert client.get("/issues/2/").status_code == 200

    def test_a_deleted_issue_goes(self, client):
        make_issue(number=1)
        issue = make_issue(number=2)
        assert b"/issues/2/" in client.get("/").content
        issue.delete()
        assert b"/issues/2/" not in client.get("/").content

    @pytest.mark.django_db(transaction=True)
    def test_public_pages_changed_forgets_pages_that_no_row_explains(self, client):
        """Moderation may change what readers see without touching an issue row."""
        from issues.services.pages import public_pages_changed

        make_issue(number=1)
        client.get("/issues/1/")
        assert queries_for(client, "/issues/1/")[1] == 1
        public_pages_changed()  # outside a transaction: at once
        assert queries_for(client, "/issues/1/")[1] > 1

    def test_one_save_forgets_the_pages_once(self, django_capture_on_commit_callbacks):
        """An issue saved with its sections and items queues one reset, not one per row."""
        from issues.services.pages import _forget_pages

        with django_capture_on_commit_callbacks() as callbacks:
            make_issue(number=1, sections=[("S", "", [("A", ""), ("B", "")]), ("T", "", [])])
        assert callbacks.count(_forget_pages) == 1


class TestStaff:
    def test_staff_neither_read_nor_fill_the_cache(self, client):
        make_issue(number=1)
        client.force_login(make_user("boss", superuser=True))
        client.get("/issues/1/")
        client.logout()
        assert queries_for(client, "/issues/1/")[1] > 1  # the anonymous visit still missed

    def test_a_staff_preview_never_reaches_readers(self, client):
        make_issue(number=5, published=False, title="Secret draft")
        client.force_login(make_user("boss", superuser=True))
        assert b"Secret draft" in client.get("/issues/5/").content
        client.logout()
        assert client.get("/issues/5/").status_code == 404
        assert b"Secret draft" not in client.get("/").content


class TestConditionalRequests:
    @pytest.mark.parametrize("url", PAGES)
    def test_etag_gives_304_until_a_change(self, client, url):
        make_issue(number=1)
        etag = client.get(url)["ETag"]
        not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert not_modified.status_code == 304
        assert not_modified.content == b""
        issue_publish(issue=make_issue(number=2, published=False))  # changes every page
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200

    def test_last_modified_gives_304_until_a_publication(self, client):
        an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
        make_issue(number=1)
        Issue.objects.update(updated_at=an_hour_ago, published_at=an_hour_ago)
        last_modified = client.get("/")["Last-Modified"]
        assert client.get("/", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
        scheduled = make_issue(number=2, published_at=timezone.now() + datetime.timedelta(days=1))
        Issue.objects.filter(pk=scheduled.pk).update(published_at=timezone.now())
        assert client.get("/", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 200

    def test_a_change_in_the_same_second_is_not_a_304(self, client):
        make_issue(number=1)
        last_modified = client.get("/")["Last-Modified"]
        issue_publish(issue=make_issue(number=2, published=False))
        assert client.get("/", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 200

    def test_pages_ask_browsers_to_revalidate(self, client):
        make_issue(number=1)
        cache_control = client.get("/issues/1/")["Cache-Control"]
        assert "no-cache" in cache_control and "public" in cache_control


class TestPageFiles:
    """HTML files for nginx: written only when nothing can change them without a write."""

    @pytest.fixture
    def pages(self, settings, tmp_path):
        settings.DIGEST_PAGE_DIR = str(tmp_path)
        return tmp_path / "current"

    @pytest.mark.django_db(transaction=True)
    def test_written_on_a_miss_and_forgotten_on_a_change(self, client, pages):
        from issues.services.pages import public_pages_changed

        make_issue(number=1, title="On disk")
        body = client.get("/issues/1/").content
        assert (pages / "en" / "issues" / "1" / "index.html").read_bytes() == body
        client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
        assert (pages / "zh-hans" / "index.html").exists()
        public_pages_changed()  # outside a transaction: at once
        assert not (pages / "en" / "issues" / "1" / "index.html").exists()
        assert [p.name for p in pages.parent.iterdir() if p.name.startswith("g")] == [
            pages.resolve().name
        ]

    def test_not_written_while_an_issue_is_scheduled(self, client, pages):
        make_issue(number=1)
        make_issue(number=2, published_at=timezone.now() + datetime.timedelta(hours=1))
        assert client.get("/issues/1/").status_code == 200
        assert not (pages / "en" / "issues" / "1" / "index.html").exists()

    def test_not_written_for_query_strings_cookies_or_feeds(self, client, pages):
        make_issue(number=1)
        client.get("/?page=1")
        client.get("/sitemap.xml")
        client.get("/feed/")
        client.cookies["something"] = "1"
        client.get("/issues/1/")
        assert [p for p in pages.rglob("*") if p.is_file()] == []
