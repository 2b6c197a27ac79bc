"""Footnotes (`text[^1]` and `[^1]: note`): read, numbered, cited, given ids and written out.

No database: issues, sections and items are plain objects, as in tests/test_article.py. The
engines are built again for each test (as in tests/test_engine.py), so that how they are built
is tested too.
"""

import pytest
from bs4 import BeautifulSoup

from issues.text import markdown
from issues.text.article import render_article, render_intro_teaser
from issues.text.citations import CitationNumbering
from issues.text.markdown import (
    WEB,
    html_flavour,
    link_targets,
    parse,
    plain_text,
    render_markdown,
)
from issues.text.summary import first_sentence, html_first_sentence
from tests.test_article import _Fake, _Items


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(markdown, "ENGINE", markdown._build_engine(with_deadline=False))
    monkeypatch.setattr(markdown, "CHECKED_ENGINE", markdown._build_engine(with_deadline=True))


NOTED = "Said so[^1] twice[^a] and again[^1].\n\n[^1]: The first note.\n[^a]: The second.\n"


def soup(html):
    return BeautifulSoup(html, "html.parser")


def rendered(text, **options):
    return parse(text, citations=CitationNumbering(), **options)


class TestNotes:
    def test_references_link_to_notes_listed_after_the_text(self):
        page = soup(rendered(NOTED, anchor="item-2-3").html)
        refs = page.select("p sup.footnote-ref")
        assert [(sup["id"], sup.a["href"], sup.get_text()) for sup in refs] == [
            ("item-2-3-fnref-1", "#item-2-3-fn-1", "1"),
            ("item-2-3-fnref-2", "#item-2-3-fn-2", "2"),
            ("item-2-3-fnref-1-2", "#item-2-3-fn-1", "1"),
        ]
        notes = page.select("section.footnotes > ol.footnotes-list > li")
        assert [li["id"] for li in notes] == ["item-2-3-fn-1", "item-2-3-fn-2"]
        assert notes[0].p.get_text() == "The first note. ↩︎ ↩︎"
        backs = [a["href"] for a in page.select("a.footnote-backref")]
        assert backs == ["#item-2-3-fnref-1", "#item-2-3-fnref-1-2", "#item-2-3-fnref-2"]
        assert page.p.get_text() == "Said so1 twice2 and again1."

    def test_the_html_written_around_notes(self):
        html = rendered("A[^1] B[^1]\n\n[^1]: One.\n[^z]: Two.", anchor="intro").html
        assert html == (
            '<p>A<sup class="footnote-ref" id="intro-fnref-1"><a href="#intro-fn-1">1</a></sup>'
            ' B<sup class="footnote-ref" id="intro-fnref-1-2"><a href="#intro-fn-1">1</a></sup>'
            "</p>\n"
            '<section class="footnotes">\n<ol class="footnotes-list">\n'
            '<li id="intro-fn-1"><p>One. <a href="#intro-fnref-1" class="footnote-backref">↩︎</a>'
            ' <a href="#intro-fnref-1-2" class="footnote-backref">↩︎</a></p>\n</li>\n'
            '<li id="intro-fn-2"><p>Two.</p>\n</li>\n'
            "</ol>\n</section>\n"
        )

    def test_a_note_holds_any_block_as_the_text_does(self):
        text = (
            "A[^1].\n\n[^1]: First line\n    second line  \n    hard break.\n\n"
            "    ```py\n    code\n    ```"
        )
        (note,) = soup(render_markdown(text)).select("section.footnotes li")
        assert note.p.decode_contents() == "First line\nsecond line<br/>\nhard break."
        assert note.pre.get_text() == "code\n"

    def test_a_text_of_notes_alone_starts_with_them(self):
        assert rendered("[^1]: Alone.").text == "¹ Alone."

    def test_without_an_anchor_ids_start_at_fn(self):
        page = soup(render_markdown("x[^1]\n\n[^1]: y"))
        assert page.sup["id"] == "fnref-1" and page.li["id"] == "fn-1"

    def test_a_note_nothing_refers_to_and_a_second_definition_are_still_shown(self):
        text = "A[^1].\n\n[^1]: first\n[^1]: second\n[^z]: alone\n"
        notes = soup(render_markdown(text)).select("section.footnotes li")
        assert [li.get_text(" ", strip=True) for li in notes] == ["first ↩︎", "second", "alone"]

    def test_a_reference_to_no_note_and_inline_notes_stay_text(self):
        assert soup(render_markdown("A[^none] and x^[2] here.")).get_text() == (
            "A[^none] and x^[2] here.\n"
        )

    def test_a_note_of_several_blocks_ends_with_its_links_back(self):
        text = "A[^n].\n\n[^n]: One.\n\n    Two, [l](https://l.example/).\n"
        (note,) = soup(rendered(text).html).select("section.footnotes li")
        paragraphs = note.find_all("p")
        assert [p.get_text() for p in paragraphs] == ["One.", "Two, l[1]. ↩︎"]

    def test_a_note_ending_in_a_list_gets_its_link_back_after_it(self):
        text = "A[^n].\n\n[^n]: - one\n    - two\n"
        (note,) = soup(render_markdown(text)).select("section.footnotes li[id]")
        back = note.select_one("a.footnote-backref")
        assert back.parent is note and back.find_previous("li").get_text() == "two"

    def test_titles_hold_no_notes(self):
        fragment = parse("Title[^1]", inline=True)
        assert fragment.html == "Title[^1]" and not fragment.notes


