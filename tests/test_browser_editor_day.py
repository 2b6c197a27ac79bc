"""The editor's day in a real browser (issue 13): nothing lost, fast at size, fits.

Named to run among the other serialized-rollback browser tests, before test_browser_reader.py,
whose flush recreates the content types (a serialized rollback after it collides with them)."""

import pytest

from issues.models import Issue
from tests.factories import make_issue, make_user
from tests.test_browser_editor import PASSWORD, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

INTRO = "#id_intro"


@pytest.fixture
def issue():
    make_user("editor", staff=True, groups=["Editors"], password=PASSWORD)
    return make_issue(
        number=7,
        published=False,
        intro="The intro.",
        sections=[("News", "", [("Paper A", "[a](https://a.example)")])],
    )


def change_url(live_server, issue):
    return f"{live_server.url}/admin/issues/issue/{issue.pk}/change/"


def test_unsaved_changes_warn_before_leaving_but_not_after_saving(live_server, page, issue):
    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, issue))
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    # Nothing typed yet: leaving is silent.
    page.click(".object-tools a:has-text('Revisions')")
    page.wait_for_url("**/revisions/")
    assert dialogs == []
    page.go_back()
    page.wait_for_selector(INTRO)

    page.locator(INTRO).click()
    page.keyboard.type(" More text.")
    page.click(".object-tools a:has-text('Revisions')", no_wait_after=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url == change_url(live_server, issue)
    assert page.input_value(INTRO).endswith("More text.")

    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert dialogs == ["beforeunload"]
    issue.refresh_from_db()
    assert issue.intro == "The intro. More text."


def test_a_local_copy_is_offered_after_a_closed_tab_without_weakening_conflicts(
    live_server, browser, page, issue
):
    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, issue))
    version = page.input_value("input[name=loaded_version]")
    page.locator(INTRO).click()
    page.keyboard.type(" Typed, never saved.")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('digest:'))")
    page.close(run_before_unload=False)  # the tab is gone, as after a crash

    again = page.context.new_page()
    again.goto(change_url(live_server, issue))
    offer = again.locator(".draft-offer")
    assert "kept a copy of changes you had not saved" in offer.inner_text()
    assert again.input_value(INTRO) == "The intro."
    offer.locator("button.draft-restore").click()
    assert again.input_value(INTRO) == "The intro. Typed, never saved."
    assert again.input_value("input[name=loaded_version]") == version

    # Someone saves meanwhile: the restored text is still refused, not saved over theirs.
    Issue.objects.filter(pk=issue.pk).update(edit_version=5)
    again.click("input[name=_continue]")
    again.locator(".errornote").wait_for()
    issue.refresh_from_db()
    assert issue.intro == "The intro."
    assert again.input_value(INTRO) == "The intro. Typed, never saved."


def test_a_saved_copy_is_not_offered_again(live_server, page, issue):
    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, issue))
    page.locator(INTRO).click()
    page.keyboard.type(" Saved.")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert page.locator(".draft-offer").count() == 0
    page.reload()
    assert page.locator(".draft-offer").count() == 0
    stored = page.evaluate("() => Object.keys(localStorage)")
    assert not [key for key in stored if key.startswith("digest:")], stored


def test_folding_jumping_and_previews_on_demand(live_server, page, issue):
    log_in(page, live_server, "editor")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if "markdownify" in r.url else None)
    page.goto(change_url(live_server, issue))
    page.wait_for_load_state("networkidle")
    assert posts == []  # no preview requested for any field on load

    item = page.locator("#sections-0-items-0")
    item.locator(":scope > h3 .fold-toggle").click()
    assert not item.locator("textarea").is_visible()
    page.reload()
    assert not page.locator("#sections-0-items-0 textarea").is_visible()  # remembered

    # The panel's contents open the item and jump to it.
    page.click("a.toc-link[href='#sections-0-items-0']")
    body = page.locator("[name='sections-0-items-0-body']")
    assert body.is_visible()
    body.focus()
    page.locator("#sections-0-items-0 .markdownx-preview a").first.wait_for()
    assert len(posts) == 1
    page.click("button[data-fold-all='collapse']")
    assert not body.is_visible()
    assert page.locator("[name='sections-0-title']").is_visible()


