"""Saves made in the admin are recorded as revisions of the whole issue."""

from contextlib import contextmanager

import reversion


@contextmanager
def revision(request, comment):
    """Record what the block saves as one revision of the issue, by this user."""
    with reversion.create_revision():
        reversion.set_user(request.user)
        reversion.set_comment(comment)
        yield
