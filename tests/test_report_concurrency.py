"""Reports posted at the same moment: the hourly limit and the auto-hide hold (issue 14).

Real threads, each with its own database connection, released together by a barrier, on
whichever database the suite runs on (SQLite and PostgreSQL in CI).
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from issues.models import Item, ModerationAction, Report
from tests.factories import make_issue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def item():
    make_issue(number=5, sections=[("News", "", [("First", "x"), ("Second", "y")])])
    return Item.objects.get(title="Second")


def post_at_once(addresses):
    """POST a report on item 1.2 from each address, all threads released together."""
    barrier = threading.Barrier(len(addresses))
    statuses, errors = [], []

    def post(address):
        client = Client(raise_request_exception=False)
        data = {"issue": 5, "item": "1.2", "reason": "spam", "note": ""}
        try:
            barrier.wait()
            statuses.append(client.post(reverse("issues:report"), data, REMOTE_ADDR=address))
        except Exception as error:  # noqa: BLE001  (reported below, with the others)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(address,)) for address in addresses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return sorted(response.status_code for response in statuses)


def test_forty_parallel_reports_from_one_client_store_at_most_the_limit(item, settings):
    """Check-then-insert stored 6 of 40 with a limit of 5."""
    settings.DIGEST_REPORTS_PER_HOUR = 5
    statuses = post_at_once(["198.51.100.7"] * 40)
    assert Report.objects.count() == 5
    assert statuses == [302] * 5 + [429] * 35


def test_auto_hide_happens_once_under_parallel_reports(item, settings):
    """Concurrent reports wrote two hide_item entries for one item."""
    settings.DIGEST_AUTO_HIDE_AFTER_REPORTS = 2
    statuses = post_at_once([f"192.0.2.{n}" for n in range(12)])
    assert statuses == [302] * 12
    assert Report.objects.count() == 12
    item.refresh_from_db()
    assert item.is_removed
    assert ModerationAction.objects.filter(action="hide_item").count() == 1
