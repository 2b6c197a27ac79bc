"""Search: published content only, anchors to the item, Chinese, and absurd queries."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.utils import timezone

from issues.models import Section
from tests.factories import make_issue

pytestmark = pytest.mark.django_db


def results(client, query, **params):
    response = client.get("/search/", {"q": query, **params})
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    return soup, soup.select("li.search-hit")


@pytest.fixture
def issues():
    make_issue(
        number=1,
        title="Transformers weekly",
        intro="Attention is all you need, again.",
        sections=[
            (
                "Papers",
                "",
                [("Reformer", "An efficient transformer by [Google](https://g.example).")],
            ),
            (
                "Tools",
                "Libraries we used.",
                [("Tokenizers", "Fast <script>alert(1)</script> code")],
            ),
        ],
    )
    make_issue(
        number=2,
        title="NLP简报",
        language="zh-hans",
        sections=[("📰 出版物", "", [("预训练模型", "本期介绍了一种新的预训练语言模型。")])],
    )
    make_issue(
        number=3,
        published=False,
        title="Draft",
        sections=[("S", "", [("Secret reformer", "unpublished reformer text")])],
    )
    make_issue(
        number=4,
        published_at=timezone.now() + datetime.timedelta(days=1),
        sections=[("S", "", [("Future reformer", "scheduled reformer text")])],
    )


class TestSearch:
    def test_finds_an_item_and_links_to_its_anchor(self, client, issues):
        _, hits = results(client, "reformer")
        links = [hit.a["href"] for hit in hits]
        assert links == ["/issues/1/#item-1-1"]
        assert hits[0].a.get_text(" ", strip=True) == "Reformer"

    def test_drafts_and_scheduled_issues_stay_hidden(self, client, issues):
        soup, hits = results(client, "reformer")
        assert "Secret" not in soup.get_text() and "Future" not in soup.get_text()
        assert all(not hit.a["href"].startswith(("/issues/3/", "/issues/4/")) for hit in hits)

    def test_chinese_finds_chinese_text(self, client, issues):
        _, hits = results(client, "预训练")
        assert [hit.a["href"] for hit in hits] == ["/issues/2/#item-1-1"]
        assert hits[0].select_one(".snippet mark").get_text() == "预训练"

    def test_finds_issues_and_sections(self, client, issues):
        _, hits = results(client, "libraries")
        assert [hit.a["href"] for hit in hits] == ["/issues/1/#section-2"]
        _, hits = results(client, "attention")
        assert [hit.a["href"] for hit in hits] == ["/issues/1/"]

    def test_anchors_follow_the_order_not_the_positions(self, client, issues):
        Section.objects.filter(issue__number=1, title="Tools").update(position=7)
        _, hits = results(client, "tokenizers")
        assert [hit.a["href"] for hit in hits] == ["/issues/1/#item-2-1"]

    def test_snippets_are_escaped(self, client, issues):
        soup, hits = results(client, "tokenizers")
        assert soup.select("li.search-hit script") == []
        assert "<script" in hits[0].get_text()  # shown as text, not run

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="stemming is PostgreSQL's")
    def test_full_text_stems_and_ranks(self, client, issues):
        _, hits = results(client, "transformers")
        assert [hit.a["href"] for hit in hits][:2] == ["/issues/1/", "/issues/1/#item-1-1"]
        assert hits[1].select_one(".snippet mark").get_text().lower() == "transformer"

    def test_results_are_paginated(self, client):
        make_issue(number=9, sections=[("S", "", [(f"Widget {n}", "widget") for n in range(25)])])
        soup, hits = results(client, "widget")
        assert len(hits) == 20
        assert soup.select_one("a[rel=next]")["href"] == "?q=widget&page=2"
        _, hits = results(client, "widget", page=2)
        assert len(hits) == 5

    @pytest.mark.parametrize(
        "query",
        ["", "   ", "!!!???...", "x" * 10_000, "a\x00b", "'\"); DROP TABLE--", "&|!:*<>()"],
    )
    def test_absurd_queries_get_a_clean_page(self, client, issues, query):
        soup, _ = results(client, query)
        assert soup.select_one("h1").get_text() == "Search"

    def test_long_queries_are_cut(self, client, issues):
        soup, _ = results(client, "reformer " + "y" * 10_000)
        assert len(soup.select_one("#site-search-q")["value"]) <= 100

    def test_the_header_has_a_labelled_search_form(self, client):
        soup = BeautifulSoup(client.get("/").content, "html.parser")
        form = soup.select_one("header form[role=search]")
        field = form.select_one("input[name=q]")
        assert form["action"] == "/search/"
        assert soup.select_one(f"label[for={field['id']}]").get_text().strip()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the indexes are PostgreSQL's")
class TestIndexes:
    """Search reads a stored vector through GIN indexes, not one built per row per query."""

    TABLES = {"issues_issue": "intro", "issues_section": "text", "issues_item": "body"}

    def test_each_table_has_a_stored_vector_a_gin_index_and_trigram_indexes(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.columns "
                "WHERE column_name = 'search_document' AND is_generated = 'ALWAYS'"
            )
            assert {row[0] for row in cursor.fetchall()} == set(self.TABLES)
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%search%%'"
            )
            indexes = dict(cursor.fetchall())
        for table, text in self.TABLES.items():
            assert "USING gin (search_document)" in indexes[f"{table}_search_document"]
            for column in ("title", text):
                assert "gin_trgm_ops" in indexes[f"{table}_search_{column}_trgm"]

    def test_the_planner_can_answer_from_the_indexes(self, issues):
        """The match condition, vector and substrings, is one the GIN indexes answer."""
        from django.test.utils import CaptureQueriesContext

        from issues.models import Item
        from issues.selectors.search import _matches, query_terms, search

        with CaptureQueriesContext(connection) as queries:
            search("reformer 预训练")
        assert not any("to_tsvector" in query["sql"] for query in queries)
        # The candidates' subquery reads its own row's vector, not the outer query's (which
        # made every search a nested loop over the whole table).
        assert any("U0.search_document @@" in query["sql"] for query in queries)
        query = "reformer 预训练"
        matches = _matches(
            Item.objects.all(), query=query, terms=query_terms(query), title="title", text="body"
        )
        sql, params = matches.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            # Ten rows: the planner would rather read them all. Forbid that, and see what's left.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        for index in ("search_document", "search_title_trgm", "search_body_trgm"):
            assert f"issues_item_{index}" in plan, plan


class TestCandidates:
    def test_a_common_word_is_ranked_among_its_newest_matches_only(self, client, monkeypatch):
        """A word in most of 300,000 items must not be ranked in each of them per search."""
        from issues.selectors import search as search_module

        monkeypatch.setattr(search_module, "MAX_CANDIDATES_PER_KIND", 3)
        make_issue(number=1, sections=[("S", "", [(f"Widget {n}", "common") for n in range(5)])])
        _, hits = search_module.search("widget")
        assert [hit.title for hit in hits] == ["Widget 2", "Widget 3", "Widget 4"]
