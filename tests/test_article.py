"""The issue as one structure (issues.text.article): numbering across fragments, formats, limits.

No database: issues, sections and items are plain objects, as the text modules need nothing else.
"""

from bs4 import BeautifulSoup

from issues.text.article import (
    MAX_LINKS_PER_ISSUE,
    article_problems,
    render_article,
    render_intro_teaser,
)
from issues.text.citations import CitationNumbering
from issues.text.markdown import MAX_TEXT_CHARS, html_flavour


class _Items(list):
    def all(self):
        return self


class _Fake:
    def __init__(self, **fields):
        self.__dict__.update(fields)


def issue(title="[T](https://t.example/)", intro="Intro [i](https://i.example/).", items=None):
    items = items or [
        _Fake(title="1. [A](https://a.example/)", body="Body [b](https://b.example/)."),
        _Fake(title="Two", body="[Mail us](mailto:ed@x.example) and [t](https://t.example/)"),
    ]
    sections = [_Fake(title="S [s](https://s.example/)", text="Text.", items=_Items(items))]
    return _Fake(title=title, intro=intro, get_absolute_url=lambda: "/issues/9/"), sections


class TestRenderArticle:
    def test_titles_are_inline_and_cited(self):
        rendered = render_article(*issue())
        assert rendered.title_html.startswith('<a href="https://t.example/">T</a><sup')
        item = rendered.sections[0].items[0]
        assert item.title_html.startswith('1. <a href="https://a.example/">A</a>')
        assert item.title_text == "1. A"
        assert rendered.title_text == "T"
        assert rendered.sections[0].title_text == "S s"

    def test_numbers_and_anchors(self):
        rendered = render_article(*issue())
        assert [ref.url for ref in rendered.references] == [
            "https://t.example/",
            "https://i.example/",
            "https://s.example/",
            "https://a.example/",
            "https://b.example/",
        ]
        assert rendered.references[0].anchors == ["cite-1-1", "cite-1-2"]
        assert [i.anchor for i in rendered.sections[0].items] == ["item-1-1", "item-1-2"]
        assert rendered.sections[0].anchor == "section-1"

    def test_reference_titles_are_applied_by_identity(self):
        titles = {"https://a.example/": "Editor's A"}
        rendered = render_article(*issue(), reference_titles=titles)
        assert [ref.display_title for ref in rendered.references][3] == "Editor's A"
        assert rendered.references[0].display_title == "T"

    def test_removed_items_keep_numbers_and_mark_their_only_references(self):
        items = [
            _Fake(title="Gone", body="[g](https://g.example/) [k](https://k.example/)",
                  is_removed=True),
            _Fake(title="Kept", body="[k](https://k.example/) [n](https://n.example/)"),
        ]  # fmt: skip
        rendered = render_article(*issue(title="T", intro="", items=items))
        by_url = {ref.url: ref for ref in rendered.references}
        assert by_url["https://g.example/"].is_removed
        assert not by_url["https://k.example/"].is_removed
        assert by_url["https://k.example/"].visible_anchors == ["cite-3-2"]
        assert by_url["https://n.example/"].number == 4
        assert rendered.sections[0].items[0].is_removed

    def test_plain_text_format_has_marks_and_spelt_mailto(self):
        text = render_article(*issue()).in_format(None)
        assert text.title_html == "T[1]"
        assert text.intro_html == "Intro i[2]."
        assert text.sections[0].title_html == "S s[3]"
        assert text.sections[0].text_html == "Text."
        assert text.sections[0].items[0].title_html == "1. A[4]"
        assert text.sections[0].items[1].body_html == "Mail us (ed@x.example) and t[1]"

    def test_html_formats_share_targets_and_differ_in_marks(self):
        rendered = render_article(*issue())
        email = rendered.in_format(
            html_flavour(styles={"a": "color:blue", "sup": "x:y"}, link_prefix="https://n/9/")
        )
        wechat = rendered.in_format(html_flavour(unlink=True))
        soup = BeautifulSoup(email.intro_html, "html.parser")
        assert soup.a["href"] == "https://i.example/" and soup.a["style"] == "color:blue"
        assert soup.sup["style"] == "x:y" and soup.sup["id"] == "cite-2-1"
        assert soup.sup.a["href"] == "https://n/9/#ref-2"
        soup = BeautifulSoup(wechat.sections[0].items[1].body_html, "html.parser")
        assert soup.find("a") is None
        assert soup.get_text().strip() == "Mail us (ed@x.example) and t[1]"
        # The web page's fragments are untouched by other formats.
        assert rendered.intro_html.count('href="#ref-2"') == 1

    def test_teaser_links_marks_to_the_issue_page_without_anchors(self):
        teaser = render_intro_teaser(issue()[0])
        soup = BeautifulSoup(teaser, "html.parser")
        assert soup.sup.a["href"] == "/issues/9/#ref-2"
        assert not soup.sup.has_attr("id")


