"""Items shown as summaries on a long issue (issue 13, 300 items): an item's form is fetched
when it is opened, and a save writes only what the page posted."""

import json
import re

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from issues.admin.workspace import IssueAdmin
from issues.models import Issue, Item, Section
from tests.factories import make_big_issue, make_issue, make_user
from tests.support.admin_forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def summaries(monkeypatch):
    """Every saved item a summary, however short the issue."""
    monkeypatch.setattr(IssueAdmin, "items_in_full_up_to", 0)


@pytest.fixture
def editor_client(client):
    client.force_login(make_user("editor", staff=True, groups=["Editors"]))
    return client


@pytest.fixture
def issue():
    return make_issue(
        number=12,
        published=False,
        sections=[
            ("News", "", [("Paper A", "[a](https://a.example)"), ("Paper B", "Body B.")]),
            ("Tools", "", [("Tool C", "Body C.")]),
        ],
    )


def change_url(issue):
    return reverse("admin:issues_issue_change", args=[issue.pk])


def items_url(issue):
    return reverse("admin:issues_issue_items", args=[issue.pk])


def item_writes(queries):
    return [q["sql"] for q in queries if q["sql"].startswith('UPDATE "issues_item"')] + [
        q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "issues_item"')
    ]


def written_items(writes):
    """The ids of the item rows these UPDATE statements write."""
    ids = set()
    for sql in writes:
        one, several = re.search(
            r'WHERE "issues_item"\."id" (?:= (\d+)|IN \(([\d, ]+)\))', sql
        ).groups()
        ids |= {int(pk) for pk in (one or several).split(", ")}
    return ids


def opened(client, issue, data, item, prefix):
    """What the page posts once the editor opened `item` in the box named `prefix`."""
    answer = client.get(items_url(issue), {"item": f"{item.pk}:{prefix}"}).json()
    soup = BeautifulSoup(answer["forms"][str(item.pk)], "html.parser")
    data[f"{prefix}-title"] = soup.find("input", attrs={"name": f"{prefix}-title"})["value"]
    data[f"{prefix}-body"] = soup.find("textarea", attrs={"name": f"{prefix}-body"}).get_text()
    data[f"{prefix}-body"] = data[f"{prefix}-body"].removeprefix("\n")
    return data


class TestTheChangePage:
    def test_items_are_summaries_without_their_fields(self, summaries, editor_client, issue):
        soup = BeautifulSoup(editor_client.get(change_url(issue)).content, "html.parser")
        box = soup.find(id="sections-0-items-1")
        assert "1.2" in box.select_one(".inline_label").get_text()
        assert "Paper B" in box.select_one(".inline_label").get_text()
        assert not soup.find(attrs={"name": "sections-0-items-1-body"})
        assert not soup.find(attrs={"name": "sections-0-items-1-title"})
        posted = {field["name"] for field in box.find_all("input")}
        assert posted == {
            "sections-0-items-1-position",
            "sections-0-items-1-id",
            "sections-0-items-1-section",
            "sections-0-items-1-DELETE",
        }

    def test_a_short_issue_shows_every_item_in_full(self, editor_client, issue):
        soup = BeautifulSoup(editor_client.get(change_url(issue)).content, "html.parser")
        assert soup.find("textarea", attrs={"name": "sections-0-items-1-body"})

    @pytest.mark.parametrize("full", [True, False], ids=["full forms", "summaries"])
    def test_queries_do_not_grow_with_items(
        self, monkeypatch, editor_client, django_assert_num_queries, full
    ):
        """Guards the change page (inlines, summaries, panel, removals) against an N+1."""
        monkeypatch.setattr(IssueAdmin, "items_in_full_up_to", 1000 if full else 0)
        small = make_big_issue(items=3, sections=1, number=40, published=False)
        big = make_big_issue(items=30, sections=1, number=41, published=False)
        for each in (small, big):
            editor_client.get(change_url(each))  # the panel is kept after the first view
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.get(change_url(small)).status_code == 200
        with django_assert_num_queries(len(queries)):
            assert editor_client.get(change_url(big)).status_code == 200

    @pytest.mark.parametrize("full", [True, False], ids=["full forms", "summaries"])
    def test_the_inlines_ask_for_the_media_nested_admin_would(
        self, monkeypatch, editor_client, issue, full
    ):
        """The workspace takes the media of one empty form per inline, not of every form."""
        from nested_admin.nested import NestedInlineAdminFormset

        monkeypatch.setattr(IssueAdmin, "items_in_full_up_to", 1000 if full else 0)
        page = editor_client.get(change_url(issue))
        (sections,) = page.context["inline_admin_formsets"]
        items = next(iter(sections)).form.inlines[0]
        for inline in (sections, items):
            theirs = NestedInlineAdminFormset.media.fget(inline)
            assert (inline.media._js, inline.media._css) == (theirs._js, theirs._css)
        assert any("markdownx" in path for path in items.media._js)


