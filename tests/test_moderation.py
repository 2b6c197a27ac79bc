"""Readers report, moderators unpublish: permissions, limits, tombstones, 410 and the log."""

import re

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.test import Client
from django.urls import reverse

from issues.formats.exports import export_issue
from issues.models import Issue, Item, ModerationAction, Report
from tests.factories import make_issue, make_user

pytestmark = pytest.mark.django_db

QUEUE = "/admin/issues/report/"


def act(action):
    """The queue's URL for one moderation action: unpublish, republish or dismiss."""
    return f"/admin/issues/report/{action}/"


@pytest.fixture
def issue():
    return make_issue(
        number=5,
        sections=[
            (
                "News",
                "",
                [
                    ("First", "[a](https://a.example) and [shared](https://shared.example)"),
                    (
                        "Second",
                        "[only here](https://only.example) [shared](https://shared.example)",
                    ),
                    ("Third", "[c](https://c.example)"),
                ],
            ),
            ("More", "", [("Fourth", "[d](https://d.example)")]),
        ],
    )


@pytest.fixture
def second(issue):
    return Item.objects.get(title="Second")


@pytest.fixture
def moderator():
    return make_user("moderator", staff=True, groups=["Moderators"], email="mod@example.org")


def report_data(issue, item=None, **overrides):
    number = f"{item.section.position}.{item.position}" if item else ""
    data = {"issue": issue.number, "item": number, "reason": "spam", "note": ""}
    data.update(overrides)
    return data


def numbers(client, issue):
    """Item numbers by title, and reference numbers by URL, as the page shows them."""
    soup = BeautifulSoup(client.get(issue.get_absolute_url()).content, "html.parser")
    items = {}
    for heading in soup.select("article.item h3"):
        number = heading.select_one(".num").get_text()
        items[number] = heading.get_text(" ", strip=True)
    refs = {
        li["id"]: (li.select_one(".ref-url").get_text() if li.select_one(".ref-url") else "removed")
        for li in soup.select("ol.references > li")
    }
    return items, refs, soup


