"""Data migrations that run code: the re-renders (CommonMark engine, footnotes), search text."""

import importlib

import pytest
from django.apps import apps

from issues.models import Citation, Issue, Item, Reference, Section
from tests.factories import make_issue

pytestmark = pytest.mark.django_db

rerender = importlib.import_module("issues.migrations.0009_rerender_with_commonmark").rerender


def test_rerender_stores_the_new_html_and_reports_changed_reference_lists(capsys):
    issue = make_issue(
        number=3,
        sections=[("S", "", [("1. [A](https://a.example/)", "[b](https://b.example/)")])],
    )
    unchanged = make_issue(number=4, sections=[("S", "", [("T", "[c](https://c.example/)")])])
    # The old engine read the title as a list and cited only the body's link.
    Citation.objects.filter(issue=issue).delete()
    b = Reference.objects.get(normalized_url="https://b.example/")
    Citation.objects.create(issue=issue, reference=b, number=1, text="b", count=1)
    issue.__class__.objects.filter(pk=issue.pk).update(rendered_html="<p>old</p>")

    rerender(apps, None)

    out = capsys.readouterr().out
    assert "issue 3: its reference list changed" in out
    assert "[1] https://b.example/ -> https://a.example/" in out
    assert "[2] (none) -> https://b.example/" in out
    assert f"issue {unchanged.number}:" not in out
    issue.refresh_from_db()
    assert 'href="https://a.example/"' in issue.rendered_html


fill_search_text = importlib.import_module("issues.migrations.0012_search_text").fill


def test_search_text_is_filled_for_rows_stored_before_it():
    issue = make_issue(
        number=5,
        intro="Read [the intro](https://i.example/).",
        sections=[
            ("[S](https://s.example/)", "Some `code`.", [("**T**", "[b](https://b.example/)")])
        ],
    )
    for model in (Issue, Section, Item):  # as the migration finds them
        model.objects.update(search_text="")
    Section.objects.update(search_title="")
    Item.objects.update(search_title="")

    fill_search_text(apps, None)

    issue.refresh_from_db()
    assert issue.search_text == "Read the intro."
    assert list(Section.objects.values_list("search_title", "search_text")) == [("S", "Some code.")]
    assert list(Item.objects.values_list("search_title", "search_text")) == [("T", "b")]


rerender_footnotes = importlib.import_module("issues.migrations.0013_rerender_footnotes").rerender


def test_issues_with_footnotes_are_rendered_again_and_changes_reported(capsys):
    noted = make_issue(
        number=5,
        sections=[("S", "", [("T", "A[^1].\n\n[^1]: See [n](https://n.example/).")])],
    )
    plain = make_issue(number=6, sections=[("S", "", [("T", "[c](https://c.example/)")])])
    # As the engine before footnotes stored them: no note, no citation of its link.
    Citation.objects.filter(issue=noted).delete()
    Issue.objects.filter(pk__in=[noted.pk, plain.pk]).update(rendered_html="<p>old</p>")

    rerender_footnotes(apps, None)

    out = capsys.readouterr().out
    assert "issue 5: its reference list changed with footnotes read" in out
    assert "[1] (none) -> https://n.example/" in out
    noted.refresh_from_db()
    plain.refresh_from_db()
    assert 'id="item-1-1-fn-1"' in noted.rendered_html
    assert plain.rendered_html == "<p>old</p>"  # no `[^` in it: not read again
