"""A reader in a real browser: citations, references and back, and accessibility."""

import io

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_follow_a_citation_to_its_reference_and_back(live_server, page):
    call_command("load_demo", stdout=io.StringIO())
    page.goto(f"{live_server.url}/issues/2/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    citation = page.locator("#item-1-3 sup.citation a").first
    assert citation.inner_text() == "[4]"
    citation.click()
    page.wait_for_url("**#ref-4")
    reference = page.locator("#ref-4")
    assert reference.is_visible()
    assert "Reformer" in reference.inner_text()
    assert reference.evaluate("el => el.matches(':target')")
    reference.locator(".backrefs a").first.click()
    page.wait_for_url("**#cite-4-1")
    assert page.locator("#cite-4-1").is_visible()
    page.locator("nav.toc a[href='#item-6-6']").click()
    assert page.locator("#item-6-6 h3").inner_text().startswith("6.6")


def test_follow_a_footnote_to_its_note_and_back_on_an_accessible_page(live_server, page):
    from axe_playwright_python.sync_playwright import Axe

    from tests.factories import make_issue

    note = "Said so[^1].\n\n[^1]: A note with [a link](https://n.example/)."
    make_issue(
        number=7,
        intro=note,
        sections=[("S", note, [("One", note), ("Two", note)])],
    )
    page.goto(f"{live_server.url}/issues/7/")
    page.locator("#item-1-2 sup.footnote-ref a").click()
    page.wait_for_url("**#item-1-2-fn-1")
    assert page.locator("#item-1-2-fn-1").evaluate("el => el.matches(':target')")
    assert page.locator("#item-1-2-fn-1").inner_text().startswith("A note with a link[1]")
    page.locator("#item-1-2-fn-1 a.footnote-backref").click()
    page.wait_for_url("**#item-1-2-fnref-1")
    assert page.locator("#item-1-2-fnref-1").is_visible()
    results = Axe().run(page, options={"rules": {"target-size": {"enabled": True}}})
    assert results.violations_count == 0, results.generate_report()


# Accessibility (axe-core) of every public page: tests/test_browser_pages.py.