class TestArticleProblems:
    def test_a_good_issue_has_none(self):
        assert article_problems(*issue()) == []

    def test_each_place_is_named(self):
        long = "a" * (MAX_TEXT_CHARS + 1)
        items = [_Fake(title="ok", body=long)]
        problems = article_problems(*issue(intro=long, items=items))
        assert problems == [
            "the intro is 200,001 characters long; the limit is 200,000",
            "item 1.1 body is 200,001 characters long; the limit is 200,000",
        ]

    def test_nesting_is_named_with_its_place(self):
        items = [_Fake(title="ok", body="> " * 30 + "x")]
        assert article_problems(*issue(items=items)) == [
            "item 1.1 body nests lists or quotes too deeply "
            "(at most 8 levels of lists, 17 of quotes): flatten it"
        ]

    def test_the_whole_issue_has_a_size_and_a_link_limit(self):
        body = "a" * 150_000
        items = [_Fake(title="t", body=body) for _ in range(7)]
        assert article_problems(*issue(items=items)) == [
            "the issue's texts are 1,050,090 characters long; the limit is 1,000,000"
        ]
        links = " ".join(f"<https://l{n}.example/>" for n in range(MAX_LINKS_PER_ISSUE // 10))
        items = [_Fake(title="t", body=links) for _ in range(10)]
        assert article_problems(*issue(items=items)) == [
            "the issue has 5,003 links; the limit is 5,000"
        ]


def test_the_text_modules_import_nothing_else_of_the_app():
    import ast
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "issues" / "text"
    imported = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    app = {name for name in imported if name.split(".")[0] in ("issues", "digest")}
    assert app and all(name.startswith("issues.text.") for name in app), app
    assert not {name for name in imported if name.split(".")[0] == "django"}


class TestMutationSurvivors:
    """Behaviour the first mutation runs showed no fast test would see break."""

    def test_section_titles_are_inline_and_sections_and_items_keep_their_objects(self):
        items = [_Fake(title="t", body="")]
        the_issue, sections = issue(items=items)
        sections[0].title = "1. [S](https://s.example/)"
        rendered = render_article(the_issue, sections)
        assert rendered.sections[0].title_html.startswith('1. <a href="https://s.example/">')
        assert rendered.sections[0].section is sections[0]
        assert rendered.sections[0].items[0].item is items[0]

    def test_a_link_only_in_a_removed_item_title_is_a_removed_reference(self):
        items = [_Fake(title="[g](https://g.example/)", body="", is_removed=True)]
        rendered = render_article(*issue(title="T", intro="", items=items))
        by_url = {ref.url: ref for ref in rendered.references}
        assert by_url["https://g.example/"].is_removed
        assert by_url["https://g.example/"].visible_anchors == []

    def test_limits_are_inclusive_and_the_title_is_a_place(self):
        exact = "a" * MAX_TEXT_CHARS
        assert article_problems(*issue(intro=exact)) == []
        assert article_problems(*issue(title=exact + "a")) == [
            "the issue title is 200,001 characters long; the limit is 200,000"
        ]
        body = "a" * 199_990
        items = [_Fake(title="", body=body) for _ in range(5)]
        the_issue, sections = issue(title="", intro="", items=items)
        sections[0].title = ""
        sections[0].text = "a" * (1_000_000 - 5 * 199_990)
        assert article_problems(the_issue, sections) == []
        links = " ".join(f"<https://l{n}.example/>" for n in range(500))
        items = [_Fake(title="", body=links) for _ in range(10)]
        the_issue, sections = issue(title="", intro="", items=items)
        sections[0].title = ""
        assert article_problems(the_issue, sections) == []

    def test_model_sections_are_read_through_all(self):
        the_issue, sections = issue(items=[_Fake(title="t", body="> " * 30 + "x")])
        assert isinstance(sections[0].items, _Items)  # has .all(), as a related manager
        assert article_problems(the_issue, sections)[0].startswith("item 1.1 body nests")

    def test_the_teaser_numbers_as_the_page_whatever_the_title_holds(self):
        the_issue, sections = issue(title="<!-- draft --> [T](https://t.example/)")
        page = render_article(the_issue, sections)
        assert 'href="#ref-2"' in page.intro_html
        assert render_intro_teaser(the_issue) == (
            '<p>Intro <a href="https://i.example/">i</a><sup class="citation">'
            '<a href="/issues/9/#ref-2">[2]</a></sup>.</p>\n'
        )

    def test_sections_may_hold_plain_lists_of_items_or_managers(self):
        deep = _Fake(title="t", body="> " * 30 + "x")
        the_issue, sections = issue(items=[deep])
        sections[0].items = [deep]
        assert article_problems(the_issue, sections)[0].startswith("item 1.1 body nests")

        class Manager:  # a related manager: not iterable itself
            def all(self):
                return [deep]

        sections[0].items = Manager()
        assert article_problems(the_issue, sections)[0].startswith("item 1.1 body nests")


class TestCitationNumbering:
    def test_every_citation_is_recorded_with_its_text_and_spelling(self):
        numbering = CitationNumbering()
        first = numbering.cite("https://a.example/x?utm_source=z", "A")
        second = numbering.cite("HTTPS://A.example/x", "again A")
        (ref,) = numbering.references
        assert (first.number, second.number) == (1, 1)
        assert ref.texts == ["A", "again A"]
        assert ref.urls == ["https://a.example/x?utm_source=z", "HTTPS://A.example/x"]
        assert ref.url == "https://a.example/x?utm_source=z"
        assert ref.visible_anchors == ["cite-1-1", "cite-1-2"] and not ref.is_removed


class TestFlavours:
    def test_without_styles_marks_carry_no_style(self):
        fragment_html = render_article(*issue()).in_format(html_flavour()).intro_html
        soup = BeautifulSoup(fragment_html, "html.parser")
        assert not soup.sup.has_attr("style") and not soup.sup.a.has_attr("style")

    def test_email_makes_relative_links_absolute_and_leaves_absolute_ones(self):
        items = [_Fake(title="t", body="[rel](/local/p?a) [abs](HTTP://U.example/A?)")]
        flavour = html_flavour(base_url="https://news.example/issues/9/")
        body = render_article(*issue(items=items)).in_format(flavour).sections[0].items[0]
        hrefs = [a["href"] for a in BeautifulSoup(body.body_html, "html.parser").select("p > a")]
        assert hrefs == ["https://news.example/local/p?a", "HTTP://U.example/A?"]

    def test_task_list_boxes_survive_every_html_flavour_disabled(self):
        flavour = html_flavour(unlink=True, styles={"p": "margin:0"})
        items = [_Fake(title="t", body="- [x] done\n- [ ] todo")]
        body = render_article(*issue(items=items)).in_format(flavour).sections[0].items[0]
        boxes = BeautifulSoup(body.body_html, "html.parser").find_all("input")
        assert [(b.get("type"), b.has_attr("disabled")) for b in boxes] == [("checkbox", True)] * 2

    def test_unsafe_schemes_are_dropped_in_every_flavour(self):
        items = [_Fake(title="t", body="[x](javascript:alert(1)) [y](https://y.example/)")]
        for flavour in (html_flavour(), html_flavour(base_url="https://n.example/")):
            body = render_article(*issue(items=items)).in_format(flavour).sections[0].items[0]
            links = BeautifulSoup(body.body_html, "html.parser").select("p > a")
            assert [a.get("href") for a in links] == [None, "https://y.example/"]


class TestPlainTextEdges:
    def text(self, body):
        items = [_Fake(title="t", body=body)]
        return render_article(*issue(items=items)).in_format(None).sections[0].items[0].body_html

    def test_lists_after_nested_lists_and_indented_code(self):
        assert self.text("- a\n  - b\n- c\n\nafter\n\n1. one\n\n    code  here\n") == (
            "- a\n  - b\n- c\n\nafter\n\n1. one\n\ncode  here"
        )

    def test_paragraph_edges_are_kept(self):
        assert self.text("XX start\n\nend XX") == "XX start\n\nend XX"
