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
                [("Tokenizers", "Fast `<script>alert(1)</script>` code")],
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

    def test_reads_the_text_readers_see_not_the_markdown(self, client, issues):
        """A link's URL is not text of the item, and a snippet quotes the link's words."""
        for query in ("g.example", "https"):
            assert results(client, query)[1] == [], query
        _, hits = results(client, "efficient")
        assert hits[0].select_one(".snippet").get_text() == ("An efficient transformer by Google.")

    def test_an_edit_is_searchable_once_saved(self, client, issues):
        from issues.models import Item
        from issues.services.issues import issue_render

        item = Item.objects.get(title="Reformer")
        item.title, item.body = "Performer", "Linear attention by [DeepMind](https://d.example)."
        item.save()
        issue_render(issue=item.section.issue)
        assert results(client, "reformer")[1] == []
        _, hits = results(client, "deepmind")
        assert [hit.a.get_text() for hit in hits] == ["Performer"]

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

    # Each table's title and text columns as search reads them (migration 0012).
    TABLES = {
        "issues_issue": ("plain_title", "search_text"),
        "issues_section": ("search_title", "search_text"),
        "issues_item": ("search_title", "search_text"),
    }

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
        for table, columns in self.TABLES.items():
            assert "USING gin (search_document)" in indexes[f"{table}_search_document"]
            for column in columns:
                assert column in indexes[f"{table}_search_{column}_trgm"]
                assert "gin_trgm_ops" in indexes[f"{table}_search_{column}_trgm"]

    def test_the_planner_can_answer_from_the_indexes(self, issues):
        """Each kind of match is one the GIN indexes answer: words and Chinese characters from
        the stored vector, fragments from the trigram indexes."""
        from django.test.utils import CaptureQueriesContext

        from issues.selectors.search import search
        from issues.selectors.sql import search_match_sql, search_tsquery_sql

        with CaptureQueriesContext(connection) as queries:
            search("reformer 预训练")
        assert not any("to_tsvector" in query["sql"] for query in queries)
        params = {"query": "reformer", "grams": "'预训' & '训练'", "term0": "%预训练%"}
        plans = {}
        for name, full_text in (("full text", True), ("substring", False)):
            tsquery = search_tsquery_sql(words=True, grams=full_text)
            match = search_match_sql(connection, 2, full_text=full_text, terms=1, tsquery=tsquery)
            with connection.cursor() as cursor:
                # Ten rows: the planner would rather read them all. Forbid that, and see what
                # is left (search_sql joins these matches to their sections and issues).
                for method in ("seqscan", "indexscan"):
                    cursor.execute(f"SET LOCAL enable_{method} = off")
                cursor.execute(f"EXPLAIN SELECT t.id FROM issues_item t WHERE {match}", params)
                plans[name] = "\n".join(row[0] for row in cursor.fetchall())
        assert "issues_item_search_document" in plans["full text"], plans["full text"]
        for index in ("search_search_title_trgm", "search_search_text_trgm"):
            assert f"issues_item_{index}" in plans["substring"], plans["substring"]


class TestCandidates:
    @pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking is PostgreSQL's")
    def test_a_common_word_is_ranked_among_its_newest_matches_only(self, monkeypatch):
        """A word in most of 300,000 items must not be ranked in each of them per search."""
        from issues.selectors import search as search_module

        monkeypatch.setattr(search_module, "MAX_CANDIDATES_PER_KIND", 3)
        make_issue(number=1, sections=[("S", "", [(f"Widget {n}", "common") for n in range(5)])])
        page = search_module.search("widget")
        assert [hit.title for hit in page.hits] == ["Widget 2", "Widget 3", "Widget 4"]

    def test_substring_matches_list_the_newest_and_say_there_are_more(self, monkeypatch):
        from issues.selectors import search as search_module

        monkeypatch.setattr(search_module, "MAX_HITS_PER_KIND", 3)
        make_issue(number=1, sections=[("S", "", [(f"Gadget {n}", "x") for n in range(6)])])
        page = search_module.search("gadg")  # a fragment: the substring match, on any database
        assert [hit.title for hit in page.hits] == ["Gadget 2", "Gadget 3", "Gadget 4"]
        assert page.count == 3 and page.capped


def _titles(client, query, **params):
    return [hit.a.get_text(" ", strip=True) for hit in results(client, query, **params)[1]]


def _links(client, query, **params):
    return [hit.a["href"] for hit in results(client, query, **params)[1]]