class TestReadingOrder:
    def test_a_notes_links_are_cited_after_its_text_in_the_order_of_the_notes(self):
        text = (
            "[^b]: B note [b](https://b.example/)\n\n"
            "First [t](https://t.example/)[^a][^b], [u](https://u.example/).\n\n"
            "[^a]: A note [a](https://a.example/)\n"
            "[^c]: C note [c](https://c.example/)\n"
        )
        numbering = CitationNumbering()
        parse(text, citations=numbering)
        assert [(ref.number, ref.url) for ref in numbering.references] == [
            (1, "https://t.example/"),
            (2, "https://u.example/"),
            (3, "https://a.example/"),
            (4, "https://b.example/"),
            (5, "https://c.example/"),
        ]

    def test_an_items_notes_come_before_the_next_item(self):
        items = [
            _Fake(
                title="One",
                body="See[^1] [x](https://x.example/).\n\n[^1]: [n](https://n.example/)",
            ),
            _Fake(title="Two", body="[y](https://y.example/)[^1]\n\n[^1]: [m](https://m.example/)"),
        ]
        sections = [_Fake(title="S", text="", items=_Items(items))]
        issue = _Fake(title="T", intro="", get_absolute_url=lambda: "/issues/1/")
        article = render_article(issue, sections)
        assert [ref.url for ref in article.references] == [
            "https://x.example/",
            "https://n.example/",
            "https://y.example/",
            "https://m.example/",
        ]

    def test_link_targets_include_the_notes(self):
        assert link_targets("A[^1]\n\n[^1]: [j](javascript:alert(1))") == ["javascript:alert(1)"]


class TestOnePage:
    def issue(self):
        items = [_Fake(title=f"Item {n}", body=f"Body {n}[^1].\n\n[^1]: Note {n}.") for n in (1, 2)]
        sections = [_Fake(title="S", text="Text[^1].\n\n[^1]: Section note.", items=_Items(items))]
        issue = _Fake(
            title="T",
            intro="Intro[^1].\n\n[^1]: Intro note.",
            get_absolute_url=lambda: "/issues/4/",
        )
        return issue, sections

    def test_every_id_on_the_page_is_unique_and_every_note_link_lands(self):
        article = render_article(*self.issue())
        section = article.sections[0]
        page = soup(
            article.intro_html
            + section.text_html
            + "".join(item.body_html for item in section.items)
        )
        ids = [tag["id"] for tag in page.find_all(id=True)]
        assert len(ids) == len(set(ids)) == 8
        assert {"intro-fn-1", "section-1-fn-1", "item-1-1-fn-1", "item-1-2-fn-1"} <= set(ids)
        for link in page.select("sup.footnote-ref a, a.footnote-backref"):
            assert link["href"][1:] in ids

    def test_the_same_text_in_two_places_gets_the_ids_of_each(self):
        """Stored texts are read once per process (issue 13): the second item below reuses the
        first one's reading, never its ids, and cites its note's link again in its own place."""
        body = "Same[^1].\n\n[^1]: See [the paper](https://p.example/)."
        items = [_Fake(title=f"Item {n}", body=body) for n in (1, 2)]
        sections = [_Fake(title="S", text="", items=_Items(items))]
        issue = _Fake(title="T", intro="", get_absolute_url=lambda: "/issues/4/")
        article = render_article(issue, sections)
        first, second = article.sections[0].items
        for item, anchor, cite in (
            (first, "item-1-1", "cite-1-1"),
            (second, "item-1-2", "cite-1-2"),
        ):
            page = soup(item.body_html)
            assert page.sup["id"] == f"{anchor}-fnref-1"
            assert page.li["id"] == f"{anchor}-fn-1"
            assert page.li.select_one("sup.citation")["id"] == cite
        assert article.references[0].anchors == ["cite-1-1", "cite-1-2"]

    def test_the_home_pages_teaser_links_its_notes_to_the_issue_page(self):
        issue, _ = self.issue()
        teaser = soup(render_intro_teaser(issue))
        assert teaser.select_one("sup.footnote-ref a")["href"] == "/issues/4/#intro-fn-1"
        assert teaser.select_one("a.footnote-backref")["href"] == "/issues/4/#intro-fnref-1"
        assert not teaser.find_all(id=True)
        assert str(teaser.select_one("sup.footnote-ref")) == (
            '<sup class="footnote-ref"><a href="/issues/4/#intro-fn-1">1</a></sup>'
        )
        assert str(teaser.select_one("section.footnotes li")).startswith("<li><p>Intro note.")


