"""The Markdown path and the numbering rules, one by one."""

from bs4 import BeautifulSoup

from issues.text.article import render_article
from issues.text.citations import CitationNumbering, normalize_url
from issues.text.markdown import (
    READINGS,
    _Readings,
    parse,
    render_inline_markdown,
    render_markdown,
)


def cite(*fragments):
    """Cite Markdown fragments in order with one numbering; return (html parts, references)."""
    citations = CitationNumbering()
    parts = [parse(text, citations=citations).html for text in fragments]
    return parts, citations.references


def marks(fragment):
    """The citation numbers after links, in order, as (link text, N)."""
    soup = BeautifulSoup(fragment, "html.parser")
    return [
        (sup.find_previous_sibling("a").get_text(), sup.a.get_text())
        for sup in soup.select("sup.citation")
    ]


class TestRenderMarkdown:
    def test_raw_html_script_is_removed(self):
        html = render_markdown('Hi <script>alert(1)</script><img src=x onerror="alert(1)">')
        soup = BeautifulSoup(html, "html.parser")
        assert soup.find("script") is None
        assert all(not attr.startswith("on") for tag in soup.find_all() for attr in tag.attrs)

    def test_only_http_https_mailto_links_keep_their_href(self):
        html = render_markdown(
            "[a](javascript:alert(1)) [b](https://ok.example) "
            "[c](mailto:x@y.z) [d](data:text/html,x)"
        )
        hrefs = [a.get("href") for a in BeautifulSoup(html, "html.parser").find_all("a")]
        assert hrefs == [None, "https://ok.example", "mailto:x@y.z", None]

    def test_tables_survive(self):
        html = render_markdown("| a | b |\n|---|--:|\n| 1 | 2 |")
        soup = BeautifulSoup(html, "html.parser")
        assert [td.get_text() for td in soup.select("td")] == ["1", "2"]
        assert soup.select("td")[1]["align"] == "right"

    def test_template_syntax_is_text(self):
        html = render_markdown("{{ settings.SECRET_KEY }} {% debug %}")
        assert "{{ settings.SECRET_KEY }}" in BeautifulSoup(html, "html.parser").get_text()

    def test_inline_title_drops_paragraph_but_keeps_link(self):
        assert render_inline_markdown("[Reformer](https://x.org) *now*") == (
            '<a href="https://x.org">Reformer</a> <em>now</em>'
        )

    def test_title_that_reads_as_a_list_stays_text(self):
        assert render_inline_markdown("1. Not a list") == "1. Not a list"


class TestNormalizeUrl:
    def test_scheme_and_host_are_lowercased_but_path_is_not(self):
        assert normalize_url("HTTPS://Example.ORG/Path") == "https://example.org/Path"

    def test_default_ports_are_dropped_others_kept(self):
        assert normalize_url("https://example.org:443/a") == "https://example.org/a"
        assert normalize_url("http://example.org:80/a") == "http://example.org/a"
        assert normalize_url("https://example.org:8443/a") == "https://example.org:8443/a"

    def test_utm_parameters_are_dropped_others_kept(self):
        assert (
            normalize_url("https://x.org/a?utm_source=nl&id=3&UTM_medium=e")
            == "https://x.org/a?id=3"
        )
        assert normalize_url("https://x.org/a?utm_source=nl") == "https://x.org/a"

    def test_empty_path_equals_slash(self):
        assert normalize_url("https://x.org") == normalize_url("https://x.org/")


