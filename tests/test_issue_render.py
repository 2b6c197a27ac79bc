"""issue_render: the stored citations after an edit equal those of a fresh render, and a
re-render of an unchanged issue writes no citation rows."""

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from issues.models import Item
from issues.services.issues import issue_render
from tests.factories import make_issue

pytestmark = pytest.mark.django_db

BODIES = [
    "See [one](https://a.example/1) and [two](https://a.example/2).",
    "Again [one](https://a.example/1), then [three](https://a.example/3).",
    "Last [four](https://a.example/4).",
]


def rows(issue):
    return list(issue.citations.values_list("number", "reference__url", "text", "count"))


def issue_with(bodies, number):
    return make_issue(
        number=number, sections=[("S", "", [(f"Item {n}", b) for n, b in enumerate(bodies)])]
    )


@pytest.mark.parametrize(
    "edited",
    [
        # A new first link: every number moves up by one.
        ["First [zero](https://a.example/0). " + BODIES[0], *BODIES[1:]],
        # A link gone: the later numbers move down, one reference is no longer cited.
        [BODIES[0], "Again [one](https://a.example/1).", BODIES[2]],
        # Same numbers, another text and count.
        ["See [uno](https://a.example/1) and [two](https://a.example/2).", BODIES[2], BODIES[2]],
        # Two references swap places.
        ["See [two](https://a.example/2) and [one](https://a.example/1).", *BODIES[1:]],
    ],
)
def test_an_edit_leaves_the_rows_of_a_fresh_render(edited):
    issue = issue_with(BODIES, number=1)
    items = list(Item.objects.filter(section__issue=issue).order_by("position"))
    for item, body in zip(items, edited, strict=True):
        item.body = body
        item.save()
    issue_render(issue=issue)
    assert rows(issue) == rows(issue_with(edited, number=2))


def test_an_unchanged_issue_writes_no_citation_rows():
    issue = issue_with(BODIES, number=1)
    before = rows(issue)
    with CaptureQueriesContext(connection) as queries:
        issue_render(issue=issue)
    writes = [
        query["sql"]
        for query in queries
        if query["sql"].startswith(
            ('INSERT INTO "issues_citation"', 'UPDATE "issues_citation"', 'DELETE FROM "issues_c')
        )
    ]
    assert writes == []
    assert rows(issue) == before


def test_the_reference_list_entries():
    issue = make_issue(
        number=3,
        sections=[
            ("S", "", [("One", "[Why?](https://q.example/) and [a & b](https://a.example/)")]),
            ("T", "", [("Two", "[again](https://a.example/) and [gone](https://g.example/)")]),
        ],
    )
    Item.objects.filter(title="Two").update(removed_at=timezone.now(), removal_reason="spam")
    issue_render(issue=issue)
    entries = BeautifulSoup(issue.rendered_html, "html.parser").select("ol.references > li")
    assert [(li["id"], li.get("class"), " ".join(li.get_text().split())) for li in entries] == [
        ("ref-1", None, "[1] Why? https://q.example/ ↩"),
        ("ref-2", None, "[2] a & b: https://a.example/ ↩"),
        ("ref-3", ["ref-removed"], "[3] removed by the moderators"),
    ]
    backrefs = entries[1].select(".backrefs a")
    assert [(a["href"], a["aria-label"]) for a in backrefs] == [
        ("#cite-2-1", "Back to citation 2, place 1")
    ]