class TestSaving:
    def test_items_not_opened_are_not_written(self, summaries, editor_client, issue):
        before = list(Item.objects.order_by("pk").values())
        data = form_data(editor_client.get(change_url(issue)))
        data["intro"] = "A new intro."
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.post(change_url(issue), data).status_code == 302
        assert item_writes(queries) == []
        assert list(Item.objects.order_by("pk").values()) == before
        issue.refresh_from_db()
        assert issue.intro == "A new intro." and issue.edit_version == 1

    def test_saving_costs_the_same_queries_for_3_or_30_items(
        self, summaries, editor_client, django_assert_num_queries
    ):
        """Guards the save against work per item not changed (nested_admin wrote every row)."""
        counts = []
        for number, items in ((42, 3), (43, 30)):
            big = make_big_issue(items=items, sections=1, number=number, published=False)
            data = form_data(editor_client.get(change_url(big)))
            data["intro"] = "Changed."
            with CaptureQueriesContext(connection) as queries:
                assert editor_client.post(change_url(big), data).status_code == 302
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_each_section_costs_the_save_one_query(self, summaries, editor_client):
        """Its items' formset; the renumbering and the revision read all sections at once."""
        counts = []
        for number, sections in ((44, 1), (45, 4)):
            big = make_big_issue(items=8, sections=sections, number=number, published=False)
            for intro in ("Warming the caches.", "Changed."):
                data = form_data(editor_client.get(change_url(big)))
                data["intro"] = intro
                with CaptureQueriesContext(connection) as queries:
                    assert editor_client.post(change_url(big), data).status_code == 302
            counts.append(len(queries))
        assert counts[1] - counts[0] == 3

    def test_an_opened_item_is_saved_and_the_others_left_alone(
        self, summaries, editor_client, issue
    ):
        paper_b = Item.objects.get(title="Paper B")
        data = form_data(editor_client.get(change_url(issue)))
        data = opened(editor_client, issue, data, paper_b, "sections-0-items-1")
        assert data["sections-0-items-1-body"] == "Body B."
        data["sections-0-items-1-body"] = "Body B, corrected."
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.post(change_url(issue), data).status_code == 302
        # The form's UPDATE and, after the render, its search text: that row and no other.
        assert written_items(item_writes(queries)) == {paper_b.pk}
        assert Item.objects.get(pk=paper_b.pk).body == "Body B, corrected."
        assert Item.objects.get(title="Paper A").body == "[a](https://a.example)"

    def test_summaries_reorder_and_delete(self, summaries, editor_client, issue):
        data = form_data(editor_client.get(change_url(issue)))
        data["sections-0-items-0-position"], data["sections-0-items-1-position"] = "2", "1"
        data["sections-1-items-0-DELETE"] = "on"
        assert editor_client.post(change_url(issue), data).status_code == 302
        news, tools = issue.sections.order_by("position")
        assert [(i.position, i.title, i.body) for i in news.items.order_by("position")] == [
            (1, "Paper B", "Body B."),
            (2, "Paper A", "[a](https://a.example)"),
        ]
        assert not tools.items.exists()

    def test_a_summary_moves_to_another_section(self, summaries, editor_client, issue):
        """As nested_admin posts a drag across sections: the box under the other formset."""
        paper_a = Item.objects.get(title="Paper A")
        tools = issue.sections.get(title="Tools")
        data = form_data(editor_client.get(change_url(issue)))
        moved = {k: v for k, v in data.items() if k.startswith("sections-0-items-0-")}
        for key in list(data):
            if key.startswith("sections-0-items-1-"):
                data[key.replace("items-1-", "items-0-")] = data.pop(key)
        data["sections-0-items-TOTAL_FORMS"] = data["sections-0-items-INITIAL_FORMS"] = "1"
        for key, value in moved.items():
            data[key.replace("sections-0-items-0-", "sections-1-items-1-")] = value
        data["sections-1-items-1-section"] = str(tools.pk)
        data["sections-1-items-1-position"] = "2"
        data["sections-1-items-TOTAL_FORMS"] = data["sections-1-items-INITIAL_FORMS"] = "2"
        assert editor_client.post(change_url(issue), data).status_code == 302
        paper_a.refresh_from_db()
        assert (paper_a.section_id, paper_a.position) == (tools.pk, 2)
        assert paper_a.body == "[a](https://a.example)"
        assert list(Item.objects.get(title="Paper B").section.items.values_list("position"))

    def test_a_summary_moves_to_another_section_under_the_same_number(
        self, summaries, editor_client, issue
    ):
        """Paper B, second in News, dropped second in Tools: no field changed but the section."""
        paper_b, tool_c = Item.objects.get(title="Paper B"), Item.objects.get(title="Tool C")
        data = form_data(editor_client.get(change_url(issue)))
        for key in [key for key in data if key.startswith("sections-0-items-1-")]:
            data[key.replace("sections-0-items-1-", "sections-1-items-1-")] = data.pop(key)
        data["sections-1-items-1-section"] = str(tool_c.section_id)
        data["sections-0-items-TOTAL_FORMS"] = data["sections-0-items-INITIAL_FORMS"] = "1"
        data["sections-1-items-TOTAL_FORMS"] = data["sections-1-items-INITIAL_FORMS"] = "2"
        assert data["sections-1-items-1-position"] == "2"
        assert editor_client.post(change_url(issue), data).status_code == 302
        paper_b.refresh_from_db()
        assert (paper_b.section_id, paper_b.position, paper_b.body) == (
            tool_c.section_id,
            2,
            "Body B.",
        )
        issue.refresh_from_db()
        assert issue.edit_version == 1  # a change, recorded

    def test_a_stale_page_is_still_refused(self, summaries, editor_client, issue):
        data = form_data(editor_client.get(change_url(issue)))
        Issue.objects.filter(pk=issue.pk).update(edit_version=7)
        data["sections-0-items-0-position"], data["sections-0-items-1-position"] = "2", "1"
        response = editor_client.post(change_url(issue), data)
        assert response.status_code == 200
        assert "after you opened it" in response.content.decode()
        assert Item.objects.get(title="Paper A").position == 1
        # The refused page shows the summaries where the editor put them, still posted.
        soup = BeautifulSoup(response.content, "html.parser")
        assert soup.find("input", attrs={"name": "sections-0-items-0-position", "value": "2"})
        shown = [int(box["data-item-pk"]) for box in soup.select(".item-summary")]
        titles = dict(Item.objects.values_list("pk", "title"))
        assert [titles[pk] for pk in shown] == ["Paper B", "Paper A", "Tool C"]

    def test_an_item_of_another_issue_cannot_be_pulled_in(self, summaries, editor_client, issue):
        other = make_issue(number=13, sections=[("Elsewhere", "", [("Theirs", "Their body.")])])
        theirs = Item.objects.get(title="Theirs")
        data = form_data(editor_client.get(change_url(issue)))
        data["sections-0-items-0-id"] = str(theirs.pk)
        response = editor_client.post(change_url(issue), data)
        assert response.status_code == 200  # refused with an error, not saved
        theirs.refresh_from_db()
        assert theirs.section.issue_id == other.pk


