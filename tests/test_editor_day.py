"""The editor's day (issue 13): nothing surprising, nothing lost."""

import datetime
import re

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from issues.models import Item
from issues.services.issues import PublishRefused, issue_publish, issue_to_draft
from issues.services.moderation import issue_reinstate, issue_withdraw, item_unpublish
from tests.factories import make_issue, make_user
from tests.support.admin_forms import form_data

pytestmark = pytest.mark.django_db

# Microseconds on purpose: the admin's widgets show whole seconds.
ORIGINAL = datetime.datetime(2026, 3, 2, 9, 15, 40, 718000, tzinfo=datetime.UTC)


def change_url(issue):
    return reverse("admin:issues_issue_change", args=[issue.pk])


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture
def editor():
    return make_user("editor", staff=True, groups=["Editors"])


@pytest.fixture
def moderator():
    return make_user("moderator", staff=True, groups=["Moderators"])


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def published():
    return make_issue(
        number=10,
        title="Weekly",
        published_at=ORIGINAL,
        sections=[("News", "", [("Paper A", "[a](https://a.example)"), ("Paper B", "b")])],
    )


@pytest.fixture
def withdrawn(published, moderator):
    issue_withdraw(issue=published, actor=moderator, reason="Legal request")
    published.refresh_from_db()
    return published


class TestWithdrawnIssues:
    def test_the_service_refuses_to_publish_or_draft_a_withdrawn_issue(self, withdrawn):
        with pytest.raises(PublishRefused, match="withdrawn by the moderators"):
            issue_publish(issue=withdrawn)
        with pytest.raises(PublishRefused, match="withdrawn by the moderators"):
            issue_to_draft(issue=withdrawn)
        withdrawn.refresh_from_db()
        assert withdrawn.published_at == ORIGINAL and withdrawn.status == "withdrawn"

    def test_publishing_a_published_issue_keeps_its_date(self, published):
        issue_publish(issue=published)
        published.refresh_from_db()
        assert published.published_at == ORIGINAL

    def test_publish_now_is_refused_with_a_message_and_the_date_survives(
        self, editor_client, withdrawn, moderator
    ):
        response = editor_client.post(
            reverse("admin:issues_issue_publish", args=[withdrawn.pk]), follow=True
        )
        messages = [m.get_text() for m in soup_of(response).select(".messagelist .error")]
        assert any("only they can release it" in m for m in messages), messages
        assert not soup_of(response).select(".messagelist .success")
        issue_reinstate(issue=withdrawn, actor=moderator)
        withdrawn.refresh_from_db()
        assert withdrawn.published_at == ORIGINAL and withdrawn.status == "published"

    def test_the_panel_disables_publish_now_and_says_why(self, editor_client, withdrawn):
        soup = soup_of(editor_client.get(change_url(withdrawn)))
        button = soup.find("button", string="Publish now")
        assert button.has_attr("disabled")
        why = soup.find(id=button["aria-describedby"]).get_text()
        assert "Only the moderators can release a withdrawn issue" in why
        note = soup.select_one(".withdrawn-note").get_text()
        assert "moderator" in note and "Legal request" in note
        assert not soup.find(
            "form", action=reverse("admin:issues_issue_publish", args=[withdrawn.pk])
        )

    def test_the_form_refuses_a_new_date_for_a_withdrawn_issue(self, editor_client, withdrawn):
        data = form_data(editor_client.get(change_url(withdrawn)))
        data["published_at_0"], data["published_at_1"] = "2026-11-01", "08:00:00"
        response = editor_client.post(change_url(withdrawn), data)
        assert response.status_code == 200
        errors = soup_of(response).select(".field-published_at .errorlist")
        assert "only they can release it" in errors[0].get_text()
        withdrawn.refresh_from_db()
        assert withdrawn.published_at == ORIGINAL

    def test_saving_the_form_keeps_the_date_to_the_microsecond(self, editor_client, withdrawn):
        data = form_data(editor_client.get(change_url(withdrawn)))
        data["title"] = "Weekly, corrected"
        assert editor_client.post(change_url(withdrawn), data).status_code == 302
        withdrawn.refresh_from_db()
        assert withdrawn.title == "Weekly, corrected" and withdrawn.published_at == ORIGINAL