# The innermost elements reaching past `limit`: what to fix when a width check fails.
OFFENDERS = """(limit) => {
  const wide = e => e.getClientRects().length && e.getBoundingClientRect().right > limit + 1;
  return Array.from(document.querySelectorAll('body *'))
    .filter(e => wide(e) && !Array.from(e.children).some(wide))
    .map(e => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)
    .slice(0, 12);
}"""


def test_fields_never_run_under_the_panel_and_phones_do_not_scroll_sideways(
    live_server, page, issue
):
    log_in(page, live_server, "editor")
    url = change_url(live_server, issue)
    for width in (1280, 1400, 1600, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        panel = page.locator(".digest-panel").bounding_box()
        fields = page.locator(".digest-form textarea:visible, .digest-form input:visible")
        rights = fields.evaluate_all("els => els.map(e => e.getBoundingClientRect().right)")
        assert rights and max(rights) <= panel["x"], (
            width,
            panel["x"],
            page.evaluate(OFFENDERS.replace("'body *'", "'.digest-form *'"), panel["x"]),
        )
        listed = page.locator(".panel-toc li").first.evaluate(
            "e => getComputedStyle(e).listStyleType"
        )
        assert listed == "none"  # the numbers are the text's, no second marker
    page.set_viewport_size({"width": 390, "height": 844})
    for path in (url, f"{live_server.url}/admin/issues/issue/", f"{live_server.url}/admin/"):
        page.goto(path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, (path, width, page.evaluate(OFFENDERS, 390))


def test_pasting_a_url_over_selected_text_makes_a_markdown_link(live_server, page, issue):
    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, issue))
    paste = """(field, text) => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        field.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true,
                                                         cancelable: true}));
    }"""
    intro = page.locator(INTRO)
    intro.fill("Read the paper today.")
    intro.evaluate("e => e.setSelectionRange(9, 14)")  # "paper"
    intro.evaluate(paste, "https://papers.example/1")
    assert page.input_value(INTRO) == "Read the [paper](https://papers.example/1) today."
    # Not a URL, or nothing selected: an ordinary paste.
    intro.evaluate("e => e.setSelectionRange(0, 4)")
    intro.evaluate(paste, "just words")
    assert page.input_value(INTRO) == "Read the [paper](https://papers.example/1) today."


@pytest.fixture
def long_issue(monkeypatch):
    """An issue whose saved items are summaries, as on a long issue (IssueAdmin says when)."""
    from issues.admin.workspace import IssueAdmin

    monkeypatch.setattr(IssueAdmin, "items_in_full_up_to", 0)
    make_user("editor", staff=True, groups=["Editors"], password=PASSWORD)
    return make_issue(
        number=8,
        published=False,
        sections=[
            ("News", "", [("Paper A", "[a](https://a.example)"), ("Paper B", "Body B.")]),
            ("Tools", "", [("Tool C", "Body C.")]),
        ],
    )


def test_a_long_issue_opens_items_when_asked_and_saves_only_those(live_server, page, long_issue):
    from issues.models import Item

    log_in(page, live_server, "editor")
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if "/items/" in r.url else None)
    page.goto(change_url(live_server, long_issue))
    page.wait_for_load_state("networkidle")
    assert fetched == []  # nothing fetched until an item is opened
    body = "[name='sections-0-items-1-body']"
    assert page.locator(body).count() == 0
    assert "1.2 Paper B" in page.locator("#sections-0-items-1 .inline_label").inner_text()

    page.locator("#sections-0-items-1 > h3 .fold-toggle").click()
    page.locator(body).fill("Body B, corrected.")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert Item.objects.get(title="Paper B").body == "Body B, corrected."
    assert Item.objects.get(title="Paper A").body == "[a](https://a.example)"

    fetched.clear()
    page.click("button[data-fold-all='expand']")
    page.locator("[name='sections-1-items-0-body']").wait_for()
    assert page.input_value("[name='sections-0-items-0-body']") == "[a](https://a.example)"
    assert len(fetched) == 1  # every item in one request


