"""The state of the issues table that every public page depends on, read in one query."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from issues.models import Issue
from issues.selectors.sql import connection_for, site_state_sql


@dataclass(frozen=True)
class SiteState:
    """What every public page depends on, read in one query."""

    published: int
    updated_at: datetime | None
    last_published_at: datetime | None
    next_scheduled_at: datetime | None

    @property
    def fingerprint(self) -> str:
        stamp = self.updated_at.timestamp() if self.updated_at else 0
        return f"{self.published}-{stamp:.6f}"

    @property
    def last_modified(self) -> datetime | None:
        """The latest moment any public page could have changed: an edit or a publication."""
        moments = [m for m in (self.updated_at, self.last_published_at) if m]
        return max(moments) if moments else None


def _as_datetime(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):  # SQLite hands back text for computed columns
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def site_state() -> SiteState:
    """The state of the issues table that public pages depend on."""
    connection = connection_for(Issue)
    with connection.cursor() as cursor:
        cursor.execute(site_state_sql(connection), [])
        published, updated_at, last_published_at, next_scheduled_at = cursor.fetchone()
    return SiteState(
        published=int(published or 0),
        updated_at=_as_datetime(updated_at),
        last_published_at=_as_datetime(last_published_at),
        next_scheduled_at=_as_datetime(next_scheduled_at),
    )