class TestPages:
    """Only the page shown is fetched: its cost does not grow with the matches."""

    @pytest.fixture
    def many(self):
        # The word once in the text of each issue, section and item (equal ranks): 64 hits.
        sections = [
            (f"Part {s}", "sprocket", [(f"Cog {s}.{i}", "sprocket") for i in range(4)])
            for s in range(1, 13)
        ]
        make_issue(
            number=5,
            title="Older",
            intro="sprocket",
            sections=[("Old part", "sprocket", [("Old cog", "sprocket")])],
        )
        make_issue(number=6, title="Newer", intro="sprocket", sections=sections)

    def test_pages_follow_on_in_one_order(self, client, many):
        """Newest issue first; in an issue, the issue, then its sections, then its items, each
        in the issue's order (section 10 after section 9, not after 1); page after page."""
        pages = [_titles(client, "sprocket", page=n) for n in (1, 2, 3, 4)]
        assert [len(page) for page in pages] == [20, 20, 20, 4]
        listed = [title for page in pages for title in page]
        assert listed == (
            ["Newer"]
            + [f"Part {s}" for s in range(1, 13)]
            + [f"Cog {s}.{i}" for s in range(1, 13) for i in range(4)]
            + ["Older", "Old part", "Old cog"]
        )

    @pytest.mark.parametrize("page", ["abc", "0", "-1", "2.0", "1e3", "", "99"])
    def test_a_page_that_is_not_there_is_a_404(self, client, many, page):
        response = client.get("/search/", {"q": "sprocket", "page": page})
        assert response.status_code == 404

    def test_the_last_page_and_one_past_it(self, client, many):
        soup, hits = results(client, "sprocket", page=4)
        assert len(hits) == 4 and soup.select_one("a[rel=next]") is None
        assert soup.select_one("a[rel=prev]")["href"] == "?q=sprocket&page=3"
        assert client.get("/search/", {"q": "sprocket", "page": 5}).status_code == 404

    def test_empty_states(self, client, many):
        soup, hits = results(client, "")
        assert hits == [] and "Type a word" in soup.get_text()
        soup, hits = results(client, "nothingmatchesthis")
        assert hits == [] and "Nothing published matches" in soup.get_text()
        assert soup.select_one("nav.pagination") is None
        assert client.get("/search/", {"q": "nothingmatchesthis", "page": 2}).status_code == 404

    def test_the_number_of_queries_does_not_grow_with_the_matches(
        self, client, many, django_assert_num_queries
    ):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as one:
            assert len(results(client, "Older")[1]) == 1
        with django_assert_num_queries(len(one)):
            assert len(results(client, "sprocket")[1]) == 20  # of 74
        with django_assert_num_queries(len(one)):
            assert len(results(client, "sprocket", page=3)[1]) == 20

    def test_more_matches_than_listed_are_announced(self, client, many, monkeypatch):
        from issues.selectors import search as search_module

        monkeypatch.setattr(search_module, "MAX_HITS_PER_KIND", 10)
        soup, _ = results(client, "sprocket")
        assert "More matches for “sprocket” than are listed: the best 22." in soup.get_text()
        soup, _ = results(client, "older")
        assert "1 match for “older”." in soup.get_text()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
class TestFullText:
    def test_chinese_words_of_one_or_two_characters_and_latin_glued_to_chinese(
        self, client, issues
    ):
        make_issue(number=7, title="Qwen模型周报", sections=[("研究", "", [("模", "罕见词")])])
        assert _links(client, "罕见") == ["/issues/7/#item-1-1"]
        assert _links(client, "研究") == ["/issues/7/#section-1"]
        assert "/issues/7/#item-1-1" in _links(client, "模")
        # A Latin word glued to Chinese is a word of its own.
        assert _links(client, "qwen") == ["/issues/7/"]
        assert _links(client, "NLP") == ["/issues/2/"]
        # Longer runs are found by their pairs, then checked whole.
        assert _links(client, "训练模") == ["/issues/2/#item-1-1"]
        assert _links(client, "练预") == []

    def test_the_longest_chinese_field_is_stored_and_found(self, client):
        """200,000 characters of Chinese (MAX_FIELD_CHARS) would make a vector past PostgreSQL's
        1 MB: the pairs of the first 20,000 characters are stored (migration 0010)."""
        import random

        from issues.text.limits import MAX_FIELD_CHARS

        rng = random.Random(14)
        body = "罕见词" + "".join(
            chr(0x4E00 + rng.randrange(3000)) for _ in range(MAX_FIELD_CHARS - 3)
        )
        make_issue(number=8, sections=[("S", "", [("长文", body)])])
        assert _links(client, "罕见词") == ["/issues/8/#item-1-1"]

    def test_a_fragment_is_searched_only_when_full_text_finds_nothing(self, client, issues):
        """`transfo` is no word: full text finds nothing, so the substring match runs. The
        word `reformer` is found by full text, and the substring match is not run (it would
        add nothing here; "former" alone would find "Reformer" and "transformer")."""
        assert _links(client, "transfo") == ["/issues/1/", "/issues/1/#item-1-1"]
        assert _links(client, "reformer") == ["/issues/1/#item-1-1"]
        assert _links(client, "former") == ["/issues/1/", "/issues/1/#item-1-1"]

    def test_a_phrase_finds_old_and_new_matches(self, client, monkeypatch):
        """A phrase is read from the newest rows, then from the index for older ones
        (search_sql's `bounded`): whichever holds a match, it is found, and no row twice."""
        from issues.selectors import search as search_module

        monkeypatch.setattr(search_module, "BOUNDED_WINDOW", 2)
        for number in (1, 2, 3):
            bodies = ["weights open", "open weights"] * 2
            items = [(f"Gear {number}.{n}", body) for n, body in enumerate(bodies)]
            make_issue(number=number, sections=[("S", "", items)])
        expected = [f"/issues/{number}/#item-1-{n}" for number in (3, 2, 1) for n in (2, 4)]
        assert _links(client, '"open weights"') == expected

    def test_a_search_the_database_gives_up_on_is_a_clear_503(self, client, issues, monkeypatch):
        from issues.selectors import search as search_module

        monkeypatch.setattr(search_module, "SEARCH_TIMEOUT_MS", 50)
        monkeypatch.setattr(search_module, "search_sql", lambda *a, **k: "SELECT pg_sleep(1)")
        response = client.get("/search/", {"q": "reformer"})
        assert response.status_code == 503
        text = BeautifulSoup(response.content, "html.parser").get_text()
        assert "Searching for “reformer” took too long" in text