class TestViewOnly:
    """Someone who may only view issues (the moderators) reads them: nothing to type in, drag,
    add or save."""

    @pytest.mark.parametrize("items", [3, 45], ids=["short", "long"])
    def test_the_issue_is_shown_read_only(self, client, items):
        client.force_login(make_user("moderator", staff=True, groups=["Moderators"]))
        big = make_big_issue(items=items, sections=3, number=50, published=False)
        page = client.get(change_url(big))
        assert page.status_code == 200
        soup = BeautifulSoup(page.content, "html.parser")
        form = soup.find("form", id="issue_form")
        typed = form.find_all(["textarea", "select"]) + form.find_all(
            "input", type=lambda kind: kind not in ("hidden",)
        )
        assert typed == []
        assert soup.select(".djn-drag-handler") == []
        assert not soup.find(attrs={"name": "_continue"})
        assert "Item 44" in soup.get_text() if items == 45 else "Item 2" in soup.get_text()

    def test_an_editor_still_drags(self, editor_client, issue):
        soup = BeautifulSoup(editor_client.get(change_url(issue)).content, "html.parser")
        assert len(soup.select(".has_original > h3.djn-drag-handler")) == 5  # 2 sections, 3 items


class TestTheItemFormsView:
    def test_the_fields_come_named_for_the_box(self, editor_client, issue):
        paper_b = Item.objects.get(title="Paper B")
        response = editor_client.get(items_url(issue), {"item": f"{paper_b.pk}:sections-3-items-9"})
        assert response.status_code == 200
        assert (
            response["Cache-Control"].startswith("max-age=0")
            or "no-cache" in (response["Cache-Control"])
        )
        answer = json.loads(response.content)
        assert answer["version"] == 0
        soup = BeautifulSoup(answer["forms"][str(paper_b.pk)], "html.parser")
        assert soup.find("input", attrs={"name": "sections-3-items-9-title"})["value"] == "Paper B"
        assert soup.find("textarea", attrs={"name": "sections-3-items-9-body"})
        assert not soup.find(attrs={"name": "sections-3-items-9-id"})  # the summary has it

    def test_only_this_issues_items(self, editor_client, issue):
        make_issue(number=14, sections=[("Elsewhere", "", [("Theirs", "Secret draft.")])])
        theirs = Item.objects.get(title="Theirs")
        answer = editor_client.get(items_url(issue), {"item": f"{theirs.pk}:sections-0-items-0"})
        assert answer.json()["forms"] == {}

    @pytest.mark.parametrize("value", ["1:sections-0-items-0-x", "x:sections-0-items-0", "1"])
    def test_a_malformed_request_is_a_bad_request(self, editor_client, issue, value):
        assert editor_client.get(items_url(issue), {"item": value}).status_code == 400

    def test_staff_without_the_change_permission_are_refused(self, client, issue):
        client.force_login(make_user("moderator", staff=True, groups=["Moderators"]))
        item = Item.objects.first()
        response = client.get(items_url(issue), {"item": f"{item.pk}:sections-0-items-0"})
        assert response.status_code == 403

    def test_people_not_logged_in_are_sent_to_log_in(self, client, issue):
        item = Item.objects.first()
        response = client.get(items_url(issue), {"item": f"{item.pk}:sections-0-items-0"})
        assert response.status_code == 302 and "/admin/login/" in response["Location"]

    def test_a_moderators_removal_shows_on_the_opened_item(self, summaries, editor_client, issue):
        from issues.services.moderation import item_unpublish

        moderator = make_user("moderator", staff=True, groups=["Moderators"])
        paper_b = Item.objects.get(title="Paper B")
        item_unpublish(item=paper_b, actor=moderator, reason="Spam")
        page = BeautifulSoup(editor_client.get(change_url(issue)).content, "html.parser")
        label = page.find(id="sections-0-items-1").select_one(".inline_label").get_text()
        assert "Removed by the moderators" in label
        answer = editor_client.get(items_url(issue), {"item": f"{paper_b.pk}:sections-0-items-1"})
        note = BeautifulSoup(answer.json()["forms"][str(paper_b.pk)], "html.parser").get_text()
        assert "moderator" in note and "Spam" in note