class TestRemovedItems:
    def test_the_item_and_the_panel_say_who_removed_it_when_and_why(
        self, editor_client, published, moderator
    ):
        item_unpublish(item=Item.objects.get(title="Paper B"), actor=moderator, reason="Spam link")
        soup = soup_of(editor_client.get(change_url(published)))
        notes = [n.get_text(" ", strip=True) for n in soup.select(".removed-by-moderators")]
        # One on the item's form, one in the panel's contents.
        assert len(notes) == 2, notes
        year = str(timezone.now().year)
        for note in notes:
            assert "moderator" in note and "Spam link" in note and year in note, note
        on_form = soup.select_one("fieldset .removed-by-moderators").find_parent("fieldset")
        assert on_form.select_one("input[name$='-title']")["value"] == "Paper B"
        panel = soup.select_one(".panel-toc").get_text(" ", strip=True)
        assert re.search(r"1\.2 Paper B Removed by the moderators \(moderator, ", panel), panel


class TestSmallThings:
    def test_moderators_are_not_offered_a_share_link_they_cannot_create(
        self, client, moderator, published
    ):
        client.force_login(moderator)
        soup = soup_of(client.get(change_url(published)))
        share = reverse("admin:issues_issue_share", args=[published.pk])
        assert not soup.find("form", action=share)
        assert "Editors create and revoke share links." in soup.get_text()

    def test_editors_still_are(self, editor_client, published):
        soup = soup_of(editor_client.get(change_url(published)))
        assert soup.find("form", action=reverse("admin:issues_issue_share", args=[published.pk]))

    def test_previews_of_a_draft_have_no_report_links(self, editor_client, client, published):
        draft = make_issue(number=11, published=False, sections=[("S", "", [("A", "a")])])
        editor_client.post(reverse("admin:issues_issue_share", args=[draft.pk]))
        draft.refresh_from_db()
        shared = client.get(reverse("issues:shared-preview", args=[draft.share_token]))
        assert shared.status_code == 200 and not soup_of(shared).select(".report-link")
        staff_preview = editor_client.get(draft.get_absolute_url())
        assert staff_preview.status_code == 200 and not soup_of(staff_preview).select(
            ".report-link"
        )
        assert soup_of(client.get(published.get_absolute_url())).select(".report-link")

    def test_restoring_asks_first(self, editor_client, published):
        data = form_data(editor_client.get(change_url(published)))
        data["title"] = "Second title"
        assert editor_client.post(change_url(published), data).status_code == 302
        data = form_data(editor_client.get(change_url(published)))
        data["title"] = "Third title"
        assert editor_client.post(change_url(published), data).status_code == 302
        older = Version.objects.get_for_object(published).last()
        url = reverse("admin:issues_issue_restore", args=[published.pk, older.pk])
        listing = soup_of(
            editor_client.get(reverse("admin:issues_issue_revisions", args=[published.pk]))
        )
        assert listing.find("a", href=url)
        ask = editor_client.get(url)
        assert ask.status_code == 200 and soup_of(ask).find("form", action=url, method="post")
        published.refresh_from_db()
        assert published.title == "Third title"
        assert editor_client.post(url).status_code == 302
        published.refresh_from_db()
        assert published.title == "Second title"

    def test_a_save_without_changes_records_nothing(self, editor_client, published):
        data = form_data(editor_client.get(change_url(published)))
        assert editor_client.post(change_url(published), data).status_code == 302
        published.refresh_from_db()
        assert published.edit_version == 0
        assert not Version.objects.get_for_object(published).exists()
        # A real change still does.
        data["sections-0-items-1-body"] = "Changed."
        assert editor_client.post(change_url(published), data).status_code == 302
        published.refresh_from_db()
        assert published.edit_version == 1
        assert Version.objects.get_for_object(published).count() == 1

    def test_the_comparison_shows_no_spurious_date_change(self, editor_client):
        issue = make_issue(number=11, published=False, sections=[("S", "", [("A", "a")])])
        editor_client.post(reverse("admin:issues_issue_publish", args=[issue.pk]))
        data = form_data(editor_client.get(change_url(issue)))
        data["title"] = "Retitled"
        assert editor_client.post(change_url(issue), data).status_code == 302
        newer, older = Version.objects.get_for_object(issue)
        compare = editor_client.get(
            reverse("admin:issues_issue_compare", args=[issue.pk]), {"a": older.pk, "b": newer.pk}
        )
        changed = [
            row.get_text(" ", strip=True)
            for row in soup_of(compare).select("table.diff tr")
            if row.select(".diff_chg, .diff_add, .diff_sub")
        ]
        assert changed and all("date" not in row for row in changed), changed

    def test_a_scheduled_time_does_not_end_in_two_periods(self, editor_client):
        at = timezone.now().replace(hour=2, minute=58) + datetime.timedelta(days=3)
        issue = make_issue(number=12, published_at=at)
        text = soup_of(editor_client.get(change_url(issue))).select_one(".digest-panel").get_text()
        assert "a.m." in text and ".." not in text
        banner = soup_of(editor_client.get(issue.get_absolute_url())).select_one(".preview-banner")
        assert "a.m." in banner.get_text() and ".." not in banner.get_text()

    def test_the_queue_names_the_item_by_its_number(self, client, moderator, published):
        from issues.services.moderation import report_create

        item = Item.objects.get(title="Paper B")
        report_create(
            issue=published, item=item, reason="spam", note="", contact_email="", client="x"
        )
        client.force_login(moderator)
        text = soup_of(client.get("/admin/issues/report/")).get_text(" ", strip=True)
        assert "Item 1.2 “Paper B” in issue #10" in text


