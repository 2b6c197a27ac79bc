"""The engine as it is configured: what each choice in building it promises editors and readers.

The engines are built at import; these tests build them again (the `fresh` fixture) so that the
code building them is what is tested, not only its result from the start of the process (mutation
testing switches a mutant on after the import). No database.
"""

import pytest
from bs4 import BeautifulSoup

from issues.text import markdown
from issues.text.citations import CitationNumbering
from issues.text.markdown import (
    TextRefused,
    check_text,
    html_flavour,
    html_text,
    link_targets,
    parse,
    plain_text,
    render_inline_markdown,
    render_markdown,
)


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(markdown, "ENGINE", markdown._build_engine(with_deadline=False))
    monkeypatch.setattr(markdown, "CHECKED_ENGINE", markdown._build_engine(with_deadline=True))
    monkeypatch.setattr(markdown, "WEB", markdown.Flavour(cleaner=markdown._cleaner()))


def cited(text):
    fragment = parse(text, citations=CitationNumbering())
    return fragment.render(markdown.WEB), fragment


class TestWhatTheEngineReads:
    def test_gfm_tables_with_alignment(self):
        html = render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |", limits=False)
        soup = BeautifulSoup(html, "html.parser")
        assert [td.get("align") for td in soup.find_all("td")] == ["left", "right"]
        assert not soup.td.has_attr("style")

    def test_strikethrough_and_task_lists(self):
        html = render_markdown("~~gone~~\n\n- [x] done\n- [ ] todo")
        assert "<s>gone</s>" in html or "<del>gone</del>" in html
        boxes = BeautifulSoup(html, "html.parser").find_all("input")
        assert [(b["type"], b["disabled"], b.has_attr("checked")) for b in boxes] == [
            ("checkbox", "disabled", True),
            ("checkbox", "disabled", False),
        ]

    def test_raw_html_blocks_are_read_as_html(self):
        html = render_markdown("<details><summary>More</summary>\n\n*inside*\n\n</details>")
        assert html.startswith("<details><summary>More</summary>")
        assert "<em>inside</em>" in html

    def test_link_targets_reach_the_checks_as_written(self):
        targets = link_targets(
            "[a](javascript:alert(1)) [b](HTTP://U.example/A?) [c](https://x.example/ä%20b#) "
            "<https://auto.example/ü?>"
        )
        assert targets == [
            "javascript:alert(1)",
            "HTTP://U.example/A?",
            "https://x.example/ä%20b#",
            "https://auto.example/ü?",
        ]

    def test_autolinks_show_their_url_as_written(self):
        html = render_markdown("<https://xn--bcher-kva.example/ä%20b?>")
        soup = BeautifulSoup(html, "html.parser")
        assert soup.a.get_text() == "https://xn--bcher-kva.example/ä%20b?"
        assert soup.a["href"] == "https://xn--bcher-kva.example/ä%20b?"

    def test_nesting_is_read_to_the_engine_limit(self):
        deep = "> " * markdown.MAX_QUOTE_LEVELS + "deep"
        assert "deep" in render_markdown(deep)
        with pytest.raises(TextRefused, match="too deeply"):
            render_markdown("> " * (markdown.MAX_QUOTE_LEVELS + 1) + "deep")

    def test_citations_are_numbered_and_marked_after_the_link(self):
        html, fragment = cited("[A](https://a.example/) and [B](https://b.example/)")
        assert [m.number for m in fragment.marks] == [1, 2]
        assert html == (
            '<p><a href="https://a.example/">A</a><sup class="citation" id="cite-1-1">'
            '<a href="#ref-1">[1]</a></sup> and <a href="https://b.example/">B</a>'
            '<sup class="citation" id="cite-2-1"><a href="#ref-2">[2]</a></sup></p>\n'
        )

    def test_a_link_text_broken_over_lines_is_one_reference_text(self):
        citations = CitationNumbering()
        parse(
            "[Line one\\\nline two](https://a.example/) [a\nb](https://b.example/)",
            citations=citations,
        )
        assert [ref.text for ref in citations.references] == ["Line one line two", "a b"]

    def test_the_private_mark_characters_are_removed_from_editor_text(self):
        assert render_markdown("a\ue000b\ue001c") == "<p>abc</p>\n"

    def test_inline_titles_cite_whatever_they_look_like(self):
        html = render_inline_markdown("1. [A](https://a.example/)")
        assert html.startswith('1. <a href="https://a.example/">A</a>')


class TestDeadline:
    def test_checked_texts_are_refused_past_the_deadline(self, monkeypatch):
        monkeypatch.setattr(markdown, "RENDER_SECONDS", -1)
        with pytest.raises(TextRefused) as refused:
            check_text("*a* [b](https://b.example/)", what="item 1.1 body")
        assert str(refused.value) == (
            "item 1.1 body takes longer than -1 s to read (thousands of unclosed brackets, "
            "links or emphasis markers?): simplify it"
        )

    def test_a_block_only_text_is_checked_too(self, monkeypatch):
        monkeypatch.setattr(markdown, "RENDER_SECONDS", -1)
        with pytest.raises(TextRefused, match="^the text takes longer"):
            check_text("---")

    def test_stored_texts_are_read_whatever_the_time(self, monkeypatch):
        monkeypatch.setattr(markdown, "RENDER_SECONDS", -1)
        assert render_markdown("*a*", limits=False) == "<p><em>a</em></p>\n"