class TestNumbering:
    def test_numbers_follow_first_appearance(self):
        parts, refs = cite("[b](https://b.org) [a](https://a.org)", "[c](https://c.org)")
        assert marks(parts[0]) == [("b", "[1]"), ("a", "[2]")]
        assert marks(parts[1]) == [("c", "[3]")]
        assert [ref.url for ref in refs] == ["https://b.org", "https://a.org", "https://c.org"]

    def test_repeated_url_keeps_its_first_number(self):
        parts, refs = cite("[a](https://a.org) [b](https://b.org)", "[a again](https://a.org)")
        assert marks(parts[1]) == [("a again", "[1]")]
        assert len(refs) == 2
        assert refs[0].anchors == ["cite-1-1", "cite-1-2"]

    def test_equal_urls_after_normalisation_share_a_number(self):
        parts, refs = cite(
            "[x](https://Example.org/p) [y](https://example.org:443/p?utm_campaign=z)"
        )
        assert marks(parts[0]) == [("x", "[1]"), ("y", "[1]")]
        assert len(refs) == 1

    def test_reference_style_links_and_autolinks_are_cited(self):
        parts, refs = cite("[text][id] and <https://auto.example/x>\n\n[id]: https://ref.example/")
        assert marks(parts[0]) == [("text", "[1]"), ("https://auto.example/x", "[2]")]
        assert [ref.text for ref in refs] == ["text", "https://auto.example/x"]

    def test_code_comments_images_and_mailto_are_not_cited(self):
        parts, refs = cite(
            "`[a](https://code.example)` <!-- [b](https://comment.example) -->\n\n"
            "    [c](https://block.example)\n\n"
            "```\n<https://fence.example>\n```\n\n"
            "![img](https://img.example/a.png) [mail](mailto:a@b.c) [rel](/local)"
        )
        assert refs == []
        assert "sup" not in parts[0]

    def test_link_around_image_uses_alt_text(self):
        _, refs = cite("[![Logo](https://img.example/l.png)](https://site.example)")
        assert [(ref.url, ref.text) for ref in refs] == [("https://site.example", "Logo")]

    def test_the_link_text_stays_a_link_followed_by_the_mark(self):
        parts, _ = cite("See [Reformer](https://r.example).")
        soup = BeautifulSoup(parts[0], "html.parser")
        link = soup.find("a", href="https://r.example")
        assert link.get_text() == "Reformer"
        sup = link.find_next_sibling()
        assert sup.name == "sup" and sup.a["href"] == "#ref-1" and sup["id"] == "cite-1-1"


class TestKeptReadings:
    """A stored text is read once per process; its numbers are given anew at each rendering."""

    def test_the_same_text_takes_the_numbers_of_where_it_stands(self):
        body = "[x](https://x.example) and [x again](https://x.example/?utm_source=a)"
        alone, _ = cite(body)
        later, refs = cite("[w](https://w.example) [x first](https://x.example)", body)
        assert marks(alone[0]) == [("x", "[1]"), ("x again", "[1]")]
        assert marks(later[1]) == [("x", "[2]"), ("x again", "[2]")]
        soup = BeautifulSoup(later[1], "html.parser")
        assert [sup["id"] for sup in soup.select("sup.citation")] == ["cite-2-2", "cite-2-3"]
        assert refs[1].texts == ["x first", "x", "x again"]

    def test_a_removed_item_read_before_still_leaves_its_references_removed(self):
        body = "[gone](https://gone.example)"
        cite(body)  # read once, not removed
        citations = CitationNumbering()
        parse(body, citations=citations, is_removed=True)
        (ref,) = citations.references
        assert ref.is_removed and ref.visible_anchors == []

    def test_rendering_again_reads_only_the_changed_text(self):
        first, second = "First [a](https://a.example).", "Second [b](https://b.example)."
        cite(first, second)
        before = READINGS.misses
        parts, refs = cite("Now [c](https://c.example) first.", first, second)
        assert READINGS.misses == before + 1
        assert marks(parts[1]) == [("a", "[2]")] and marks(parts[2]) == [("b", "[3]")]
        assert [ref.number for ref in refs] == [1, 2, 3]

    def test_the_kept_texts_stay_within_their_length(self):
        kept = _Readings(chars=1_000)
        keys = [(str(n) * 200, False, True) for n in range(4)]  # each counts 300
        for n in range(3):
            kept.put(keys[n], n)
        assert kept.get(keys[0]) == 0  # used: now the most recent
        kept.put(keys[3], 3)
        assert [kept.get(key) for key in keys] == [0, None, 2, 3]  # the least recent went
        assert kept.used == 900