class TestBigIssues:
    def test_change_page_queries_do_not_grow_with_items(
        self, editor_client, django_assert_num_queries
    ):
        """Guards the change page (form, inlines, panel, removals) against an N+1 over items."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from tests.factories import make_big_issue

        small = make_big_issue(items=3, number=30, published=False)
        big = make_big_issue(items=60, number=31, published=False)
        for issue in (small, big):
            editor_client.get(change_url(issue))  # the panel is kept after the first view
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.get(change_url(small)).status_code == 200
        with django_assert_num_queries(len(queries)):
            assert editor_client.get(change_url(big)).status_code == 200

    def test_the_panel_is_computed_when_saved_not_when_viewed(self, editor_client):
        from django.core.cache import cache

        issue = make_issue(number=32, published=False, sections=[("S", "", [("A", "a")])])
        data = form_data(editor_client.get(change_url(issue)))
        data["sections-0-items-0-body"] = "[bad](ftp://files)"
        assert editor_client.post(change_url(issue), data).status_code == 302
        issue.refresh_from_db()
        from issues.selectors.review import _panel_key

        kept = cache.get(_panel_key(issue))  # computed by the save, for the state it saved
        assert kept is not None and "ftp://files" in kept.checks[0].message
        soup = soup_of(editor_client.get(change_url(issue)))
        assert "ftp://files" in soup.select_one(".checks").get_text()
        assert soup.find("a", class_="toc-link", href="#sections-0-items-0")

    def test_a_big_issue_can_be_saved(self, editor_client):
        """300 items post about 1,900 fields: more than Django's default limit of 1,000."""
        from tests.factories import make_big_issue

        issue = make_big_issue(items=300, sections=20, number=33, published=False)
        data = form_data(editor_client.get(change_url(issue)))
        assert len(data) > 1000
        data["intro"] = "Saved at size."
        assert editor_client.post(change_url(issue), data).status_code == 302
        issue.refresh_from_db()
        assert issue.intro == "Saved at size."
