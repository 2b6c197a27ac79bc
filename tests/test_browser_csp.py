"""The Content-Security-Policy holds in a real browser: public pages, admin and markdownx editor."""

import pytest

from issues.models import Issue
from tests.factories import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(
    `${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`));
"""


def test_no_policy_violations_anywhere_people_click(live_server, browser, demo):
    make_user("ed", staff=True, groups=["Editors"], password=PASSWORD)
    context = browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    seen = {}

    def visit(label):
        page.wait_for_load_state("networkidle")
        seen[label] = page.evaluate("window.__violations")

    # Positive control: an inline script is refused and recorded, so an empty record means
    # nothing was refused, not that nothing was listening.
    page.goto(f"{live_server.url}/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
        " document.head.appendChild(s); }"
    )
    page.wait_for_function("window.__violations.length > 0")
    assert "script-src" in page.evaluate("window.__violations")[0]

    for path in ("/", "/issues/2/", "/search/?q=BERT", "/report/?issue=2&item=1.3", "/nowhere/"):
        page.goto(f"{live_server.url}{path}")
        visit(path)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ed")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    visit("admin index")
    issue = Issue.objects.get(number=3)
    page.goto(f"{live_server.url}/admin/issues/issue/{issue.pk}/change/")
    visit("change form")
    body = page.locator("[name='sections-0-items-0-body']")
    body.fill("Typed **live** with a [link](https://typed.example).")
    # The markdownx preview is fetched and shown beside the field.
    page.locator(".markdownx-preview", has_text="Typed live").first.wait_for()
    visit("markdownx preview")
    before = set(page.locator("textarea[name$='-body']").evaluate_all("e => e.map(x => x.name)"))
    page.locator(".djn-add-handler", has_text="Add another Item").first.click()
    after = page.locator("textarea[name$='-body']").evaluate_all("e => e.map(x => x.name)")
    (new_body,) = [name for name in after if name not in before and "__prefix__" not in name]
    # A form added after the page loaded gets a working live preview too.
    page.fill(f"textarea[name='{new_body}']", "Brand **new** item")
    new_editor = page.locator(f".markdownx:has(textarea[name='{new_body}'])")
    new_editor.locator(".markdownx-preview strong").wait_for()
    visit("new inline")
    page.goto(f"{live_server.url}/admin/issues/issue/{issue.pk}/revisions/")
    visit("revisions")
    assert seen == {label: [] for label in seen}
