"""A reader reports, a moderator unpublishes, the reader sees the tombstone: in a real browser."""

import pytest

from issues.models import Item, ModerationAction
from tests.factories import make_issue, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"


def test_report_unpublish_tombstone(live_server, browser):
    make_user("moderator", staff=True, groups=["Moderators"], password=PASSWORD)
    issue = make_issue(
        number=9,
        sections=[
            ("News", "", [
                ("Good", "[g](https://good.example)"),
                ("Spammy", "Buy [now](https://spam.example)!"),
                ("Also good", "[h](https://fine.example)"),
            ]),
        ],
    )  # fmt: skip
    reader = browser.new_context().new_page()
    reader.set_default_timeout(15_000)
    reader.goto(f"{live_server.url}/issues/9/")
    before = reader.locator("article.item h3 .num").all_inner_texts()
    refs_before = reader.locator("ol.references > li").all_inner_texts()
    reader.click("#item-1-2 a.report-link")
    reader.check("input[value=spam]")
    reader.fill("textarea[name=note]", "An advert, not news.")
    reader.click(".report-form button[type=submit]")
    reader.wait_for_url("**/report/thanks/")

    moderator = browser.new_context().new_page()
    moderator.set_default_timeout(15_000)
    moderator.goto(f"{live_server.url}/admin/login/?next=/admin/issues/report/")
    moderator.fill("#id_username", "moderator")
    moderator.fill("#id_password", PASSWORD)
    moderator.click("input[type=submit]")
    entry = moderator.locator(".queue-entry", has_text="Spammy")
    assert "1 open report" in entry.inner_text()
    assert "An advert, not news." in entry.inner_text()
    entry.locator("input[name=reason][required]").fill("Advertising is not allowed.")
    entry.locator("button", has_text="Unpublish").click()
    moderator.wait_for_selector(".messagelist .success")
    assert Item.objects.get(title="Spammy").is_removed
    log = ModerationAction.objects.get()
    assert (log.actor.username, log.reason) == ("moderator", "Advertising is not allowed.")

    reader.goto(f"{live_server.url}{issue.get_absolute_url()}")
    assert reader.locator("article.item h3 .num").all_inner_texts() == before
    assert "removed by the moderators on" in reader.locator("#item-1-2").inner_text()
    assert "spam.example" not in reader.content()
    refs_after = reader.locator("ol.references > li").all_inner_texts()
    assert refs_after[0] == refs_before[0] and refs_after[2] == refs_before[2]
    assert refs_after[1].startswith("[2]") and "removed" in refs_after[1]
