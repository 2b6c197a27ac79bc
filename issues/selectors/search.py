"""Search over published issues, sections and items, a page at a time.

Search reads each title and text as the Markdown engine reads it, stored at every render
(migration 0012), never the Markdown. PostgreSQL: full-text search (ranked, snippets from
ts_headline) over a stored vector with a GIN index (0008), which also holds the characters and
pairs of Chinese, Japanese and Korean text (0010); the substring match (trigram indexes) only
when that finds nothing. SQLite: the substring match alone. The SQL is
issues.selectors.sql.search_sql: one statement a page. Snippets are escaped here; only our own
<mark> tags survive.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from issues.models.content import numbered_title, title_carries_number
from issues.selectors.sql import search_sql

MAX_QUERY_LENGTH = 100
MAX_TERMS = 6
MAX_HITS_PER_KIND = 200
# Ranked among the newest this many matches of each kind: a word in most of 300,000 items would
# otherwise be ranked in every one of them on every search (bench/search.py measures it).
MAX_CANDIDATES_PER_KIND = 1000
# Queries whose matches PostgreSQL's planner cannot estimate (search_sql's `bounded`) read at
# most this many of the newest rows of each kind backwards; older matches come from the indexes.
BOUNDED_WINDOW = 5000
# A search the indexes cannot narrow (several fragments, each common, never together) may read
# the whole table: past this, PostgreSQL cancels it and the reader is told so (503).
SEARCH_TIMEOUT_MS = 1500
SNIPPET_CHARS = 90
# ts_headline's markers: characters no text of ours contains, swapped for <mark> after escaping.
START, STOP = "\x02", "\x03"
CONFIG = "english"  # as written in issues.selectors.sql.search_sql and migrations 0008, 0010
PAGE_SIZE = 20
KINDS = ("issue", "section", "item")  # as numbered in search_sql
# Runs of the scripts PostgreSQL's parser does not split into words: Han, kana, Hangul (as in
# migration 0010).
UNSPLIT = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")


@dataclass
class Hit:
    """One match: where it is, what it is called, and its terms in context."""

    issue_number: int
    issue_title: str
    kind: str
    label: str
    title: str
    url: str
    rank: float
    pk: int
    language: str  # the issue's
    snippet: str = ""


def clean_query(raw: str | None) -> str:
    """The query as searched: control characters out, spaces collapsed, length capped."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", raw or "")
    text = " ".join(text.split())[:MAX_QUERY_LENGTH].strip()
    # Only punctuation matches nothing worth showing.
    return text if re.search(r"\w", text) else ""


def query_terms(query: str) -> list[str]:
    return [term for term in (t.strip("\"'") for t in query.split()) if term][:MAX_TERMS]