def test_a_summary_is_dragged_into_another_section(live_server, page, long_issue):
    """An item never opened moves across sections by its header, keeps its text, and the
    numbers follow."""
    import re

    from issues.models import Item

    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, long_issue))
    handle = page.locator("h3.djn-drag-handler", has_text="Paper B")
    target = page.locator("h3.djn-drag-handler", has_text="Tool C")
    target.evaluate("e => e.scrollIntoView({block: 'center'})")
    start, end = handle.bounding_box(), target.bounding_box()
    x, y = start["x"] + 30, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 21):
        # Past the middle of Tool C's header: dropped after it, in the other section.
        page.mouse.move(x, y + (end["y"] + end["height"] + 10 - y) * step / 20)
        page.wait_for_timeout(20)
    page.mouse.up()
    assert page.locator("[name$='-body']:not([name*='__prefix__'])").count() == 0  # none opened
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    toc = page.locator(".panel-toc").inner_text()
    assert re.search(r"1\.1\s+Paper A.*2\.1\s+Tool C.*2\.2\s+Paper B", toc, re.S), toc
    paper_b = Item.objects.get(title="Paper B")
    assert paper_b.section.title == "Tools" and paper_b.body == "Body B."
    assert [
        (i.title, i.position) for i in Item.objects.order_by("section__position", "position")
    ] == [
        ("Paper A", 1),
        ("Tool C", 1),
        ("Paper B", 2),
    ]


def test_a_save_that_moves_nothing_posts_every_row_where_it_stands(live_server, page, long_issue):
    """Each section and item posts the position it was loaded with, so the server writes no
    row for it (nested_admin numbered from 0: every row looked moved, and was rewritten)."""
    from urllib.parse import parse_qsl

    from issues.models import Item, Section

    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, long_issue))
    posted = []
    page.on("request", lambda r: posted.append(r.post_data) if r.method == "POST" else None)
    page.fill(INTRO, "Only the intro changes.")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    data = dict(parse_qsl(posted[-1]))
    sent = {
        (name.count("-items-"), int(data[name.removesuffix("position") + "id"]), int(value))
        for name, value in data.items()
        if name.endswith("-position")
    }
    stored = {(0, *row) for row in Section.objects.values_list("pk", "position")}
    stored |= {(1, *row) for row in Item.objects.values_list("pk", "position")}
    assert len(stored) == 5 and sent == stored


def test_opened_summaries_stay_open_after_a_save_and_a_reload(live_server, page, long_issue):
    from issues.models import Item

    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, long_issue))
    body = "[name='sections-0-items-1-body']"
    page.locator("#sections-0-items-1 > h3 .fold-toggle").click()
    page.locator(body).fill("Body B, corrected.")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert Item.objects.get(title="Paper B").body == "Body B, corrected."
    page.locator(body).wait_for()  # opened again, with what was saved
    assert page.input_value(body) == "Body B, corrected."
    assert page.locator("[name='sections-0-items-0-body']").count() == 0  # still a summary
    assert page.locator(".draft-offer").count() == 0  # what it holds was saved
    page.reload()
    page.locator(body).wait_for()
    page.locator("#sections-0-items-1 > h3 .fold-toggle").click()  # closed by the editor
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator(body).count() == 0
    assert page.locator(".draft-offer").count() == 0


def test_a_local_copy_reopens_the_items_it_holds(live_server, page, long_issue):
    from issues.models import Item

    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, long_issue))
    page.locator("#sections-1-items-0 > h3 .fold-toggle").click()
    body = "[name='sections-1-items-0-body']"
    page.locator(body).click()
    page.keyboard.type(" Typed, never saved.")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('digest:d'))")
    page.close(run_before_unload=False)

    again = page.context.new_page()
    again.goto(change_url(live_server, long_issue))
    # A summary again: opened to compare with the copy (and as the editor left it), saved text.
    again.locator(".draft-offer").wait_for()
    assert again.input_value(body) == "Body C."
    again.locator(".draft-offer button.draft-restore").click()
    again.locator(body).wait_for()
    assert again.input_value(body) == "Body C. Typed, never saved."
    again.click("input[name=_continue]")
    again.wait_for_selector(".messagelist .success")
    assert Item.objects.get(title="Tool C").body == "Body C. Typed, never saved."