class TestReporting:
    def test_report_page_names_the_target(self, client, issue, second):
        response = client.get(reverse("issues:report"), {"issue": 5, "item": "1.2"})
        assert response.status_code == 200
        assert "“Second” in issue #5" in BeautifulSoup(response.content, "html.parser").get_text()

    def test_each_item_and_issue_has_a_report_link(self, client, issue, second):
        soup = BeautifulSoup(client.get(issue.get_absolute_url()).content, "html.parser")
        links = [a["href"] for a in soup.select("a[href*='/report/']")]
        assert "/report/?issue=5&item=1.2" in links
        assert "/report/?issue=5" in links

    def test_unknown_target_on_get_is_404(self, client, issue):
        assert client.get(reverse("issues:report"), {"issue": 5, "item": "9.9"}).status_code == 404
        assert client.get(reverse("issues:report"), {"issue": "x"}).status_code == 404

    def test_valid_report_is_stored_with_a_hashed_address(self, client, issue, second):
        response = client.post(
            reverse("issues:report"),
            report_data(issue, second, note="Spam link", contact_email="r@example.org"),
            REMOTE_ADDR="203.0.113.9",
        )
        assert response.status_code == 302 and response["Location"].endswith("/report/thanks/")
        report = Report.objects.get()
        assert (report.item, report.reason, report.note) == (second, "spam", "Spam link")
        assert "203.0.113.9" not in report.client_hash and len(report.client_hash) == 40
        assert client.get(response["Location"]).status_code == 200

    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            ({"reason": "boring"}, "reason", "Select a valid choice"),
            ({"note": "x" * 1001}, "note", "at most 1000 characters"),
            ({"contact_email": "not-an-email"}, "contact_email", "valid email"),
            ({"item": "7.1"}, "item", "does not exist in this issue"),
            ({"item": "abc"}, "item", "does not exist in this issue"),
            ({"item": "1.99999999999999999999"}, "item", "does not exist in this issue"),
            ({"issue": "77"}, "issue", "no published issue"),
        ],
    )
    def test_bad_input_gets_the_form_back_with_the_error(
        self, client, issue, second, change, field, message
    ):
        response = client.post(reverse("issues:report"), {**report_data(issue, second), **change})
        assert response.status_code == 400
        assert message in response.content.decode()
        assert Report.objects.count() == 0

    def test_csrf_is_required(self, issue):
        response = Client(enforce_csrf_checks=True).post(
            reverse("issues:report"), report_data(issue)
        )
        assert response.status_code == 403
        assert Report.objects.count() == 0

    def test_honeypot_is_thanked_but_not_stored(self, client, issue):
        response = client.post(reverse("issues:report"), report_data(issue, website="http://spam"))
        assert response.status_code == 302
        assert Report.objects.count() == 0

    def test_rate_limit_answers_429_per_client(self, client, issue, settings):
        settings.DIGEST_REPORTS_PER_HOUR = 3
        for _ in range(3):
            assert (
                client.post(
                    reverse("issues:report"), report_data(issue), REMOTE_ADDR="198.51.100.1"
                ).status_code
                == 302
            )
        response = client.post(
            reverse("issues:report"), report_data(issue), REMOTE_ADDR="198.51.100.1"
        )
        assert response.status_code == 429
        assert "Too many reports" in response.content.decode()
        assert (
            client.post(
                reverse("issues:report"), report_data(issue), REMOTE_ADDR="198.51.100.2"
            ).status_code
            == 302
        )
        assert Report.objects.count() == 4

    def test_moderators_get_one_email_per_target_per_hour(
        self, client, issue, second, moderator, django_capture_on_commit_callbacks
    ):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                client.post(reverse("issues:report"), report_data(issue, second))
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["mod@example.org"]
        assert "Second" in mail.outbox[0].subject
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("issues:report"), report_data(issue))
        assert len(mail.outbox) == 2

    def test_a_mail_server_that_is_down_loses_no_report(
        self, client, issue, second, moderator, settings, django_capture_on_commit_callbacks
    ):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("issues:report"), report_data(issue, second))
        assert response.status_code == 302
        report = Report.objects.get()
        assert report.notified_at is None  # so the next report tries again

    def test_auto_hide_after_reports_from_distinct_clients(self, client, issue, second, settings):
        settings.DIGEST_AUTO_HIDE_AFTER_REPORTS = 2
        client.post(reverse("issues:report"), report_data(issue, second), REMOTE_ADDR="192.0.2.1")
        client.post(reverse("issues:report"), report_data(issue, second), REMOTE_ADDR="192.0.2.1")
        second.refresh_from_db()
        assert not second.is_removed  # one client twice is not two clients
        client.post(reverse("issues:report"), report_data(issue, second), REMOTE_ADDR="192.0.2.2")
        second.refresh_from_db()
        assert second.is_removed
        log = ModerationAction.objects.get()
        assert (log.action, log.actor) == ("hide_item", None)

    def test_auto_hide_is_off_by_default(self, client, issue, second):
        for n in range(4):
            client.post(
                reverse("issues:report"), report_data(issue, second), REMOTE_ADDR=f"192.0.2.{n}"
            )
        second.refresh_from_db()
        assert not second.is_removed


