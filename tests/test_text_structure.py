"""What a line means to an issue's structure (issues.text.structure) and the first sentence of a
text (issues.text.summary). No database."""

import pytest

from issues.text.structure import (
    split_icon,
    split_trailing_icon,
    structure_problems,
    track_blocks,
)
from issues.text.summary import first_sentence, html_first_sentence


class TestIcons:
    @pytest.mark.parametrize(
        ("heading", "split"),
        [
            ("📰 Publications", ("📰", "Publications")),
            ("⭐️ Notable Mentions", ("⭐️", "Notable Mentions")),  # with a variation selector
            ("👩‍💻 Code", ("👩‍💻", "Code")),  # joined by a zero-width joiner
            ("👍🏽 Liked", ("👍🏽", "Liked")),  # with a skin tone
            ("👍🏻 Liked", ("👍🏻", "Liked")),  # the lightest and the darkest tones
            ("👍🏿 Liked", ("👍🏿", "Liked")),
            ("📰  Publications  ", ("📰", "Publications")),
            ("C++ news", ("", "C++ news")),
            ("📰", ("", "📰")),  # an icon alone is the title
            ("📰 ", ("", "📰 ")),
            ("News 📰", ("", "News 📰")),
            ("", ("", "")),
            (" News", ("", " News")),
            ("a📰 News", ("", "a📰 News")),
        ],
    )
    def test_leading(self, heading, split):
        assert split_icon(heading) == split

    @pytest.mark.parametrize(
        ("heading", "split"),
        [
            ("Publications 📰", ("📰", "Publications")),
            ("Publications  🚀", ("🚀", "Publications")),
            ("Notable Mentions ⭐️", ("⭐️", "Notable Mentions")),
            ("Rust 1.80", ("", "Rust 1.80")),
            ("📰", ("", "📰")),
            (" 📰", ("", " 📰")),
            ("News 📰x", ("", "News 📰x")),
            ("", ("", "")),
        ],
    )
    def test_trailing(self, heading, split):
        assert split_trailing_icon(heading) == split


def follow(lines):
    """(fence, in_comment) after each line, from the start of a text."""
    fence, in_comment, states = None, False, []
    for line in lines:
        fence, in_comment = track_blocks(line, fence, in_comment)
        states.append((fence, in_comment))
    return states


class TestTrackBlocks:
    def test_a_fence_opens_and_closes_with_its_own_character(self):
        assert follow(["```python", "## inside", "~~~", "```"]) == [
            ("```", False),
            ("```", False),
            ("```", False),
            (None, False),
        ]

    def test_a_longer_fence_needs_as_long_a_closing(self):
        assert follow(["````", "```", "`````"]) == [("````", False), ("````", False), (None, False)]

    def test_tildes_and_indentation(self):
        assert follow(["   ~~~", "x", "   ~~~~"]) == [("~~~", False), ("~~~", False), (None, False)]
        assert follow(["    ```"]) == [(None, False)]  # four spaces: indented code, no fence

    def test_a_closing_line_holds_nothing_but_the_fence(self):
        assert follow(["```", "``` not closed", "```  "]) == [
            ("```", False),
            ("```", False),
            (None, False),
        ]

    def test_comments_open_at_the_start_of_a_line_and_close_at_their_end(self):
        assert follow(["<!--", "## hidden", "still -->", "## shown"]) == [
            (None, True),
            (None, True),
            (None, False),
            (None, False),
        ]
        assert follow(["  <!-- one line -->", "text `<!--` in code"]) == [
            (None, False),
            (None, False),
        ]
        assert follow(["<!---->"]) == [(None, False)]
        assert follow(["<!-- -->x <!--"]) == [(None, False)]

    def test_a_comment_indented_by_up_to_three_spaces_opens_a_block(self):
        assert follow(["   <!--", "## hidden", "-->"]) == [
            (None, True),
            (None, True),
            (None, False),
        ]

    def test_a_comment_after_a_tab_or_text_opens_nothing(self):
        assert follow(["\t<!--", "## shown"]) == [(None, False), (None, False)]  # indented code
        assert follow(["X<!--", "## shown"]) == [(None, False), (None, False)]

    def test_a_comment_inside_a_fence_is_code(self):
        assert follow(["```", "<!--", "```", "## shown"]) == [
            ("```", False),
            ("```", False),
            (None, False),
            (None, False),
        ]

    def test_a_fence_inside_a_comment_is_comment(self):
        assert follow(["<!--", "```", "-->", "x"]) == [
            (None, True),
            (None, True),
            (None, False),
            (None, False),
        ]


