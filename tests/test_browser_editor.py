"""An editor in a real browser: assemble, reorder, preview, publish; and two editors at once."""

import re

import pytest

from issues.models import Issue
from tests.factories import make_issue, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def add_form(page, label_text):
    """Click an "Add another …" link and return the name prefix of the form it added."""
    before = set(page.locator("input[name$='-title']").evaluate_all("els => els.map(e => e.name)"))
    page.locator(".djn-add-handler", has_text=label_text).last.click()
    after = page.locator("input[name$='-title']").evaluate_all("els => els.map(e => e.name)")
    (new,) = [name for name in after if name not in before and "__prefix__" not in name]
    return new.removesuffix("-title")


def test_assemble_reorder_preview_publish(live_server, page, browser):
    make_user("editor", staff=True, groups=["Editors"], password=PASSWORD)
    log_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/admin/issues/issue/add/")
    page.fill("#id_number", "42")
    page.fill("#id_title", "Browser-built issue")
    page.fill("#id_intro", "Made in a [real browser](https://browser.example).")

    first = add_form(page, "Add another Section")
    page.fill(f"[name='{first}-title']", "Papers")
    second = add_form(page, "Add another Section")
    page.fill(f"[name='{second}-title']", "Tools")
    for section, title, url in [
        (first, "Alpha", "https://alpha.example"),
        (first, "Beta", "https://beta.example"),
        (second, "Gamma", "https://gamma.example"),
    ]:
        section_box = page.locator(f".djn-inline-form:has([name='{section}-title'])").first
        before = set(page.locator("input[name$='-title']").evaluate_all("e => e.map(x => x.name)"))
        section_box.locator(".djn-add-handler", has_text="Add another Item").click()
        after = page.locator("input[name$='-title']").evaluate_all("e => e.map(x => x.name)")
        (name,) = [n for n in after if n not in before and "__prefix__" not in n]
        prefix = name.removesuffix("-title")
        page.fill(f"[name='{prefix}-title']", title)
        page.fill(f"[name='{prefix}-body']", f"About [{title}]({url}).")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    # Drag "Beta" above "Alpha" by its header, as an editor would.
    beta = page.locator("h3.djn-drag-handler", has_text="Beta")
    alpha = page.locator("h3.djn-drag-handler", has_text="Alpha")
    alpha.evaluate("e => e.scrollIntoView({block: 'start'})")
    start, target = beta.bounding_box(), alpha.bounding_box()
    x, y = start["x"] + 30, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x, y + (target["y"] - 10 - y) * step / 20)
        page.wait_for_timeout(20)
    page.mouse.up()
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    panel = page.locator(".panel-toc").inner_text()
    assert re.search(r"1\.1\s+Beta.*1\.2\s+Alpha.*2\.1\s+Gamma", panel, re.S), panel

    preview_url = page.locator(".object-tools a", has_text="Preview").get_attribute("href")
    page.goto(f"{live_server.url}{preview_url}")
    assert "Preview of a draft" in page.locator(".preview-banner").inner_text()
    page.go_back()

    page.click("button:has-text('Publish now')")
    page.wait_for_selector(".messagelist .success")
    assert Issue.objects.get(number=42).status == "published"

    reader = browser.new_context().new_page()
    reader.goto(f"{live_server.url}/issues/42/")
    headings = reader.locator("article.item h3").all_inner_texts()
    assert [h.split("[")[0].strip() for h in headings] == ["1.1 Beta", "1.2 Alpha", "2.1 Gamma"]
    refs = reader.locator("ol.references > li .ref-url").all_inner_texts()
    assert refs == [
        "https://browser.example",
        "https://beta.example",
        "https://alpha.example",
        "https://gamma.example",
    ]


def test_two_editors_second_save_is_refused_and_keeps_its_text(live_server, browser):
    make_user("alice", staff=True, groups=["Editors"], password=PASSWORD)
    make_user("bob", staff=True, groups=["Editors"], password=PASSWORD)
    issue = make_issue(number=7, published=False, sections=[("S", "", [("Item", "Original.")])])
    url = f"{live_server.url}/admin/issues/issue/{issue.pk}/change/"
    pages = {}
    for name in ("alice", "bob"):
        page = browser.new_context().new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_server, name)
        page.goto(url)
        pages[name] = page
    body = "[name='sections-0-items-0-body']"
    pages["alice"].fill(body, "Alice's version.")
    pages["alice"].click("input[name=_continue]")
    pages["alice"].wait_for_selector(".messagelist .success")

    pages["bob"].fill(body, "Bob's version, typed with care.")
    pages["bob"].click("input[name=_continue]")
    error = pages["bob"].locator(".errornote, .errorlist.nonfield").first
    error.wait_for()
    assert "alice changed this issue" in pages["bob"].content()
    assert pages["bob"].input_value(body) == "Bob's version, typed with care."
    issue.refresh_from_db()
    assert issue.sections.get().items.get().body == "Alice's version."