class _Items(list):
    def all(self):
        return self


class _Fake:
    def __init__(self, **fields):
        self.__dict__.update(fields)


class TestRenderIssue:
    def test_reading_order_spans_title_intro_sections_and_items(self):
        issue = _Fake(title="[T](https://t.example)", intro="[I](https://i.example)")
        sections = [
            _Fake(
                title="S [s](https://s.example)",
                text="[st](https://st.example)",
                items=_Items(
                    [
                        _Fake(title="[it](https://it.example)", body="[b](https://b.example)"),
                        _Fake(title="Two", body="[t again](https://t.example)"),
                    ]
                ),
            ),
            _Fake(title="Second", text="", items=_Items([_Fake(title="x", body="")])),
        ]
        rendered = render_article(issue, sections)
        assert [ref.url for ref in rendered.references] == [
            "https://t.example",
            "https://i.example",
            "https://s.example",
            "https://st.example",
            "https://it.example",
            "https://b.example",
        ]
        assert [s.number for s in rendered.sections] == [1, 2]
        assert [i.number for i in rendered.sections[0].items] == ["1.1", "1.2"]
        assert rendered.sections[1].items[0].anchor == "item-2-1"
        assert rendered.sections[0].title_text == "S s"
        assert rendered.references[0].anchors == ["cite-1-1", "cite-1-2"]


class TestTitles:
    """A title is inline text whatever it looks like, and its links are cited."""

    def test_titles_that_read_as_blocks_stay_inline_with_their_link_cited(self):
        for marker in ("1.", "-", ">", "#", "+", "1)"):
            title = f"{marker} [A](https://a.example/)"
            citations = CitationNumbering()
            fragment = parse(title, citations=citations, inline=True)
            soup = BeautifulSoup(fragment.html, "html.parser")
            assert not soup.find(["ol", "ul", "blockquote", "h1", "p"]), title
            assert soup.find("a", href="https://a.example/").get_text() == "A"
            assert marks(fragment.html) == [("A", "[1]")], title
            assert [ref.url for ref in citations.references] == ["https://a.example/"]


class TestTestStrength:
    """Behaviour the README promises that no test used to see break (issue 12)."""

    def test_link_after_an_inline_code_span_is_cited(self):
        parts, refs = cite(
            "`x` and ``y`` then [a](https://a.example/) and `z` [b](https://b.example/)"
        )
        assert marks(parts[0]) == [("a", "[1]"), ("b", "[2]")]
        assert len(refs) == 2

    def test_raw_html_link_inside_code_is_not_cited_but_one_after_it_is(self):
        parts, refs = cite(
            '<code><a href="https://in.example/">in</a></code> '
            '<a href="https://after.example/">after</a>'
        )
        assert [ref.url for ref in refs] == ["https://after.example/"]
        assert marks(parts[0]) == [("after", "[1]")]

    def test_markdown_link_inside_raw_code_is_not_cited(self):
        _, refs = cite("<code>[in](https://in.example/)</code> [out](https://out.example/)")
        assert [ref.url for ref in refs] == ["https://out.example/"]

    def test_multi_line_comment_holding_a_heading_and_a_link_is_neither(self):
        parts, refs = cite(
            "before\n\n<!--\n## heading [x](https://x.example/)\n-->\n\n[y](https://y.example/)"
        )
        soup = BeautifulSoup(parts[0], "html.parser")
        assert soup.find("h2") is None and "heading" not in soup.get_text()
        assert [ref.url for ref in refs] == ["https://y.example/"]

    def test_scheme_relative_link_is_kept_but_not_cited(self):
        parts, refs = cite("[x](//host.example/x)")
        assert refs == []
        assert BeautifulSoup(parts[0], "html.parser").a["href"] == "//host.example/x"

    def test_blank_values_next_to_utm_parameters_are_kept(self):
        assert normalize_url("https://x.example/p?a=&utm_source=z") == "https://x.example/p?a="
        _, refs = cite("[1](https://x.example/p?a=&utm_source=z) [2](https://x.example/p?a=)")
        assert len(refs) == 1 and refs[0].url == "https://x.example/p?a=&utm_source=z"

    def test_user_and_password_stay_part_of_the_identity(self):
        assert normalize_url("https://u:p@Host.example:443/a") == "https://u:p@host.example/a"
        _, refs = cite("[a](https://u:p@host.example/a) [b](https://host.example/a)")
        assert [ref.url for ref in refs] == [
            "https://u:p@host.example/a",
            "https://host.example/a",
        ]

    def test_ampersand_and_less_than_in_cited_text_are_recorded_as_text(self):
        parts, refs = cite(r"[Tom &amp; Jerry & \<3](https://t.example/)")
        assert refs[0].text == "Tom & Jerry & <3"
        assert BeautifulSoup(parts[0], "html.parser").a.get_text() == "Tom & Jerry & <3"

    def test_link_text_is_recorded_from_its_tokens(self):
        _, refs = cite("[**bold** `code`\nnext line](https://t.example/)")
        assert refs[0].text == "bold code next line"

    def test_reference_definitions_with_titles_and_autolinks(self):
        parts, refs = cite('[a][r] <https://auto.example/>\n\n[r]: https://r.example/ "Title"')
        assert [ref.url for ref in refs] == ["https://r.example/", "https://auto.example/"]
        assert BeautifulSoup(parts[0], "html.parser").a["title"] == "Title"