def test_a_withdrawn_issue_cannot_be_published_by_its_editor(live_server, page):
    import datetime

    from issues.services.moderation import issue_withdraw

    moderator = make_user("moderator", staff=True, groups=["Moderators"])
    make_user("editor", staff=True, groups=["Editors"], password=PASSWORD)
    original = datetime.datetime(2026, 3, 2, 9, 15, 40, 718000, tzinfo=datetime.UTC)
    issue = make_issue(number=10, published_at=original, sections=[("S", "", [("A", "a")])])
    issue_withdraw(issue=issue, actor=moderator, reason="Legal request")

    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, issue))
    panel = page.locator(".digest-panel")
    assert "Withdrawn by moderator" in panel.inner_text() and "Legal request" in panel.inner_text()
    publish = panel.get_by_role("button", name="Publish now")
    assert publish.is_disabled()
    why = page.locator("#" + publish.get_attribute("aria-describedby")).inner_text()
    assert "Only the moderators can release a withdrawn issue" in why

    # Nor by typing a new publication date into the form.
    page.fill("#id_published_at_0", "2026-11-01")
    page.fill("#id_published_at_1", "08:00:00")
    page.click("input[name=_continue]")
    error = page.locator(".field-published_at .errorlist")
    assert "only they can release it" in error.inner_text()
    issue.refresh_from_db()
    assert issue.published_at == original and issue.status == "withdrawn"


@pytest.mark.parametrize("summaries", [False, True], ids=["full forms", "summaries"])
def test_the_editor_sees_an_item_the_moderators_removed(live_server, page, monkeypatch, summaries):
    from issues.admin.workspace import IssueAdmin
    from issues.models import Item
    from issues.services.moderation import item_unpublish

    if summaries:
        monkeypatch.setattr(IssueAdmin, "items_in_full_up_to", 0)
    moderator = make_user("moderator", staff=True, groups=["Moderators"])
    make_user("editor", staff=True, groups=["Editors"], password=PASSWORD)
    issue = make_issue(
        number=11,
        sections=[("News", "", [("Paper A", "a"), ("Paper B", "Buy [now](https://spam.example)")])],
    )
    item_unpublish(item=Item.objects.get(title="Paper B"), actor=moderator, reason="Advertising")

    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, issue))
    toc = page.locator(".panel-toc li", has_text="Paper B").last.inner_text()
    assert "Removed by the moderators (moderator" in toc and "Advertising" in toc
    assert "Removed" not in page.locator(".panel-toc li", has_text="Paper A").last.inner_text()
    item = page.locator("#sections-0-items-1")
    if summaries:
        assert "Removed by the moderators" in item.locator(".inline_label").inner_text()
        item.locator(":scope > h3 .fold-toggle").click()
    note = item.locator(".removed-by-moderators", has_text="Advertising")
    note.wait_for()
    assert "moderator" in note.inner_text()


# A 1×1 PNG, as an editor's screenshot would arrive.
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5E"
    "rkJggg=="
)
DROP = """(field, png) => {
    const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'shot.png', {type: 'image/png'}));
    field.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true,
                                               cancelable: true}));
}"""


def test_a_dropped_image_asks_for_its_alt_text(live_server, page, issue, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, issue))
    intro = page.locator(INTRO)
    intro.fill("Look:\n")
    intro.focus()  # starts the field's markdownx editor
    page.locator(f"{INTRO}[data-markdownx-init]").wait_for()
    intro.evaluate("e => e.setSelectionRange(e.value.length, e.value.length)")
    intro.evaluate(DROP, PNG)
    dialog = page.locator("dialog.image-alt")
    dialog.wait_for()
    assert "What does the image show?" in dialog.inner_text()
    dialog.locator("input").fill("A chart of [weekly] readers")
    dialog.locator("button[value=insert]").click()
    assert dialog.count() == 0
    value = page.input_value(INTRO)
    assert value.startswith("Look:\n![A chart of \\[weekly\\] readers](/media/markdownx/"), value
    assert value.endswith(".png)")

    # "Not now" leaves the image as inserted.
    intro.evaluate(DROP, PNG)
    dialog.locator("button[value=skip]").click()
    assert page.input_value(INTRO).count("![](/media/markdownx/") == 1


