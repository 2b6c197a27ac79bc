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
        for column in ("number", "title", "plain_title", "language")
    )
    return f"SELECT i.*, {columns} FROM {table} i WHERE i.number = %s"


# What search finds, in the order equal hits are listed: the table, its title and text columns
# as search reads them (migration 0012), the joins that reach its issue, and its ids and
# positions (issue, section, item).
_SEARCH_KINDS = (
    (
        "issues_issue",
        "plain_title",
        "search_text",
        "",
        "t.id AS issue_id, CAST(NULL AS bigint) AS section_id, 0 AS a, 0 AS b",
        "",
    ),
    (
        "issues_section",
        "search_title",
        "search_text",
        "JOIN issues_issue i ON i.id = t.issue_id",
        "t.issue_id AS issue_id, t.id AS section_id, t.position AS a, 0 AS b",
        "",
    ),
    (
        "issues_item",
        "search_title",
        "search_text",
        "JOIN issues_section s ON s.id = t.section_id JOIN issues_issue i ON i.id = s.issue_id",
        "s.issue_id AS issue_id, s.id AS section_id, s.position AS a, t.position AS b",
        "AND t.removed_at IS NULL",
    ),
)


def search_tsquery_sql(*, words: bool, grams: bool) -> str:
    """The tsquery of search_sql's `query` and `grams` parameters."""
    tsquery = " && ".join(
        (["websearch_to_tsquery('english', %(query)s)"] if words else [])  # search.CONFIG
        + (["%(grams)s::tsquery"] if grams else [])
    )
    return f"({tsquery or 'NULL::tsquery'})"


def search_match_sql(
    connection: BaseDatabaseWrapper, kind: int, *, full_text: bool, terms: int, tsquery: str
) -> str:
    """The condition a row `t` of one kind (0 issue, 1 section, 2 item) matches: search_sql's."""
    _, title, text, *_ = _SEARCH_KINDS[kind]
    if connection.vendor == "postgresql":
        # The expression Django's icontains writes, which the trigram indexes hold.
        likes = [
            f"(UPPER(t.{title}::text) LIKE UPPER(%(term{n})s) "
            f"OR UPPER(t.{text}::text) LIKE UPPER(%(term{n})s))"
            for n in range(terms)
        ]
    else:
        likes = [
            f"(t.{title} LIKE %(term{n})s ESCAPE '\\' OR t.{text} LIKE %(term{n})s ESCAPE '\\')"
            for n in range(terms)
        ]
    return " AND ".join(([f"t.search_document @@ {tsquery}"] if full_text else []) + likes)


