"""Positions: the one helper that renumbers sections and items never breaks uniqueness."""

import pytest

from issues.models import Item, Section
from issues.services.issues import positions_renumber
from issues.services.positions import PARK_OFFSET, positions_assign, positions_park
from tests.factories import make_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def section():
    issue = make_issue(sections=[("S", "", [("a", ""), ("b", ""), ("c", ""), ("d", "")])])
    return issue.sections.get()


def titles(section):
    return list(section.items.order_by("position").values_list("title", "position"))


class TestPositions:
    def test_reversing_rows_that_hold_1_to_n_needs_no_free_slot(self, section):
        items = list(section.items.order_by("-position"))
        positions_assign(objects=items)
        assert titles(section) == [("d", 1), ("c", 2), ("b", 3), ("a", 4)]

    def test_assign_writes_even_when_memory_already_says_1_to_n(self, section):
        items = list(section.items.order_by("position"))
        positions_park(queryset=Item.objects.filter(section=section))
        positions_assign(objects=items)  # memory still holds 1..4; the database does not
        assert titles(section) == [("a", 1), ("b", 2), ("c", 3), ("d", 4)]

    def test_parked_rows_leave_1_to_n_free(self, section):
        positions_park(queryset=Item.objects.filter(section=section))
        assert min(section.items.values_list("position", flat=True)) > PARK_OFFSET

    def test_renumber_closes_gaps_in_sections_and_items(self, section):
        Item.objects.filter(section=section, title="b").delete()
        Section.objects.create(issue=section.issue, title="T", position=7)
        positions_renumber(issue=section.issue)
        assert titles(section) == [("a", 1), ("c", 2), ("d", 3)]
        assert list(section.issue.sections.values_list("position", flat=True)) == [1, 2]

    def test_nothing_to_assign_is_fine(self):
        positions_assign(objects=[])
