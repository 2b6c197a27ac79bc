"""Hand-written SQL for the hottest reads, where building the query with the ORM cost more than
running it (measured in bench/: every public request runs one of these)."""

from django.db import connections, router

# The database's own clock, as Django's Now() writes it for each backend.
_NOW = {
    "postgresql": "STATEMENT_TIMESTAMP()",
    "sqlite": "STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')",  # the format Django stores datetimes in
}


def now_sql(vendor):
    return _NOW.get(vendor, "CURRENT_TIMESTAMP")


def live_sql(vendor, alias=""):
    """SQL for "readers may see this issue", as IssueQuerySet.published() means it."""
    prefix = f"{alias}." if alias else ""
    return f"{prefix}published_at <= {now_sql(vendor)} AND {prefix}withdrawn_at IS NULL"


def connection_for(model):
    return connections[router.db_for_read(model)]