def search_sql(
    connection: BaseDatabaseWrapper,
    *,
    full_text: bool,
    terms: int,
    words: bool = True,
    grams: bool = False,
    bounded: bool = False,
    headline: bool = True,
) -> str:
    """One page of search results, with how many hits there are in all, as one statement.

    Named parameters: `query` (words, for websearch_to_tsquery), `grams` (a tsquery of Chinese,
    Japanese or Korean characters, migration 0010), `term0`… (`terms` LIKE patterns, each
    already escaped and wrapped in %), `candidates` (how many of each kind's newest matches are
    ranked), `per_kind` (how many of those are listed at most), `limit` and `offset` (the page),
    `headline` (ts_headline's options), `window` (bounded).

    `full_text` (PostgreSQL): match the stored vector (`search_document`, GIN index) against
    `words` and/or `grams`, and each term as a substring too. Otherwise every term as a
    substring of the title or the text (trigram indexes on PostgreSQL, the only match on
    SQLite). Each kind ranks its newest `candidates` matches and keeps the best
    `per_kind`; the page is cut from the three lists merged, and only its rows are joined to
    their titles, their anchors' numbers and (full text) their ts_headline. The first row always
    exists and carries the totals; an empty page has NULL in its other columns. It replaces three
    ORM querysets that built up to 600 hits in Python for a page of 20 (bench/RESULTS.md,
    Search, has the figures before and after).

    The newest matches: PostgreSQL's planner reads a common word's backwards along the primary
    key, stopping at `candidates`, and a rare word's from the indexes. That choice rests on its
    estimate of how many rows match, which is wrong when the conditions depend on each other
    (a phrase is estimated as common as its words together; `预训练 transformer` as the product
    of two common substrings, and no row holds both): it then reads the whole table backwards
    (0.6 s for `"open weights"`, 4 s for `预训练 transformer` over 300,000 items). `bounded`
    puts a ceiling on that: the newest `window` rows are read backwards, and only when they
    hold fewer than `candidates` matches are the older ones taken from the indexes.
    """
    postgres = connection.vendor == "postgresql"
    tsquery = search_tsquery_sql(words=words, grams=grams)
    ctes = []
    for kind, (table, _, _, joins, ids, extra) in enumerate(_SEARCH_KINDS):
        issue = "t" if kind == 0 else "i"
        match = search_match_sql(
            connection, kind, full_text=full_text, terms=terms, tsquery=tsquery
        )
        document = "t.search_document AS document" if postgres else "NULL AS document"
        select = (
            f"SELECT t.id AS id, {ids}, {issue}.number AS issue_number, {document} FROM {{rows}} "
            f"t {joins} WHERE {live_sql(connection, issue)} {extra} AND ({match})"
        )
        if bounded:
            # The newest rows first, behind a LIMIT the planner cannot see through; then, only
            # if they hold too few matches, the older ones from the match's own indexes (`id + 0`:
            # neither an order nor a range the primary key gives).
            newest = f"SELECT {{}} FROM {table} ORDER BY id DESC LIMIT %(window)s"
            cut = f"(SELECT MIN(w.id) FROM ({newest.format('id')}) w)"
            recent = select.format(rows=f"({newest.format('*')})")
            ctes.append(f"r{kind} AS ({recent} ORDER BY t.id DESC LIMIT %(candidates)s)")
            ctes.append(
                f"c{kind} AS (SELECT * FROM r{kind} UNION ALL SELECT * FROM ("
                f"{select.format(rows=table)} AND t.id + 0 < {cut} ORDER BY t.id + 0 DESC "
                f"LIMIT (%(candidates)s - (SELECT COUNT(*) FROM r{kind}))) o)"
            )
        else:
            ctes.append(
                f"c{kind} AS ({select.format(rows=table)} ORDER BY t.id DESC LIMIT %(candidates)s)"
            )
        rank = f"ts_rank(c.document, {tsquery})" if postgres and full_text else "0.0"
        ctes.append(
            f"k{kind} AS (SELECT {kind} AS kind, c.id, c.issue_id, c.section_id, c.issue_number, "
            f"c.a, c.b, {rank} AS rank, COUNT(*) OVER () AS found FROM c{kind} c "
            f"ORDER BY rank DESC, c.issue_number DESC, c.a, c.b LIMIT %(per_kind)s)"
        )
    order = "rank DESC, issue_number DESC, kind, a, b"
    text = "CASE p.kind WHEN 0 THEN i.search_text WHEN 1 THEN s.search_text ELSE it.search_text END"
    headline_sql = (
        f"ts_headline('english', {text}, {tsquery}, %(headline)s)"
        if postgres and full_text and headline
        else "NULL"
    )
    return (
        f"WITH {', '.join(ctes)}, "
        "hits AS (SELECT * FROM k0 UNION ALL SELECT * FROM k1 UNION ALL SELECT * FROM k2), "
        f"page AS (SELECT * FROM hits ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s) "
        "SELECT n.total, n.most, p.kind, p.id, p.rank, i.number, i.title, i.plain_title, "
        "i.language, CASE p.kind WHEN 0 THEN i.plain_title WHEN 1 THEN s.search_title "
        "ELSE it.search_title END, "
        f"{text}, {headline_sql}, "
        # Anchors number sections and items by their order, which positions may skip.
        "(SELECT COUNT(*) FROM issues_section s2 "
        "WHERE s2.issue_id = s.issue_id AND s2.position <= s.position), "
        "(SELECT COUNT(*) FROM issues_item i2 "
        "WHERE i2.section_id = it.section_id AND i2.position <= it.position) "
        "FROM (SELECT COUNT(*) AS total, MAX(found) AS most FROM hits) n "
        "LEFT JOIN page p ON TRUE "
        "LEFT JOIN issues_issue i ON i.id = p.issue_id "
        "LEFT JOIN issues_section s ON s.id = p.section_id "
        "LEFT JOIN issues_item it ON p.kind = 2 AND it.id = p.id "
        f"ORDER BY p.{order.replace(', ', ', p.')}"
    )