def highlight(text: str, terms: list[str], *, around: int | None = None) -> SafeString:
    """Escaped text with every term in <mark>; cut to a window around the first match."""
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE) if terms else None
    if around and pattern:
        first = pattern.search(text)
        start = max(0, (first.start() if first else 0) - around // 2)
        end = start + around * 2
        text = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    if not pattern:
        return mark_safe(escape(text))  # escaped just now
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # each part escaped above


def _headline_html(headline: str) -> SafeString:
    escaped = escape(headline)
    return mark_safe(
        escaped.replace(START, "<mark>").replace(STOP, "</mark>")
    )  # escaped before the swap


def cjk_runs(query: str) -> list[str]:
    """The runs of Chinese, Japanese or Korean characters in a query, which PostgreSQL's parser
    does not split into words: searched by their characters and pairs (migration 0010)."""
    return UNSPLIT.findall(query)[:MAX_TERMS]


def grams_query(runs: list[str]) -> str:
    """A tsquery (text) for these runs as migration 0010 stores them: a run of one or two
    characters as itself, a longer one as all its pairs (which may not be neighbours: the
    caller checks the whole run on the rows found)."""
    lexemes = []
    for run in runs:
        lexemes += [run] if len(run) <= 2 else [run[i : i + 2] for i in range(len(run) - 1)]
    # Only characters of UNSPLIT: no quote or backslash to escape.
    return " & ".join(f"'{lexeme}'" for lexeme in dict.fromkeys(lexemes))


def correlated(words: str, runs: list[str]) -> bool:
    """Whether the lexemes searched for depend on each other: the pairs of one Chinese word
    (`预训` and `训练` come together), or several runs, or runs with other words.

    PostgreSQL's planner takes them as independent: `预训练`, in a tenth of 300,000 items, was
    estimated in 1 %, read from the index and sorted (0.4 s). Such a query is searched
    `bounded`, like a phrase (is_phrase).
    """
    return len(runs) > 1 or any(len(run) > 2 for run in runs) or bool(runs and words)


def is_phrase(query: str) -> bool:
    """Whether websearch_to_tsquery makes a phrase of part of the query: words in quotes, or
    joined by punctuation (`fine-tuning`, `v1.2`).

    PostgreSQL's planner misjudges how many rows hold a phrase (as many as hold its words
    together, or as few as if a compound's parts were unrelated), and then reads the whole
    table for its newest matches: 0.6 s for `"open weights"` over 300,000 items, 1.1 s for
    `fine-tuning`. A phrase is searched `bounded` (search_sql) and ranked among its newest
    MAX_HITS_PER_KIND + 1 matches, not MAX_CANDIDATES_PER_KIND.
    """
    return '"' in query or re.search(r"\w[^\w\s]+\w", query) is not None


@dataclass
class SearchPage:
    """One page of results: its hits, and how many there are on all pages."""

    query: str
    hits: list[Hit]
    count: int  # hits listed on all pages: at most MAX_HITS_PER_KIND of each kind
    capped: bool  # more matched than were listed
    number: int
    per_page: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1


class SearchTooCostly(Exception):
    """The database gave up on a search after SEARCH_TIMEOUT_MS."""


def _settings_sql(*, bounded: bool) -> str:
    """The search's planner settings, for its transaction only, in one round trip."""
    settings = {
        # Parallel workers cost more to start than they save on these bounded reads, and a busy
        # site has no idle CPU to give them.
        "max_parallel_workers_per_gather": "0",
        "statement_timeout": str(int(SEARCH_TIMEOUT_MS)),
    }
    if bounded:
        # A bounded search joins at most `candidates` matches of each kind to their sections and
        # issues, but the planner takes a phrase to match thousands of rows and hashes all
        # 20,000 sections for them: 8 ms of `"open weights"`'s 38 (EXPLAIN ANALYZE on the data
        # of bench/search.py, load average 4). Looking each match up by key: 38 to 30 ms
        # median for it; five other bounded queries tried moved about a millisecond either way.
        settings |= {"enable_hashjoin": "off", "enable_mergejoin": "off"}
    calls = ", ".join(f"set_config('{name}', '{value}', true)" for name, value in settings.items())
    return f"SELECT {calls}"


def _run(
    *,
    full_text: bool,
    words: str,
    runs: list[str],
    likes: list[str],
    page: int,
    per_page: int,
) -> tuple[int, int, list[tuple[Any, ...]]]:
    """Totals and the page's rows (search_sql): full text for `words` (websearch syntax) and
    `runs` (cjk_runs), each of `likes` also a substring; or (not full_text) `likes` alone."""
    postgres = connection.vendor == "postgresql"
    if full_text:
        bounded = is_phrase(words) or correlated(words, runs)
    else:  # several substrings: the same misjudgement as correlated()'s
        bounded = postgres and len(likes) > 1
    params: dict[str, Any] = {
        "query": words,
        "grams": grams_query(runs),
        # Substring matches have no rank, so the newest are the best; bounded searches rank
        # fewer (is_phrase). One more than are listed tells whether more matched.
        "candidates": (
            MAX_CANDIDATES_PER_KIND if full_text and not bounded else MAX_HITS_PER_KIND + 1
        ),
        "per_kind": MAX_HITS_PER_KIND,
        "limit": per_page,
        "offset": (page - 1) * per_page,
        "headline": f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12",
        "window": BOUNDED_WINDOW,
    }
    for n, term in enumerate(likes):
        params[f"term{n}"] = f"%{connection.ops.prep_for_like_query(term)}%"
    sql = search_sql(
        connection,
        full_text=full_text,
        words=bool(full_text and words),
        grams=bool(full_text and runs),
        terms=len(likes),
        bounded=bounded,
        # ts_headline marks English words, not these runs: the runs are marked here.
        headline=full_text and not runs,
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if postgres:
                cursor.execute(_settings_sql(bounded=bounded))
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == "57014":  # query_canceled
            raise SearchTooCostly() from error
        raise
    total, most = rows[0][0], rows[0][1] or 0
    return total, most, [row[2:] for row in rows if row[2] is not None]


def search(raw_query: str | None, *, page: int = 1, per_page: int = PAGE_SIZE) -> SearchPage:
    """One page of hits for a query, best first: most relevant, then the newest issue, then
    issues before sections before items, then in the issue's order; with their snippets.

    PostgreSQL: full-text search (English words stemmed; Chinese, Japanese and Korean by their
    characters, migration 0010); only when that finds nothing in a query without Chinese,
    Japanese or Korean, the substring match (a fragment: `transfo`). SQLite: the substring
    match. One statement (two when full-text search finds nothing), whatever the number of
    hits.
    """
    query = clean_query(raw_query)
    if not query or page < 1:
        return SearchPage(query, [], 0, False, page, per_page)
    terms = query_terms(query)
    marks = terms + cjk_runs(query)
    at = {"page": page, "per_page": per_page}
    if connection.vendor == "postgresql":
        words = " ".join(UNSPLIT.sub(" ", query).split())
        words = words if re.search(r"\w", words) else ""
        runs = cjk_runs(query)
        longer = [run for run in runs if len(run) > 2]  # found by their pairs: check the whole
        total, most, rows = _run(full_text=True, words=words, runs=runs, likes=longer, **at)
        if not total and words and not runs:
            total, most, rows = _run(full_text=False, words="", runs=[], likes=terms, **at)
    else:
        total, most, rows = _run(full_text=False, words="", runs=[], likes=terms, **at)
    hits = []
    urls: dict[int, str] = {}
    for row in rows:
        kind, pk, rank, number, issue_title, plain_title, language, title, text, headline = row[:10]
        section_number, item_number = row[10:]
        if number not in urls:
            urls[number] = reverse("issues:detail", kwargs={"number": number})
        url = urls[number]
        label = ""
        if kind == 0:
            title = plain_title or issue_title
            if not title_carries_number(plain_title or issue_title, number):
                label = f"#{number}"
        elif kind == 1:
            label = str(section_number)
            url = f"{url}#section-{section_number}"
        else:
            label = f"{section_number}.{item_number}"
            url = f"{url}#item-{section_number}-{item_number}"
        if headline and START in headline:
            snippet = _headline_html(headline)
        else:
            snippet = highlight(text or "", marks, around=SNIPPET_CHARS)
        hits.append(
            Hit(
                number, numbered_title(plain_title or issue_title, number), KINDS[kind], label,
                title, url, rank, pk, language, snippet,
            )
        )  # fmt: skip
    return SearchPage(query, hits, total, most > MAX_HITS_PER_KIND, page, per_page)