class TestTheItemPreview:
    def preview_url(self, issue):
        return reverse("admin:issues_issue_preview_item", args=[issue.pk])

    def test_the_item_comes_with_issue_wide_numbers_and_nothing_is_saved(
        self, editor_client, issue
    ):
        paper_b = Item.objects.get(title="Paper B")
        answer = editor_client.post(
            self.preview_url(issue),
            {"item": paper_b.pk, "title": "Paper B", "body": "See [x](https://x.example)."},
        ).json()
        assert answer["number"] == "1.2" and answer["count"] == 2
        soup = BeautifulSoup(answer["body"], "html.parser")
        assert soup.select_one("sup.citation").get_text() == "[2]"
        assert "https://x.example" in answer["references"]
        assert Item.objects.get(pk=paper_b.pk).body == "Body B."

    def test_a_new_item_is_read_in_its_place(self, editor_client, issue):
        news = issue.sections.get(title="News")
        before = Item.objects.count()

        def preview(**place):
            data = {"title": "New [t](https://t.example)", "body": "[y](https://y.example)"}
            return editor_client.post(self.preview_url(issue), {**data, **place})

        answer = preview(section=news.pk, index=1).json()  # between Paper A and Paper B
        assert answer["number"] == "1.2" and answer["count"] == 3
        title = BeautifulSoup(answer["title"], "html.parser")
        body = BeautifulSoup(answer["body"], "html.parser")
        assert title.select_one("sup.citation").get_text() == "[2]"
        assert body.select_one("sup.citation").get_text() == "[3]"
        assert preview(section=news.pk, index=9).json()["number"] == "1.3"  # last
        assert Item.objects.count() == before  # nothing saved

        make_issue(number=17, sections=[("Elsewhere", "", [])])
        elsewhere = Section.objects.get(title="Elsewhere")
        assert preview(section=elsewhere.pk, index=0).status_code == 400
        assert preview(section=news.pk).status_code == 400

    def test_csrf_and_permissions_are_checked(self, client, issue):
        from django.test import Client

        paper_b = Item.objects.get(title="Paper B")
        data = {"item": paper_b.pk, "title": "T", "body": "B"}
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(make_user("editor", staff=True, groups=["Editors"]))
        assert strict.post(self.preview_url(issue), data).status_code == 403
        client.force_login(make_user("moderator", staff=True, groups=["Moderators"]))
        assert client.post(self.preview_url(issue), data).status_code == 403
        assert client.get(self.preview_url(issue)).status_code == 405

    def test_only_an_item_of_this_issue(self, editor_client, issue):
        make_issue(number=16, sections=[("Elsewhere", "", [("Theirs", "x")])])
        theirs = Item.objects.get(title="Theirs")
        response = editor_client.post(
            self.preview_url(issue), {"item": theirs.pk, "title": "T", "body": "B"}
        )
        assert response.status_code == 400


class TestPostedData:
    """Each nested formset gets a copy of the posted form: cheap, and still its own."""

    def test_a_copy_has_its_own_keys(self):
        from django.http import QueryDict

        from issues.admin.workspace import PostedData

        posted = PostedData.of(QueryDict("a=1&b=2&b=3"))
        first, second = posted.copy(), posted.copy()
        first["a"] = "9"  # as nested_admin renumbers positions
        first.setlist("b", ["7"])
        assert (posted["a"], posted.getlist("b")) == ("1", ["2", "3"])
        assert (second["a"], second.getlist("b")) == ("1", ["2", "3"])
        assert (first["a"], first.getlist("b")) == ("9", ["7"])
