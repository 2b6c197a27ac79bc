"""Readers' pages in a real chromium: phone and desktop, English and Chinese browsers, paper."""

import io

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())


def open_page(browser, *, locale="en-US", viewport=PHONE, color_scheme="light"):
    context = browser.new_context(locale=locale, viewport=viewport, color_scheme=color_scheme)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


FONT_AND_LINE = (
    "e => [getComputedStyle(e).fontSize, getComputedStyle(e).lineHeight].map(parseFloat)"
)


def box(locator):
    return locator.bounding_box()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_issue_pages_speak_their_language_site_pages_the_browsers(live_server, browser, demo,
                                                                  locale):  # fmt: skip
    page = open_page(browser, locale=locale)
    page.goto(f"{live_server.url}/issues/2/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator(".site-search button").inner_text() == "搜索"
    assert page.locator("main > p.report a").inner_text() == "举报第 2 期"
    assert page.locator(".language-switch").count() == 0
    page.goto(f"{live_server.url}/issues/3/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".site-search button").inner_text() == "Search"
    page.goto(f"{live_server.url}/search/?q=BERT")
    browser_lang, other = ("en", "zh-hans") if locale == "en-US" else ("zh-hans", "en")
    assert page.locator("html").get_attribute("lang") == browser_lang
    # The switch is visible, and what it chooses holds for site pages, not for issues.
    switch = page.locator(f".language-switch button[value='{other}']")
    assert switch.is_visible()
    switch.click()
    page.wait_for_url("**/search/?q=BERT")
    assert page.locator("html").get_attribute("lang") == other
    page.goto(f"{live_server.url}/issues/3/")
    assert page.locator("html").get_attribute("lang") == "en"


def test_chinese_typography_on_a_phone(live_server, browser, demo):
    page = open_page(browser, locale="zh-CN")
    page.goto(f"{live_server.url}/issues/2/")
    heading = page.locator("h1")
    size, line = heading.evaluate(FONT_AND_LINE)
    assert line == pytest.approx(1.3 * size, abs=0.5)
    paragraph = page.locator(".intro p").first
    size, line = paragraph.evaluate(FONT_AND_LINE)
    assert line == pytest.approx(1.85 * size, abs=0.5)
    # The section icons are drawn by a colour emoji font, one glyph wide, the line unchanged.
    icon = page.locator("#section-1-title .icon")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#section-1-title .icon"})
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    assert [font["familyName"] for font in fonts] == ["Noto Color Emoji"]
    title = page.locator("#section-1-title")
    assert box(icon)["height"] <= box(title)["height"]
    # Nothing is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP])
def test_tap_targets_and_landing_after_back_links(live_server, browser, demo, viewport):
    page = open_page(browser, locale="zh-CN", viewport=viewport)
    page.goto(f"{live_server.url}/issues/2/")
    for selector in ("sup.citation a", ".backrefs a", ".heading-link", ".report a"):
        for target in page.locator(selector).all()[:5]:
            size = box(target)
            assert size["width"] >= 24 and size["height"] >= 24, (selector, size)
    # The larger citation targets leave every line where it was.
    heights = page.locator(".item-body p").first.evaluate(
        """p => { const bare = p.cloneNode(true);
                  bare.querySelectorAll('sup.citation a')
                      .forEach(a => a.replaceWith(a.textContent));
                  p.after(bare); const h = [p.offsetHeight, bare.offsetHeight];
                  bare.remove(); return h; }"""
    )
    assert heights[0] == heights[1]
    # Back from the reference list, the citation sits well below the top, its sentence visible.
    page.locator("#ref-4 .backrefs a").first.click()
    page.wait_for_url("**#cite-4-1")
    top = box(page.locator("#cite-4-1"))["y"]
    assert viewport["height"] * 0.2 <= top <= viewport["height"] * 0.6
    assert box(page.locator("#item-1-3 .item-body p").first)["y"] >= 0
    # Headings carry a visible link to themselves.
    link = page.locator("#item-1-3 .heading-link")
    assert link.is_visible() and link.get_attribute("href") == "#item-1-3"


def test_heading_links_copy_their_address(live_server, browser, demo):
    page = open_page(browser, locale="en-US", viewport=DESKTOP)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/issues/3/")
    page.locator("#section-1 h2 .heading-link").click()
    page.wait_for_url("**#section-1")
    assert (
        page.evaluate("navigator.clipboard.readText()") == f"{live_server.url}/issues/3/#section-1"
    )
    assert page.locator("#copy-status").inner_text() == "Link copied"


def test_code_blocks_scroll_and_take_the_keyboard(live_server, browser, demo):
    page = open_page(browser, locale="en-US")
    page.goto(f"{live_server.url}/issues/3/")
    code = page.locator("pre").first
    assert code.evaluate("p => p.scrollWidth > p.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Tab from the link just before it reaches it; arrow keys then scroll it.
    page.locator("a[href='https://huggingface.co/models']").first.focus()
    for _ in range(3):
        page.keyboard.press("Tab")
        if code.evaluate("p => document.activeElement === p"):
            break
    assert code.evaluate("p => document.activeElement === p")
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    assert code.evaluate("p => p.scrollLeft") > 0


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_print_shows_the_issue_and_its_references_only(live_server, browser, demo, locale):
    page = open_page(browser, locale=locale, viewport=DESKTOP)
    page.emulate_media(media="print")
    page.goto(f"{live_server.url}/issues/2/")
    for hidden in (".site-header", ".site-search", ".report a", ".issue-nav", ".site-footer",
                   ".heading-link", ".backrefs"):  # fmt: skip
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator("h1").is_visible()
    references = page.locator("ol.references > li")
    assert references.count() == 41
    assert references.nth(32).inner_text().endswith("https://twitter.com/「MLT」")
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")


EVERY_PUBLIC_PAGE = (
    "/", "/issues/1/", "/issues/2/", "/issues/3/", "/search/?q=BERT", "/search/?q=简报",
    "/search/", "/report/?issue=2&item=1.3", "/report/?issue=3", "/report/thanks/",
    "/issues/404/", "/nowhere/",
)  # fmt: skip


@pytest.mark.parametrize(
    ("locale", "viewport", "color_scheme", "paths"),
    [
        ("zh-CN", PHONE, "dark", EVERY_PUBLIC_PAGE),
        ("en-US", DESKTOP, "light", ("/", "/issues/2/", "/issues/3/", "/search/?q=BERT",
                                     "/report/?issue=2&item=1.3")),
    ],
    ids=["phone-chinese-dark", "desktop-english-light"],
)  # fmt: skip
def test_public_pages_have_no_accessibility_violations(live_server, browser, demo, locale,
                                                       viewport, color_scheme, paths):  # fmt: skip
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = open_page(browser, locale=locale, viewport=viewport, color_scheme=color_scheme)
    found = {}
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        # WCAG 2.2's target size (2.5.8) is off in axe by default.
        results = axe.run(page, options={"rules": {"target-size": {"enabled": True}}})
        if results.violations_count:
            found[path] = results.generate_report()
    assert found == {}
