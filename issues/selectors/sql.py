"""Every hand-written SQL statement of the app, each where building it with the ORM cost more
than running it (measured with `make bench`, figures in each docstring).

The visibility rule is not written here: `status_condition` in issues/models/content.py is the
one rule, and `live_sql` compiles it for the connection at hand.
"""

import functools

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

from issues.models import Issue, IssueStatus
from issues.models.content import status_condition

# Every statement below is executed with a parameter list, so literal % signs are doubled.
_NOW = {
    "postgresql": "STATEMENT_TIMESTAMP()",
    "sqlite": "STRFTIME('%%Y-%%m-%%d %%H:%%M:%%f', 'NOW')",  # the format Django stores datetimes in
}


def connection_for(model: type[Model]) -> BaseDatabaseWrapper:
    return connections[router.db_for_read(model)]


def now_sql(connection: BaseDatabaseWrapper) -> str:
    """The database's own clock, as Django's Now() writes it."""
    return _NOW.get(connection.vendor, "CURRENT_TIMESTAMP")


@functools.cache
def _compiled_condition(alias: str, connection_alias: str, status: IssueStatus) -> str:
    connection = connections[connection_alias]
    query = Issue.objects.filter(status_condition(status)).query
    where, params = query.get_compiler(connection=connection).compile(query.where)
    assert not params, "the status rule takes no parameters"
    table = connection.ops.quote_name(Issue._meta.db_table)
    return where.replace(f"{table}.", f"{alias}." if alias else "")


def live_sql(connection: BaseDatabaseWrapper, alias: str = "") -> str:
    """SQL for "readers may see this issue": `IssueQuerySet.published()` compiled, not retyped."""
    return _compiled_condition(alias, connection.alias, IssueStatus.PUBLISHED)


def site_state_sql(connection: BaseDatabaseWrapper) -> str:
    """How many issues are live, the latest edit and publication, the next scheduled time.

    Runs on every public request (the page cache's fingerprint). Replaces three ORM aggregates;
    building the ORM query cost three times more than running it (5x cheaper as one statement,
    measured in bench/ when it was written).
    """
    live, now = live_sql(connection), now_sql(connection)
    # Withdrawing an issue re-renders it, which moves updated_at: the fingerprint sees that too.
    return (
        f"SELECT SUM(CASE WHEN {live} THEN 1 ELSE 0 END), MAX(updated_at), "
        f"MAX(CASE WHEN {live} THEN published_at END), "
        f"MIN(CASE WHEN published_at > {now} THEN published_at END) "
        f"FROM {Issue._meta.db_table}"
    )


def issue_page_sql(connection: BaseDatabaseWrapper) -> str:
    """The issue with a number (one %s parameter), with the number, title and plain title of the
    published issues before and after it as previous_* and next_* columns.

    The issue page's whole database cost. Replaces a get() and two neighbour queries: 8.3 ms to
    4.4 ms a request (bench/, uncached issue page).
    """
    table = Issue._meta.db_table
    neighbour = (
        f"(SELECT n.{{column}} FROM {table} n WHERE n.number {{op}} i.number "
        f"AND {live_sql(connection, 'n')} ORDER BY n.number {{order}} LIMIT 1)"
    )
    columns = ", ".join(
        neighbour.format(column=column, op=op, order=order) + f" AS {side}_{column}"
        for side, op, order in (("previous", "<", "DESC"), ("next", ">", "ASC"))
        for column in ("number", "title", "plain_title")
    )
    return f"SELECT i.*, {columns} FROM {table} i WHERE i.number = %s"