class TestPermissionMatrix:
    """Every moderation view and action × anonymous, editor, moderator, superuser."""

    @pytest.fixture
    def users(self):
        return {
            "anonymous": None,
            "editor": make_user("editor", staff=True, groups=["Editors"]),
            "moderator": make_user("moderator", staff=True, groups=["Moderators"]),
            "superuser": make_user("root", superuser=True),
        }

    @pytest.mark.parametrize(
        ("role", "expected"),
        [("anonymous", 302), ("editor", 403), ("moderator", 200), ("superuser", 200)],
    )
    def test_queue(self, client, users, role, expected, issue):
        if users[role]:
            client.force_login(users[role])
        response = client.get(QUEUE)
        assert response.status_code == expected
        if expected == 302:
            assert "/admin/login/" in response["Location"]

    @pytest.mark.parametrize("action", ["unpublish", "dismiss", "republish"])
    @pytest.mark.parametrize(
        ("role", "allowed"),
        [("anonymous", False), ("editor", False), ("moderator", True), ("superuser", True)],
    )
    def test_actions(self, client, users, issue, second, role, allowed, action):
        Report.objects.create(issue=issue, item=second, reason="spam", client_hash="x")
        if action == "republish":
            from issues.services.moderation import item_unpublish

            item_unpublish(item=second, actor=None, reason="setup")
            ModerationAction.objects.all().delete()
        before = (
            list(Item.objects.values_list("removed_at", flat=True)),
            list(Report.objects.values_list("status", flat=True)),
        )
        if users[role]:
            client.force_login(users[role])
        response = client.post(
            act(action), {"issue": issue.pk, "item": second.pk, "reason": "Rule 3"}
        )
        after = (
            list(Item.objects.values_list("removed_at", flat=True)),
            list(Report.objects.values_list("status", flat=True)),
        )
        if allowed:
            assert response.status_code == 302
            assert ModerationAction.objects.count() == 1
        else:
            assert response.status_code in (302, 403)
            if response.status_code == 302:
                assert "/admin/login/" in response["Location"]
            assert after == before
            assert ModerationAction.objects.count() == 0

    def test_moderator_cannot_edit_content_or_publish(self, client, users, issue):
        client.force_login(users["moderator"])
        url = reverse("admin:issues_issue_change", args=[issue.pk])
        assert client.get(url).status_code == 200  # may view
        assert client.post(url, {"title": "Changed"}).status_code == 403
        draft = make_issue(number=6, published=False)
        assert (
            client.post(reverse("admin:issues_issue_publish", args=[draft.pk])).status_code == 403
        )
        assert client.get("/admin/auth/user/").status_code == 403
        issue.refresh_from_db()
        draft.refresh_from_db()
        assert issue.title != "Changed" and draft.status == "draft"

    def test_log_is_read_only_and_only_superuser_deletes(self, client, users, issue, second):
        from issues.services.moderation import item_unpublish

        entry = item_unpublish(item=second, actor=users["moderator"], reason="Spam")
        delete = reverse("admin:issues_moderationaction_delete", args=[entry.pk])
        change = reverse("admin:issues_moderationaction_change", args=[entry.pk])
        for role in ("editor", "moderator"):
            client.force_login(users[role])
            assert client.post(delete, {"post": "yes"}).status_code == 403
            assert client.post(change, {"reason": "edited"}).status_code == 403
        assert ModerationAction.objects.filter(reason="Spam").count() == 1
        client.force_login(users["superuser"])
        assert client.post(delete, {"post": "yes"}).status_code == 302
        assert ModerationAction.objects.count() == 0