class TestHarmlessTags:
    def test_newsletter_tags_survive_with_markdown_inside_details(self):
        html = render_markdown(
            "<details><summary>More</summary>\n\n*inside* [x](https://x.example/)\n\n</details>\n\n"
            "<u>key</u> <mark>m</mark> <kbd>K</kbd> H<sub>2</sub>O x<sup>2</sup> "
            '<abbr title="HyperText">HTML</abbr>'
        )
        soup = BeautifulSoup(html, "html.parser")
        assert soup.find("details").find("summary").get_text() == "More"
        assert soup.find("details").find("em").get_text() == "inside"
        for tag in ("u", "mark", "kbd", "sub", "sup", "abbr"):
            assert soup.find(tag), tag

    def test_nested_lists_indented_by_two_spaces_stay_nested(self):
        soup = BeautifulSoup(render_markdown("- a\n  - b\n    - c"), "html.parser")
        assert soup.select_one("ul > li > ul > li > ul > li").get_text() == "c"

    def test_gfm_strikethrough_and_task_lists(self):
        soup = BeautifulSoup(render_markdown("~~old~~\n\n- [x] done\n- [ ] todo"), "html.parser")
        assert soup.find("s").get_text() == "old"
        boxes = soup.find_all("input")
        assert [box.get("type") for box in boxes] == ["checkbox", "checkbox"]
        assert all(box.has_attr("disabled") for box in boxes)
        assert [box.has_attr("checked") for box in boxes] == [True, False]

    def test_raw_inputs_other_than_checkboxes_lose_their_type(self):
        soup = BeautifulSoup(
            render_markdown('<input type="text" value="x" onfocus="y">'), "html.parser"
        )
        box = soup.find("input")
        assert box.get("type") is None and not box.get("onfocus") and box.has_attr("disabled")


class TestPlainText:
    def test_text_has_marks_spelt_mailto_and_list_markers(self):
        citations = CitationNumbering()
        fragment = parse(
            "Read [A](https://a.example/).\n\n- one\n- [Write to us](mailto:ed@x.example)\n\n"
            "1. first\n2. second",
            citations=citations,
        )
        assert fragment.text == (
            "Read A[1].\n\n- one\n- Write to us (ed@x.example)\n\n1. first\n2. second"
        )