def test_the_item_being_typed_shows_its_issue_wide_numbers(live_server, page):
    make_user("editor", staff=True, groups=["Editors"], password=PASSWORD)
    issue = make_issue(
        number=15,
        published=False,
        sections=[
            ("News", "", [("Paper A", "[a](https://a.example) [b](https://b.example)"),
                          ("Paper B", "Body B.")]),
            ("Tools", "", [("Tool C", "[c](https://c.example)")]),
        ],
    )  # fmt: skip
    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, issue))
    refs = page.locator(".panel-refs > li")
    assert refs.count() == 3
    body = page.locator("[name='sections-0-items-1-body']")
    body.click()
    page.keyboard.press("End")
    page.keyboard.type(" See [the paper](https://new.example).")
    shown = page.locator("#sections-0-items-1 .item-published")
    shown.locator("sup.citation", has_text="3").wait_for()
    assert "1.2 Paper B" in shown.locator("h4").inner_text()
    assert "the paper" in shown.inner_text()
    # The panel's list grew, and the later link moved to [4], without a reload.
    page.wait_for_function("() => document.querySelectorAll('.panel-refs > li').length === 4")
    texts = refs.all_inner_texts()
    assert texts[2].startswith("[3]") and "https://new.example" in texts[2]
    assert texts[3].startswith("[4]") and "https://c.example" in texts[3]
    assert "(4)" in page.locator(".panel-references h2").inner_text()
    assert page.input_value("#id_intro") == ""  # nothing else touched; nothing saved yet
    issue.refresh_from_db()
    assert issue.edit_version == 0


def test_a_new_item_shows_its_issue_wide_numbers_before_it_is_saved(live_server, page):
    make_user("editor", staff=True, groups=["Editors"], password=PASSWORD)
    issue = make_issue(
        number=16,
        published=False,
        sections=[
            ("News", "", [("Paper A", "[a](https://a.example)")]),
            ("Tools", "", [("Tool C", "[c](https://c.example)")]),
        ],
    )
    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, issue))
    page.locator("#sections-0 .djn-add-handler", has_text="Add another Item").click()
    prefix = "sections-0-items-1"
    page.fill(f"[name='{prefix}-title']", "Paper B")
    page.locator(f"[name='{prefix}-body']").click()
    page.keyboard.type("See [b](https://b.example).")
    shown = page.locator(f"#{prefix} .item-published")
    shown.locator("sup.citation", has_text="2").wait_for()
    assert "1.2 Paper B" in shown.locator("h4").inner_text()
    page.wait_for_function("() => document.querySelectorAll('.panel-refs > li').length === 3")
    assert page.locator(".panel-refs > li").all_inner_texts()[2].startswith("[3]")
    issue.refresh_from_db()
    assert issue.edit_version == 0  # nothing saved


def test_summaries_are_dragged_into_a_new_order(live_server, page, long_issue):
    """Items not opened keep their text when they move; numbers follow the new order. (Moves
    across sections: tests/test_editor_items.py posts them as nested_admin does.)"""
    import re

    from issues.models import Item

    def drag(moved, onto):
        handle = page.locator("h3.djn-drag-handler", has_text=moved)
        target = page.locator("h3.djn-drag-handler", has_text=onto)
        target.evaluate("e => e.scrollIntoView({block: 'center'})")
        start, end = handle.bounding_box(), target.bounding_box()
        x, y = start["x"] + 30, start["y"] + start["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        for step in range(1, 21):
            page.mouse.move(x, y + (end["y"] - 10 - y) * step / 20)
            page.wait_for_timeout(20)
        page.mouse.up()

    log_in(page, live_server, "editor")
    page.goto(change_url(live_server, long_issue))
    drag("Paper B", "Paper A")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    toc = page.locator(".panel-toc").inner_text()
    assert re.search(r"1\.1\s+Paper B.*1\.2\s+Paper A.*2\.1\s+Tool C", toc, re.S), toc
    bodies = {item.title: item.body for item in Item.objects.all()}
    assert bodies == {
        "Paper A": "[a](https://a.example)",
        "Paper B": "Body B.",
        "Tool C": "Body C.",
    }
