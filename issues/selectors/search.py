"""Search over published issues, sections and items.

PostgreSQL: full-text search (ranked, snippets from ts_headline), or'd with a substring match,
because its parser does not split Chinese into words. Each table keeps its document vector in a
generated column, `search_document`, with a GIN index, and the substring match has trigram
indexes (migration 0008): nothing is computed per row to find matches. Elsewhere (SQLite): the
substring match alone. Snippets are escaped here; only our own <mark> tags survive.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.db import connection
from django.db.models import Count, F, Model, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import Expression
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from issues.models import Issue, IssueStatus, Item, Section
from issues.models.content import status_condition

MAX_QUERY_LENGTH = 100
MAX_TERMS = 6
MAX_HITS_PER_KIND = 200
# Ranked among the newest this many matches of each kind: a word in most of 300,000 items would
# otherwise be ranked in every one of them on every search (bench/search.py measures it).
MAX_CANDIDATES_PER_KIND = 1000
SNIPPET_CHARS = 90
# ts_headline's markers: characters no text of ours contains, swapped for <mark> after escaping.
START, STOP = "\x02", "\x03"
CONFIG = "english"


@dataclass
class Hit:
    """One match: where it is, what it is called, and (search_snippets) its terms in context."""

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


def plain(markdown: str) -> str:
    """Markdown reduced to readable text for snippets: link text kept, URLs and markup dropped."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    text = re.sub(r"[#*_`>|]+", " ", text)
    return " ".join(text.split())


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


def _substring_filter(terms: list[str], fields: tuple[str, ...]) -> Q:
    condition = Q()
    for term in terms:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": term})
        condition &= any_field
    return condition


def _search_query(query: str) -> SearchQuery:
    return SearchQuery(query, search_type="websearch", config=CONFIG)


class _Document(Expression):
    """The generated column: weight A for the title, B for the text, in CONFIG (migration 0008).

    Named through the query's own alias for its table, so that it still means this row when
    the query becomes a subquery (RawSQL naming the table would reach the outer query's row).
    """

    output_field = SearchVectorField()

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name_unless_alias(alias)}.search_document", []


def _document(model: type[Model]) -> Expression:
    return _Document()


def _matches(
    queryset: QuerySet[Any], *, query: str, terms: list[str], title: str, text: str
) -> QuerySet[Any]:
    """Matches among `queryset`, annotated with `rank`: the newest MAX_CANDIDATES_PER_KIND.

    The newest by primary key: PostgreSQL's planner then reads a common word's matches backwards
    along the primary key and stops at the limit, and a rare word's from the GIN indexes.
    """
    substring = _substring_filter(terms, (title, text))
    model = queryset.model
    if connection.vendor != "postgresql":
        newest = queryset.filter(substring).order_by("-pk").values("pk")[:MAX_CANDIDATES_PER_KIND]
        return model.objects.filter(pk__in=newest).annotate(rank=Value(0.0))
    search_query = _search_query(query)
    newest = (
        queryset.alias(document=_document(model))
        .filter(Q(document=search_query) | substring)
        .order_by("-pk")
        .values("pk")[:MAX_CANDIDATES_PER_KIND]
    )
    return (
        model.objects.filter(pk__in=newest)
        .alias(document=_document(model))
        .annotate(rank=SearchRank(F("document"), search_query))
    )


# Where each kind's snippet comes from.
SNIPPET_SOURCES = {"issue": (Issue, "intro"), "section": (Section, "text"), "item": (Item, "body")}


def search_snippets(*, hits: list[Hit], query: str) -> list[Hit]:
    """Give these hits (one page of results) their snippets: ts_headline on PostgreSQL.

    Apart from search(), so that a page costs 20 headlines, not one per match (ts_headline
    parses the whole text). At most one query per kind.
    """
    terms = query_terms(query)
    texts = {}
    for kind, (model, text) in SNIPPET_SOURCES.items():
        pks = [hit.pk for hit in hits if hit.kind == kind]
        if not pks:
            continue
        rows = model._default_manager.filter(pk__in=pks)
        if connection.vendor == "postgresql":
            headline = SearchHeadline(
                text,
                _search_query(query),
                config=CONFIG,
                start_sel=START,
                stop_sel=STOP,
                max_words=30,
                min_words=12,
            )
            rows = rows.annotate(headline=headline).values_list("pk", text, "headline")
        else:
            rows = rows.annotate(headline=Value("")).values_list("pk", text, "headline")
        texts.update({(kind, pk): (body, headline) for pk, body, headline in rows})
    for hit in hits:
        body, headline = texts.get((hit.kind, hit.pk), ("", ""))
        if START in (headline or ""):
            hit.snippet = _headline_html(plain(headline))
        else:
            hit.snippet = highlight(plain(body), terms, around=SNIPPET_CHARS)
    return hits