class TestFormats:
    def test_email_links_notes_to_the_web_page_with_inline_styles(self):
        flavour = html_flavour(
            styles={"sup": "font-size:12px;", "a": "color:blue;", "section": "font-size:14px;"},
            base_url="https://news.example/issues/4/",
            link_prefix="https://news.example/issues/4/",
        )
        page = soup(rendered(NOTED, anchor="item-1-1").render(flavour))
        sup = page.select_one("sup.footnote-ref")
        assert sup["style"] == "font-size:12px;"
        assert sup.a["href"] == "https://news.example/issues/4/#item-1-1-fn-1"
        assert sup.a["style"] == "color:blue;"
        assert page.select_one("section.footnotes")["style"] == "font-size:14px;"
        assert page.select_one("li p").get_text() == "The first note. ↩︎ ↩︎"

    def test_a_format_without_a_style_for_notes_gives_them_none(self):
        flavour = html_flavour(styles={"sup": "font-size:12px;"})
        page = soup(rendered(NOTED).render(flavour))
        assert not page.select_one("section.footnotes").has_attr("style")

    def test_unlinked_formats_keep_numbers_and_notes_without_links(self):
        page = soup(rendered(NOTED).render(html_flavour(unlink=True)))
        assert not page.find("a")
        assert [sup.get_text() for sup in page.select("sup.footnote-ref")] == ["1", "2", "1"]
        assert [li.get_text(strip=True) for li in page.select("li")] == [
            "The first note.",
            "The second.",
        ]

    def test_plain_text_shows_notes_numbered_after_the_text(self):
        text = "Hi[^1] [l](https://l.example/).\n\n[^1]: See [m](https://m.example/).\n\n    More."
        assert rendered(text).text == "Hi¹ l[1].\n\n¹ See m[2].\n\nMore."
        assert rendered(
            "x[^1]" * 12 + "\n\n" + "".join(f"[^{n}]: n{n}\n" for n in range(1, 13))
        ).text.endswith("¹¹ n11\n\n¹² n12")

    def test_search_text_holds_the_notes_words_without_numbers(self):
        expected = "Said so twice and again. The first note. The second."
        assert plain_text(NOTED) == expected
        assert rendered(NOTED).search_text == expected

    def test_first_sentences_leave_references_and_notes_out(self):
        assert first_sentence("One note[^1] only\n\n[^1]: Not this.") == "One note only"
        html = rendered(NOTED).render(WEB)
        assert html_first_sentence(html) == "Said so twice and again."


HOSTILE = [
    '"><img src=x onerror=alert(1)>',
    "<script>alert(1)</script>",
    "'onmouseover='alert(1)",
    "javascript:alert(1)",
]


class TestHostileNotes:
    @pytest.mark.parametrize("label", HOSTILE)
    def test_a_label_never_reaches_the_html(self, label):
        label = label.replace(" ", "/")  # a label holds no spaces
        html = render_markdown(f"A[^{label}]\n\n[^{label}]: note <img src=x onerror=alert(1)>")
        page = soup(html)
        assert page.sup["id"] == "fnref-1" and page.li["id"] == "fn-1"
        for tag in page.find_all(True):
            assert not [name for name in tag.attrs if name.startswith("on")]
        assert "<script" not in html and "javascript:" not in html

    def test_editors_cannot_write_ids_that_clobber_notes_or_forge_note_links(self):
        text = (
            'A[^1] <a id="fn-1" name="fnref-1" href="#x">x</a> <li id="fn-1">'
            '<sup class="footnote-ref" id="fnref-1">9</sup>\ue0020.0\ue001\n\n'
            "[^1]: note \ue0030.0\ue001 <section id=footnotes>s</section>"
        )
        page = soup(render_markdown(text))
        assert [tag["id"] for tag in page.find_all(id=True)] == ["fnref-1", "fn-1"]
        assert not page.find_all(attrs={"name": True})
        assert len(page.select("sup.footnote-ref")) == 1
        assert len(page.select("a.footnote-backref")) == 1
        assert len(page.select("section")) == 1
        assert "\ue002" not in page.get_text() and "\ue003" not in page.get_text()


class TestLimits:
    def test_notes_nested_in_notes_past_the_engine_are_refused_not_dropped(self):
        from issues.text.markdown import MAX_NESTING, TextRefused, check_text

        deepest = MAX_NESTING - 3  # definitions the engine reads in full
        check_text("x[^a]\n\n" + "[^a]: " * deepest + "x")
        for depth in (deepest + 1, 5000):
            with pytest.raises(TextRefused, match="too deeply"):
                check_text("x[^a]\n\n" + "[^a]: " * depth + "x")

    def test_quotes_in_a_note_count_the_note_as_a_level(self):
        from issues.text.markdown import MAX_QUOTE_LEVELS, TextRefused, check_text

        check_text("x[^a]\n\n[^a]: " + "> " * (MAX_QUOTE_LEVELS - 1) + "deep")
        with pytest.raises(TextRefused, match="too deeply"):
            check_text("x[^a]\n\n[^a]: " + "> " * MAX_QUOTE_LEVELS + "deep")