class TestStructureProblems:
    def test_headings_that_would_start_a_section_or_item_are_named_with_their_line(self):
        text = "Intro\n## Section\ntext\n###   Item  \n#### deeper is fine\n##no space is text"
        assert structure_problems(text) == [
            "line 2 starts with “##”, which starts a new section or item: use #### or deeper "
            "for headings inside it",
            "line 4 starts with “###”, which starts a new section or item: use #### or deeper "
            "for headings inside it",
        ]

    def test_a_bare_heading_mark_counts_too(self):
        assert structure_problems("a\r\n##\r\nb") == [
            "line 2 starts with “##”, which starts a new section or item: use #### or deeper "
            "for headings inside it"
        ]

    def test_headings_in_code_and_comments_are_text(self):
        assert structure_problems("```\n## code\n```\n<!--\n### hidden\n-->\nok") == []
        assert structure_problems("<!--\ntext\n## hidden\n### hidden\n-->") == []

    def test_an_unclosed_fence_is_named(self):
        assert structure_problems("text\n~~~~\n## in code") == [
            "a code block opened with ~~~~ is never closed"
        ]

    def test_nothing(self):
        assert structure_problems("") == structure_problems(None) == []


class TestFirstSentence:
    @pytest.mark.parametrize(
        ("text", "sentence"),
        [
            ("One. Two.", "One."),
            ("Is it? Yes!", "Is it?"),
            ("Wow! Really.", "Wow!"),
            ("Version 1.80 is out. More.", "Version 1.80 is out."),
            ("See e.g. this. More.", "See e.g. this."),
            ("Smith et al. wrote it. More.", "Smith et al. wrote it."),
            ("No full stop at all", "No full stop at all"),
            ("Ends here.", "Ends here."),
            ("第一句。第二句。", "第一句。"),
            ("真的吗？是的！", "真的吗？"),
            ("好！再见。", "好！"),
            ("A  spaced\n\ntext. Next.", "A spaced text."),
            ("Mr. Smith. Next.", "Mr. Smith."),
            ("", ""),
        ],
    )
    def test_the_first_sentence(self, text, sentence):
        assert first_sentence(text) == sentence

    def test_links_and_marks_are_their_text(self):
        html = (
            '<p>Read <a href="https://a.example/">the paper</a><sup class="citation" '
            'id="cite-1-1"><a href="#ref-1">[1]</a></sup>. Then more.</p>'
        )
        assert html_first_sentence(html) == "Read the paper."
        assert first_sentence("Read [the paper](https://a.example/). Then.") == "Read the paper."

    def test_a_long_latin_sentence_is_cut_at_a_space(self):
        assert (
            first_sentence("word " * 100, limit=50)
            == "word word word word word word word word word…"
        )
        assert first_sentence("abcdefghij " * 3, limit=25) == "abcdefghij abcdefghij…"

    def test_a_cut_drops_trailing_punctuation(self):
        assert first_sentence("aaaa, bbbb; cccc: dddd eeee", limit=12) == "aaaa, bbbb…"
        assert first_sentence("一二三四五，六七八九十，" * 3, limit=12) == "一二三四五，六七八九十…"

    def test_a_cut_keeps_a_word_ending_in_x(self):
        assert first_sentence("aaaX " * 20, limit=12) == "aaaX aaaX…"

    def test_the_stored_html_is_cut_at_200_characters_too(self):
        assert html_first_sentence("<p>" + "a" * 200 + "</p>") == "a" * 200
        assert html_first_sentence("<p>" + "a" * 201 + "</p>") == "a" * 199 + "…"

    def test_a_long_chinese_sentence_is_cut_anywhere(self):
        assert first_sentence("汉" * 300) == "汉" * 199 + "…"

    def test_the_limit_is_inclusive(self):
        assert first_sentence("a" * 200) == "a" * 200
        assert first_sentence("a" * 201) == "a" * 199 + "…"

    def test_a_space_only_in_the_first_half_is_not_a_cut_point(self):
        assert first_sentence("ab " + "c" * 30, limit=20) == "ab " + "c" * 16 + "…"