def search(raw_query: str | None) -> tuple[str, list[Hit]]:
    """Hits for a query, best first: most relevant, then the newest issue; no snippets yet."""
    query = clean_query(raw_query)
    if not query:
        return query, []
    terms = query_terms(query)
    hits = []

    issues = _matches(
        Issue.objects.published(),
        query=query,
        terms=terms,
        title="title",
        text="intro",
    ).order_by("-rank", "-number")
    # Only what a hit shows: an issue row carries its whole rendered page.
    issues = issues.only("number", "title", "plain_title", "language")[:MAX_HITS_PER_KIND]
    urls = {}

    def issue_url(issue: Issue) -> str:
        if issue.number not in urls:
            urls[issue.number] = issue.get_absolute_url()
        return urls[issue.number]

    for issue in issues:
        hits.append(
            Hit(
                issue.number, issue.numbered_title, "issue",
                "" if issue.title_carries_number else f"#{issue.number}",
                issue.plain_title or plain(issue.title), issue_url(issue), issue.rank, issue.pk,
                issue.language,
            )
        )  # fmt: skip

    # Anchors number sections and items by their order, which positions may skip.
    section_number = Subquery(
        Section.objects.filter(issue=OuterRef("issue"), position__lte=OuterRef("position"))
        .values("issue")
        .annotate(n=Count("pk"))
        .values("n")
    )
    sections = (
        _matches(
            Section.objects.filter(status_condition(IssueStatus.PUBLISHED, prefix="issue__")),
            query=query,
            terms=terms,
            title="title",
            text="text",
        )
        .annotate(number=section_number)
        .select_related("issue")
        .only(
            "title",
            "position",
            "issue__number",
            "issue__title",
            "issue__plain_title",
            "issue__language",
        )
        .order_by("-rank", "-issue__number", "position")[:MAX_HITS_PER_KIND]
    )
    for section in sections:
        issue = section.issue
        hits.append(
            Hit(
                issue.number, issue.numbered_title, "section", str(section.number),
                plain(section.title), f"{issue_url(issue)}#section-{section.number}",
                section.rank, section.pk, issue.language,
            )
        )  # fmt: skip

    item_number = Subquery(
        Item.objects.filter(section=OuterRef("section"), position__lte=OuterRef("position"))
        .values("section")
        .annotate(n=Count("pk"))
        .values("n")
    )
    item_section_number = Subquery(
        Section.objects.filter(
            issue=OuterRef("section__issue"), position__lte=OuterRef("section__position")
        )
        .values("issue")
        .annotate(n=Count("pk"))
        .values("n")
    )
    items = (
        _matches(
            # Items the moderators removed leave search too.
            Item.objects.filter(
                status_condition(IssueStatus.PUBLISHED, prefix="section__issue__"),
                removed_at__isnull=True,
            ),
            query=query,
            terms=terms,
            title="title",
            text="body",
        )
        .annotate(number=item_number, section_number=item_section_number)
        .select_related("section__issue")
        .only(
            "title",
            "position",
            "section__position",
            "section__issue__number",
            "section__issue__title",
            "section__issue__plain_title",
            "section__issue__language",
        )
        .order_by("-rank", "-section__issue__number", "section__position", "position")[
            :MAX_HITS_PER_KIND
        ]
    )
    for item in items:
        issue = item.section.issue
        label = f"{item.section_number}.{item.number}"
        hits.append(
            Hit(
                issue.number, issue.numbered_title, "item", label, plain(item.title),
                f"{issue_url(issue)}#item-{item.section_number}-{item.number}",
                item.rank, item.pk, issue.language,
            )
        )  # fmt: skip

    kind_order = {"issue": 0, "section": 1, "item": 2}
    hits.sort(key=lambda hit: (-hit.rank, -hit.issue_number, kind_order[hit.kind], hit.label))
    return query, hits