class TestSanitiser:
    def test_scripts_and_styles_go_with_their_content(self):
        html = render_markdown("<script>alert(1)</script><style>p{}</style>\n\nok")
        assert "alert" not in html and "p{}" not in html and "ok" in html

    def test_attributes_outside_the_allowlist_go(self):
        html = render_markdown('<abbr title="t" onclick="x()" class="c">A</abbr>')
        assert '<abbr title="t">A</abbr>' in html

    def test_only_http_https_and_mailto_links_survive(self):
        html = render_markdown("[a](javascript:x) [b](ftp://f.example/) [c](mailto:a@b.example)")
        hrefs = [a.get("href") for a in BeautifulSoup(html, "html.parser").find_all("a")]
        assert hrefs == [None, None, "mailto:a@b.example"]

    def test_no_rel_is_added_and_relative_links_stay_relative_on_the_web(self):
        html = render_markdown("[a](https://a.example/) [r](/issues/2/)")
        assert '<a href="https://a.example/">a</a>' in html
        assert '<a href="/issues/2/">r</a>' in html

    def test_inputs_other_than_checkboxes_lose_their_type(self):
        html = render_markdown('<input type="text" value="v"> <input type="checkbox" checked>')
        soup = BeautifulSoup(html, "html.parser")
        assert [i.get("type") for i in soup.find_all("input")] == [None, "checkbox"]
        assert [i.get("disabled") for i in soup.find_all("input")] == ["disabled", "disabled"]

    def test_styles_are_set_on_their_tags_only(self):
        flavour = html_flavour(styles={"p": "margin:0", "span": "x:y"})
        html = parse("Text <span>s</span>").render(flavour)
        assert html == '<p style="margin:0">Text s</p>\n'


class TestFlavourMarks:
    def test_default_html_flavour_marks_link_to_the_reference_list_on_the_page(self):
        fragment = parse("[A](https://a.example/)", citations=CitationNumbering())
        assert fragment.render(html_flavour()).endswith(
            '<sup class="citation" id="cite-1-1"><a href="#ref-1">[1]</a></sup></p>\n'
        )

    def test_styled_marks(self):
        fragment = parse("[A](https://a.example/)", citations=CitationNumbering())
        html = fragment.render(html_flavour(styles={"a": "color:red", "sup": "font-size:small"}))
        assert html == (
            '<p><a href="https://a.example/" style="color:red">A</a>'
            '<sup class="citation" id="cite-1-1" style="font-size:small">'
            '<a href="#ref-1" style="color:red">[1]</a></sup></p>\n'
        )

    def test_marks_without_anchors_or_links(self):
        fragment = parse("[A](https://a.example/)", citations=CitationNumbering())
        no_anchor = markdown.Flavour(cleaner=markdown._cleaner(), with_anchors=False)
        assert fragment.render(no_anchor).endswith(
            '<sup class="citation"><a href="#ref-1">[1]</a></sup></p>\n'
        )
        assert fragment.render(html_flavour(unlink=True)) == (
            '<p>A<sup class="citation" id="cite-1-1">[1]</sup></p>\n'
        )


class TestPlainText:
    def test_html_text_of_nothing_is_empty(self):
        assert html_text(None) == ""
        assert html_text("") == ""

    def test_a_mailto_link_reading_as_its_address_in_pieces_is_not_spelt_twice(self):
        fragment = parse("Write to [a@`b.example`](mailto:a@b.example).")
        assert fragment.text == "Write to a@b.example."
        fragment = parse("[Write to us](mailto:a@b.example)")
        assert fragment.text == "Write to us (a@b.example)"

    def test_an_image_is_its_whole_alt_text(self):
        assert parse("![a *b* c](https://a.example/i.png)").text == "a b c"

    def test_a_fence_opening_a_list_item_is_kept(self):
        assert parse("- first\n- ```\n  code\n  ```\n").text == "- first\n-\n\ncode"

    def test_a_second_paragraph_in_a_nested_item_is_its_own_block(self):
        assert parse("- a\n  - b\n\n    more b").text == "- a\n  - b\n\nmore b"

    def test_a_newline_written_as_an_entity_is_a_space(self):
        assert parse("foo&#10;&#10;bar").text == "foo  bar"

    def test_indented_code_is_kept(self):
        assert parse("Text\n\n    code here\n").text == "Text\n\ncode here"

    def test_a_bullet_list_after_an_ordered_list_is_its_own_block(self):
        assert parse("1. one\n\nText.\n\n- two").text == "1. one\n\nText.\n\n- two"


class TestRawHtmlLinks:
    def test_a_link_after_an_upper_case_script_is_cited(self):
        html, fragment = cited('<SCRIPT>x()</SCRIPT> <a href="https://a.example/">A</a>')
        assert [m.number for m in fragment.marks] == [1]
        assert 'A</a><sup class="citation" id="cite-1-1">' in html and "x()" not in html

    def test_a_stray_closing_tag_before_a_style_element(self):
        text = '<div>\n</style><style>p{}</style><a href="https://a.example/">A</a>\n</div>'
        html, fragment = cited(text)
        assert [m.number for m in fragment.marks] == [1]
        assert "p{}" not in html


class TestSearchText:
    def test_one_line_of_what_the_page_shows(self):
        text = (
            "## A `code_x` *title*\n\nSee [the paper](https://a.example/p?x=1) and "
            "![a chart](https://a.example/c.png), or [write](mailto:ed@x.example).\n\n"
            "- one\n- two\n\n```\n# not a heading\n```\n\n<b>bold</b> &amp; <!-- hidden -->"
        )
        assert plain_text(text) == (
            "A code_x title See the paper and a chart, or write (ed@x.example). - one - two "
            "# not a heading bold &"
        )

    def test_nothing(self):
        assert plain_text("") == ""
