"""The one visibility rule: every reader of an issue's status agrees with `with_status`."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from issues.models import Issue, IssueStatus
from issues.selectors.site import site_state
from tests.factories import make_issue, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_of_each():
    """An issue in every status, numbered 1 to 4."""
    now = timezone.now()
    make_issue(number=1, title="Draft one", published=False)
    make_issue(number=2, title="Scheduled one", published_at=now + datetime.timedelta(days=1))
    make_issue(number=3, title="Published one")
    withdrawn = make_issue(number=4, title="Withdrawn one")
    Issue.objects.filter(pk=withdrawn.pk).update(withdrawn_at=now, withdrawal_reason="spam")
    return {
        IssueStatus.DRAFT: 1,
        IssueStatus.SCHEDULED: 2,
        IssueStatus.PUBLISHED: 3,
        IssueStatus.WITHDRAWN: 4,
    }


class TestIssueStatus:
    def test_queryset_and_instance_agree_on_every_status(self, one_of_each):
        for status, number in one_of_each.items():
            numbers = list(Issue.objects.with_status(status).values_list("number", flat=True))
            assert numbers == [number], status
            assert Issue.objects.get(number=number).status == status

    def test_a_withdrawn_issue_with_a_past_date_is_not_published(self, one_of_each):
        assert list(Issue.objects.published().values_list("number", flat=True)) == [3]

    def test_the_page_cache_counts_what_published_counts(self, one_of_each):
        assert site_state().published == Issue.objects.published().count() == 1

    def test_admin_filter_offers_and_applies_every_status(self, client, one_of_each):
        editor = make_user("editor", staff=True, groups=["Editors"])
        client.force_login(editor)
        for status, number in one_of_each.items():
            page = client.get("/admin/issues/issue/", {"status": status.value})
            rows = BeautifulSoup(page.content, "html.parser").select("#result_list tbody tr")
            assert [row.select_one("th").get_text(strip=True) for row in rows] == [str(number)], (
                status
            )
