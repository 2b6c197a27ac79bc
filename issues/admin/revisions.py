"""Saves made in the admin are recorded as revisions of the whole issue."""

from contextlib import contextmanager

import reversion


@contextmanager
def revision(request, comment, *, manually=False):
    """Record what the block saves as one revision of the issue, by this user.

    `manually`: only what the block adds with `reversion.add_to_revision` (the change form
    adds the whole issue once, at the end; otherwise its first save would serialise the
    whole issue too, before its sections and items were saved)."""
    with reversion.create_revision(manage_manually=manually):
        reversion.set_user(request.user)
        reversion.set_comment(comment)
        yield