class TestRawHtml:
    """Links editors write as raw HTML are read as the browser will read them."""

    def test_raw_links_in_one_html_block_are_each_cited_in_place(self):
        parts, refs = cite(
            '<p><a href="https://a.example/"><b>bold</b> text</a> and '
            "<a href='https://b.example/'>b</a></p>"
        )
        assert [(ref.url, ref.text) for ref in refs] == [
            ("https://a.example/", "bold text"),
            ("https://b.example/", "b"),
        ]
        assert marks(parts[0]) == [("bold text", "[1]"), ("b", "[2]")]
        assert "XXXX" not in parts[0] and parts[0].count("<p>") == 1

    def test_links_inside_script_textarea_or_comments_are_not_cited(self):
        _, refs = cite(
            '<div>\n<textarea><a href="https://t.example/">t</a></textarea>\n'
            '<!-- <a href="https://c.example/">c</a> -->\n'
            '<a href="https://after.example/">after</a>\n</div>'
        )
        assert [ref.url for ref in refs] == ["https://after.example/"]

    def test_code_inside_pre_is_left_before_links_count_again(self):
        _, refs = cite(
            '<pre><code>x</code><a href="https://in.example/">in</a></pre>\n\n'
            '<a href="https://out.example/">out</a>'
        )
        assert [ref.url for ref in refs] == ["https://out.example/"]

    def test_editors_cannot_forge_citation_placeholders(self):
        parts, refs = cite("\ue0000\ue001 [a](https://a.example/) \ue000")
        assert len(refs) == 1
        assert marks(parts[0]) == [("a", "[1]")]
        assert "\ue000" not in parts[0] and "\ue001" not in parts[0]


class TestLinkTargets:
    def test_every_target_is_listed_as_written_cited_or_not(self):
        from issues.text.markdown import link_targets

        assert link_targets(
            "[a]( https://a.example/ ) [j](javascript:x) [m](mailto:a@b.c) [r](/rel) "
            '<a href="//host/x">raw</a> `[c](https://code.example/)`'
        ) == ["https://a.example/", "javascript:x", "mailto:a@b.c", "/rel", "//host/x"]


class TestNormalizeUrlSpelling:
    def test_a_query_without_utm_keeps_its_exact_spelling(self):
        assert normalize_url("https://x.example/?b=%7E&a=1+2") == "https://x.example/?b=%7E&a=1+2"

    def test_a_user_without_password_is_kept(self):
        assert normalize_url("https://u@X.example/") == "https://u@x.example/"
        assert normalize_url("https://:p@x.example/") == "https://:p@x.example/"

    def test_a_bad_port_is_ignored_not_an_error(self):
        assert normalize_url("https://x.example:99999/a") == "https://x.example/a"


class TestPlainTextBlocks:
    def text(self, markdown):
        return parse(markdown, citations=CitationNumbering()).text

    def test_nested_lists_are_indented_and_ordered_lists_keep_their_start(self):
        assert self.text("3. three\n4. four\n   - sub\n     - subsub") == (
            "3. three\n4. four\n  - sub\n    - subsub"
        )

    def test_code_is_verbatim_and_tables_are_rows(self):
        assert self.text("```\na  b\n  c\n```\n\n| h | i |\n|---|---|\n| 1 | 2 |") == (
            "a  b\n  c\n\n| h | i\n| 1 | 2"
        )

    def test_inline_pieces(self):
        assert self.text("A ![alt](https://i.example/i.png) `co de` line  \nbreak\nsoft") == (
            "A alt co de line\nbreak soft"
        )

    def test_raw_html_keeps_its_text_and_marks(self):
        assert self.text(
            '<div>\n<a href="https://a.example/">A &amp; B</a>\n</div>\n\n'
            'x <b>bold</b> <a href="https://b.example/">b</a>'
        ) == ("A & B[1]\n\nx bold b[2]")

    def test_headings_quotes_and_rules_are_paragraphs(self):
        assert self.text("#### Head\n\n> quoted\n\n---\n\nend") == "Head\n\nquoted\n\nend"

    def test_a_mailto_link_whose_text_is_the_address_is_not_repeated(self):
        assert self.text("<ed@x.example> and [ed@x.example](mailto:ed@x.example?subject=Hi)") == (
            "ed@x.example and ed@x.example"
        )
