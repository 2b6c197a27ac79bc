"""Plain factory functions for tests."""

import datetime
import itertools

from django.contrib.auth import get_user_model
from django.utils import timezone

from issues.models import Issue, Item, Section
from issues.services.issues import issue_render

_numbers = itertools.count(1000)


def make_issue(
    *,
    sections=(),
    number=None,
    title="A test issue",
    intro="",
    published=True,
    published_at=None,
    language="en",
    render=True,
):
    """An issue; `sections` is a list of (title, text, [(item title, body), …])."""
    if published_at is None and published:
        published_at = timezone.now() - datetime.timedelta(days=1)
    issue = Issue.objects.create(
        number=number or next(_numbers),
        title=title,
        intro=intro,
        language=language,
        published_at=published_at,
    )
    for section_position, (section_title, text, items) in enumerate(sections, start=1):
        section = Section.objects.create(
            issue=issue, title=section_title, text=text, position=section_position
        )
        Item.objects.bulk_create(
            Item(section=section, title=item_title, body=body, position=position)
            for position, (item_title, body) in enumerate(items, start=1)
        )
    if render:
        issue_render(issue=issue)
    return issue


def make_big_issue(*, items, sections=3, **kwargs):
    """An issue with `items` items spread over `sections` sections, each citing two URLs."""
    per_section = [[] for _ in range(sections)]
    for index in range(items):
        per_section[index % sections].append(
            (
                f"Item {index}",
                f"See [paper {index}](https://example.org/p/{index}) "
                f"and [code {index}](https://example.com/c/{index}).",
            )
        )
    return make_issue(
        sections=[(f"Section {n}", "", entries) for n, entries in enumerate(per_section)],
        **kwargs,
    )


def make_user(
    username="user", *, staff=False, superuser=False, groups=(), password="pw-12345", email=""
):
    """A user, optionally staff, a superuser, or in the named groups."""
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(
        username=username,
        password=password,
        email=email,
        is_staff=staff or superuser,
        is_superuser=superuser,
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user