class TestUnpublishing:
    def test_tombstone_keeps_every_other_number(self, client, issue, second, moderator):
        items_before, refs_before, _ = numbers(client, issue)
        html_before = Issue.objects.get(pk=issue.pk).rendered_html
        client.force_login(moderator)
        client.post(act("unpublish"), {"issue": issue.pk, "item": second.pk, "reason": "Spam"})
        client.logout()
        items_after, refs_after, soup = numbers(client, issue)
        assert items_after.keys() == items_before.keys()
        assert re.match(r"1\.2 — removed by the moderators on ", items_after["1.2"])
        for number in ("1.1", "1.3", "2.1"):
            assert items_after[number] == items_before[number]
        assert refs_after["ref-3"] == "removed"  # cited only by the removed item
        assert refs_after["ref-2"] == refs_before["ref-2"]  # also cited by a live item
        assert {k: v for k, v in refs_after.items() if k != "ref-3"} == {
            k: v for k, v in refs_before.items() if k != "ref-3"
        }
        assert "only.example" not in client.get(issue.get_absolute_url()).content.decode()
        assert "Second" not in client.get("/feed/").content.decode()
        for fmt in ("email", "wechat", "text", "markdown"):
            assert "only.example" not in export_issue(issue=issue, fmt=fmt)
        # Republishing restores exactly what was there.
        client.force_login(moderator)
        client.post(
            act("republish"),
            {
                "issue": issue.pk,
                "item": second.pk,
            },
        )
        assert Issue.objects.get(pk=issue.pk).rendered_html == html_before

    def test_unpublish_needs_a_reason(self, client, issue, second, moderator):
        client.force_login(moderator)
        response = client.post(
            act("unpublish"),
            {"issue": issue.pk, "item": second.pk, "reason": " "},
            follow=True,
        )
        assert "a reason is required" in response.content.decode()
        second.refresh_from_db()
        assert not second.is_removed

    def test_withdrawn_issue_is_410_and_leaves_archive_feeds_sitemap(
        self, client, issue, moderator
    ):
        client.force_login(moderator)
        client.post(act("unpublish"), {"issue": issue.pk, "reason": "Legal request"})
        client.logout()
        response = client.get(issue.get_absolute_url())
        assert response.status_code == 410
        assert "withdrawn" in response.content.decode()
        for url in ("/", "/feed/", "/feed/atom/", "/sitemap.xml"):
            assert "/issues/5/" not in client.get(url).content.decode(), url
        client.force_login(moderator)
        client.post(
            act("republish"),
            {
                "issue": issue.pk,
            },
        )
        client.logout()
        assert client.get(issue.get_absolute_url()).status_code == 200

    def test_dismiss_closes_reports_and_everything_is_logged(
        self, client, issue, second, moderator
    ):
        client.post(reverse("issues:report"), report_data(issue, second))
        client.force_login(moderator)
        queue = BeautifulSoup(client.get(QUEUE).content, "html.parser")
        entry = queue.select_one(".queue-entry")
        assert "“Second” in issue #5" in entry.get_text() and "1 open report" in entry.get_text()
        assert entry.select_one(".reported-content a")["href"] == "https://only.example"
        client.post(act("dismiss"), {"issue": issue.pk, "item": second.pk, "reason": "Fine"})
        assert Report.objects.get().status == "dismissed"
        assert not BeautifulSoup(client.get(QUEUE).content, "html.parser").select(".queue-entry")
        log = ModerationAction.objects.get()
        assert (log.actor, log.action, log.reason, log.reports_resolved) == (
            moderator,
            "dismiss_reports",
            "Fine",
            1,
        )
        assert (log.status_before, log.status_after) == ("published", "published")

    def test_queue_groups_by_target_newest_first(self, client, issue, second, moderator):
        first = Item.objects.get(title="First")
        for item in (second, second, first):
            client.post(reverse("issues:report"), report_data(issue, item))
        client.force_login(moderator)
        queue = BeautifulSoup(client.get(QUEUE).content, "html.parser")
        titles = [entry.h3.get_text(" ", strip=True) for entry in queue.select(".queue-entry")]
        assert titles[0].startswith("Item “First”") and "1 open report" in titles[0]
        assert titles[1].startswith("Item “Second”") and "2 open reports" in titles[1]


class TestSearchAndCache:
    def test_removed_items_and_withdrawn_issues_leave_search(
        self, client, issue, second, moderator
    ):
        from issues.services.moderation import issue_withdraw, item_unpublish

        assert "Second" in client.get("/search/", {"q": "Second"}).content.decode()
        page = client.get(issue.get_absolute_url()).content.decode()  # fills the page cache
        assert "only.example" in page
        item_unpublish(item=second, actor=moderator, reason="Spam")
        assert "/issues/5/#item-1-2" not in client.get("/search/", {"q": "Second"}).content.decode()
        assert "only.example" not in client.get(issue.get_absolute_url()).content.decode()
        issue_withdraw(issue=issue, actor=moderator, reason="Legal")
        assert "/issues/5/" not in client.get("/search/", {"q": "Third"}).content.decode()
        assert client.get(issue.get_absolute_url()).status_code == 410
