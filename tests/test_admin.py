"""The editors' workspace: permissions, assembly, conflicts, revisions, checks and publishing."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from issues.models import Item
from tests.factories import make_issue, make_user
from tests.support.admin_forms import add_item, form_data

pytestmark = pytest.mark.django_db


def change_url(issue):
    return reverse("admin:issues_issue_change", args=[issue.pk])


@pytest.fixture
def editor():
    return make_user("editor", staff=True, groups=["Editors"])


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def issue():
    return make_issue(
        number=10,
        title="Weekly",
        published=False,
        sections=[
            ("News", "", [("One", "[a](https://a.example)"), ("Two", "[b](https://b.example)")]),
            ("Tools", "", [("Three", "[c](https://c.example)")]),
        ],
    )


def item_titles(issue):
    return [
        [item.title for item in section.items.order_by("position")]
        for section in issue.sections.order_by("position")
    ]


class TestPermissions:
    def test_editors_group_has_exactly_the_editor_permissions(self, editor):
        assert editor.has_perms(
            [
                "issues.add_issue",
                "issues.change_item",
                "issues.delete_section",
                "issues.change_reference",
                "issues.publish_issue",
            ]
        )
        assert not editor.has_perm("auth.change_user")
        assert not editor.has_perm("auth.add_group")

    def test_editor_can_open_and_save(self, editor_client, issue):
        response = editor_client.get(change_url(issue))
        assert response.status_code == 200
        data = form_data(response)
        data["title"] = "Weekly, edited"
        response = editor_client.post(change_url(issue), data)
        assert response.status_code == 302, response.content[:2000]
        issue.refresh_from_db()
        assert issue.title == "Weekly, edited"
        assert issue.last_edited_by.username == "editor"

    def test_editor_cannot_manage_users(self, editor_client):
        assert editor_client.get("/admin/auth/user/").status_code == 403

    def test_anonymous_is_sent_to_login_and_nothing_changes(self, client, issue):
        response = client.post(change_url(issue), {"title": "Hacked"})
        assert response.status_code == 302 and "/login/" in response["Location"]
        issue.refresh_from_db()
        assert issue.title == "Weekly"

    def test_staff_without_permissions_is_refused(self, client, issue):
        client.force_login(make_user("moderator", staff=True))
        assert client.get(change_url(issue)).status_code == 403
        response = client.post(reverse("admin:issues_issue_publish", args=[issue.pk]))
        assert response.status_code == 403
        issue.refresh_from_db()
        assert issue.status == "draft"


class TestAssembly:
    def test_new_item_and_reordering_are_renumbered_without_gaps(self, editor_client, issue):
        data = form_data(editor_client.get(change_url(issue)))
        # Move "Two" before "One" and add a fourth item at the end, with gaps between them.
        data["sections-0-items-0-position"] = "5"
        data["sections-0-items-1-position"] = "3"
        add_item(data, 0, title="Four", body="[d](https://d.example)", position=7)
        response = editor_client.post(change_url(issue), data)
        assert response.status_code == 302, response.content[:3000]
        assert item_titles(issue) == [["Two", "One", "Four"], ["Three"]]
        positions = list(
            Item.objects.filter(section__issue=issue)
            .order_by("section__position", "position")
            .values_list("position", flat=True)
        )
        assert positions == [1, 2, 3, 1]
        issue.refresh_from_db()
        soup = BeautifulSoup(issue.rendered_html, "html.parser")
        assert [li.select_one(".ref-url")["href"] for li in soup.select("ol.references > li")] == [
            "https://b.example",
            "https://a.example",
            "https://d.example",
            "https://c.example",
        ]

    def test_text_the_markdown_format_would_split_is_refused_with_the_reason(
        self, editor_client, issue
    ):
        data = form_data(editor_client.get(change_url(issue)))
        data["sections-0-items-0-body"] = "Intro\n\n## Not a heading here\n\n```\nopen fence"
        data["sections-1-title"] = "🔧 Tools"
        response = editor_client.post(change_url(issue), data)
        assert response.status_code == 200
        text = BeautifulSoup(response.content, "html.parser").get_text()
        assert "line 3 starts with “##”" in text and "never closed" in text
        assert "Put the leading emoji in the Icon field." in text
        assert Item.objects.get(title="One").body == "[a](https://a.example)"

    def test_deleting_a_section_renumbers_the_rest(self, editor_client, issue):
        data = form_data(editor_client.get(change_url(issue)))
        data["sections-0-DELETE"] = "on"
        assert editor_client.post(change_url(issue), data).status_code == 302
        assert list(issue.sections.values_list("title", "position")) == [("Tools", 1)]

    def test_assembly_page_query_count_does_not_grow_with_items(self, editor_client):
        """Guards against an N+1 over items on the nested change page (three sections each)."""

        def queries_for(items, number):
            per_section = items // 3
            issue = make_issue(
                number=number,
                published=False,
                sections=[
                    (
                        f"S{s}",
                        "",
                        [
                            (f"I{s}.{i}", f"[x](https://x.example/{s}/{i})")
                            for i in range(per_section)
                        ],
                    )
                    for s in range(3)
                ],
            )
            editor_client.get(change_url(issue))
            with CaptureQueriesContext(connection) as queries:
                assert editor_client.get(change_url(issue)).status_code == 200
            return len(queries)

        assert queries_for(30, 31) <= queries_for(3, 30)


class TestConflicts:
    def test_second_save_is_refused_and_keeps_its_text(self, client, issue):
        alice = make_user("alice", staff=True, groups=["Editors"])
        bob = make_user("bob", staff=True, groups=["Editors"])
        client.force_login(alice)
        alice_data = form_data(client.get(change_url(issue)))
        client.force_login(bob)
        bob_data = form_data(client.get(change_url(issue)))
        bob_data["sections-0-items-0-body"] = "Bob's careful rewrite."
        assert client.post(change_url(issue), bob_data).status_code == 302

        client.force_login(alice)
        alice_data["sections-0-items-0-body"] = "Alice's text, which must not be lost."
        response = client.post(change_url(issue), alice_data)
        assert response.status_code == 200
        text = BeautifulSoup(response.content, "html.parser").get_text()
        assert "bob changed this issue at" in text and "NOT saved" in text
        textareas = BeautifulSoup(response.content, "html.parser").find_all("textarea")
        assert "Alice's text, which must not be lost." in [t.get_text().strip() for t in textareas]
        assert Item.objects.get(title="One").body == "Bob's careful rewrite."

        # Submitting the same stale form again is still refused.
        assert client.post(change_url(issue), alice_data).status_code == 200
        assert Item.objects.get(title="One").body == "Bob's careful rewrite."

    def test_publishing_meanwhile_also_counts_as_a_change(self, editor_client, issue):
        data = form_data(editor_client.get(change_url(issue)))
        editor_client.post(reverse("admin:issues_issue_publish", args=[issue.pk]))
        data["title"] = "Stale"
        assert editor_client.post(change_url(issue), data).status_code == 200
        issue.refresh_from_db()
        assert issue.title == "Weekly" and issue.status == "published"


class TestRevisions:
    def test_every_save_records_a_revision_that_can_be_compared_and_restored(
        self, editor_client, issue
    ):
        data = form_data(editor_client.get(change_url(issue)))
        data["sections-0-items-0-body"] = "First version of the body."
        assert editor_client.post(change_url(issue), data).status_code == 302
        data = form_data(editor_client.get(change_url(issue)))
        data["sections-0-items-0-body"] = "Second version."
        data["sections-1-DELETE"] = "on"
        assert editor_client.post(change_url(issue), data).status_code == 302
        assert item_titles(issue) == [["One", "Two"]]

        from reversion.models import Version

        versions = list(Version.objects.get_for_object(issue))
        assert len(versions) == 2
        newer, older = versions
        compare = editor_client.get(
            reverse("admin:issues_issue_compare", args=[issue.pk]),
            {"a": older.pk, "b": newer.pk},
        )
        text = BeautifulSoup(compare.content, "html.parser").get_text().replace("\xa0", " ")
        assert "First version of the body." in text and "Second version." in text

        listing = editor_client.get(reverse("admin:issues_issue_revisions", args=[issue.pk]))
        assert listing.status_code == 200
        restore = reverse("admin:issues_issue_restore", args=[issue.pk, older.pk])
        assert editor_client.post(restore).status_code == 302
        assert item_titles(issue) == [["One", "Two"], ["Three"]]
        assert Item.objects.get(title="One").body == "First version of the body."
        issue.refresh_from_db()
        assert "https://c.example" in issue.rendered_html

    def test_restore_keeps_moderation_publication_and_the_edit_version(self, editor_client, issue):
        from reversion.models import Version

        from issues.services.moderation import issue_withdraw, item_unpublish

        data = form_data(editor_client.get(change_url(issue)))
        data["sections-0-items-0-body"] = "Old body."
        assert editor_client.post(change_url(issue), data).status_code == 302
        stale_form = form_data(editor_client.get(change_url(issue)))
        old = Version.objects.get_for_object(issue).first()
        moderator = make_user("mod", staff=True, groups=["Moderators"])
        item_unpublish(item=Item.objects.get(title="Two"), actor=moderator, reason="Spam")
        issue_withdraw(issue=issue, actor=moderator, reason="Legal")
        issue.refresh_from_db()
        version_before = issue.edit_version
        assert (
            editor_client.post(
                reverse("admin:issues_issue_restore", args=[issue.pk, old.pk])
            ).status_code
            == 302
        )
        issue.refresh_from_db()
        assert issue.status == "withdrawn" and issue.edit_version == version_before + 1
        assert Item.objects.get(title="Two").is_removed
        assert Item.objects.get(title="One").body == "Old body."
        # A form opened before the restore is still refused.
        assert editor_client.post(change_url(issue), stale_form).status_code == 200

    def test_restore_is_post_only(self, editor_client, issue):
        url = reverse("admin:issues_issue_restore", args=[issue.pk, 1])
        assert editor_client.get(url).status_code == 405


class TestChecksAndPublishing:
    def test_checks_are_listed_beside_the_form(self, editor_client):
        make_issue(number=1, sections=[("S", "", [("x", "[old](https://old.example)")])])
        issue = make_issue(
            number=2,
            published=False,
            sections=[
                ("S", "", [
                    ("A", "[bad](javascript:alert(1)) [t](https://t.example/?utm_source=x)"),
                    ("B", "[one](https://same.example) [two](https://same.example) "
                          "[old again](https://old.example)"),
                    ("C", ""),
                ]),
                ("Empty", "", []),
            ],
        )  # fmt: skip
        soup = BeautifulSoup(editor_client.get(change_url(issue)).content, "html.parser")
        checks = [li.get_text(" ", strip=True) for li in soup.select(".checks li")]
        assert checks[0].startswith("Blocker:") and "javascript:alert(1)" in checks[0]
        joined = "\n".join(checks)
        assert "tracking parameters (utm_source)" in joined
        assert "cited under different texts: one / two" in joined
        assert "already cited in issue #1" in joined
        assert "Section 2 “Empty” is empty" in joined
        assert "Item 1.3 “C” has no body" in joined

    def test_blockers_stop_publish_now(self, editor_client):
        issue = make_issue(published=False, sections=[("S", "", [("A", "[x](ftp://files)")])])
        response = editor_client.post(
            reverse("admin:issues_issue_publish", args=[issue.pk]), follow=True
        )
        assert "Not published" in response.content.decode()
        issue.refresh_from_db()
        assert issue.status == "draft"

    def test_blockers_also_stop_a_publication_date_typed_in_the_form(self, editor_client):
        issue = make_issue(published=False, sections=[("S", "", [("A", "[x](ftp://files)")])])
        data = form_data(editor_client.get(change_url(issue)))
        data["published_at_0"], data["published_at_1"] = "2020-01-01", "10:00:00"
        response = editor_client.post(change_url(issue), data)
        assert response.status_code == 200
        assert "Cannot publish or schedule yet" in response.content.decode()
        issue.refresh_from_db()
        assert issue.status == "draft"

    def test_publish_now_and_back_to_draft(self, editor_client, client, issue):
        editor_client.post(reverse("admin:issues_issue_publish", args=[issue.pk]))
        issue.refresh_from_db()
        assert issue.status == "published"
        editor_client.post(reverse("admin:issues_issue_draft", args=[issue.pk]))
        issue.refresh_from_db()
        assert issue.status == "draft"

    def test_schedule_from_the_form(self, editor_client, issue):
        data = form_data(editor_client.get(change_url(issue)))
        when = timezone.localtime(timezone.now() + datetime.timedelta(days=2))
        data["published_at_0"] = when.strftime("%Y-%m-%d")
        data["published_at_1"] = when.strftime("%H:%M:%S")
        assert editor_client.post(change_url(issue), data).status_code == 302
        issue.refresh_from_db()
        assert issue.status == "scheduled"

    def test_status_filter_and_search(self, editor_client, issue):
        make_issue(number=11, title="Out already")
        listing = editor_client.get("/admin/issues/issue/", {"status": "draft"})
        text = BeautifulSoup(listing.content, "html.parser").select_one("#result_list").get_text()
        assert "Weekly" in text and "Out already" not in text
        found = editor_client.get("/admin/issues/issue/", {"q": "already"})
        assert "Out already" in found.content.decode()


class TestSharePreview:
    def test_secret_link_works_uncached_unindexed_and_revocable(self, editor_client, client, issue):
        share = reverse("admin:issues_issue_share", args=[issue.pk])
        editor_client.post(share, {"action": "create"})
        issue.refresh_from_db()
        assert len(issue.share_token) >= 40
        url = reverse("issues:shared-preview", args=[issue.share_token])
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
        assert response["X-Robots-Tag"].startswith("noindex")
        assert "One" in response.content.decode()
        editor_client.post(share, {"action": "revoke"})
        assert client.get(url).status_code == 404
        assert client.get(reverse("issues:shared-preview", args=["x" * 43])).status_code == 404


class TestReferenceAdmin:
    def test_lists_where_cited_and_title_changes_reference_lists(self, editor_client):
        first = make_issue(number=1, sections=[("S", "", [("A", "[here](https://p.example)")])])
        make_issue(
            number=2,
            sections=[("S", "", [("B", "[there](https://p.example) [x](https://p.example)")])],
        )
        listing = editor_client.get("/admin/issues/reference/")
        row = BeautifulSoup(listing.content, "html.parser").select_one("#result_list tbody tr")
        cells = row.get_text(" ", strip=True)
        assert "https://p.example" in cells and "#1 [1]" in cells and "#2 [1]" in cells
        assert row.select_one(".field-times_cited").get_text() == "3"
        from issues.models import Reference

        reference = Reference.objects.get()
        url = reverse("admin:issues_reference_change", args=[reference.pk])
        data = form_data(editor_client.get(url), form_id="reference_form")
        data["title"] = "The P paper"
        assert editor_client.post(url, data).status_code == 302
        first.refresh_from_db()
        soup = BeautifulSoup(first.rendered_html, "html.parser")
        assert soup.select_one("#ref-1 .ref-title").get_text() == "The P paper"
