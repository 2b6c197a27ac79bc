"""Files as editors have them: headers, heading levels, hand numbers, emoji, bold and link-list
items, the summary, the limits, and the refusals (each with its line)."""

import resource
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from issues.formats.interchange import InterchangeError, decode, parse_issue
from issues.models import Issue
from issues.text.limits import (
    MAX_FIELD_CHARS,
    MAX_ITEMS_PER_ISSUE,
    MAX_LINKS_PER_ISSUE,
    MAX_SECTIONS_PER_ISSUE,
    MAX_TITLE_CHARS,
)

INPUTS = Path(__file__).resolve().parent / "inputs"

JEKYLL = """---
layout: post
title: Week Ending July 16
date: 2023-07-19 00:18:00 -0000
slug: 2023-07-16-update
tags: [a, b]
---

# 1、Developer News 📰

News text.

#### 1.1 First [A](https://a.example/)

Body A.

##### Deeper

#### 1.2 Second 🚀

Body B.

# 2、Release Schedule

#### 2.1 Third

```
# not a section
#### not an item
```
"""


def titles(parsed):
    return [(s.icon, s.title, [i.title for i in s.items]) for s in parsed.sections]


def refused(text, **options):
    with pytest.raises(InterchangeError) as error:
        parse_issue(text, **options)
    return str(error.value)


class TestHeaders:
    def test_jekyll_front_matter_keeps_what_maps_and_lists_the_rest(self):
        parsed = parse_issue(JEKYLL)
        assert parsed.title == "Week Ending July 16"
        assert parsed.published_at.isoformat() == "2023-07-19T00:18:00+00:00"
        assert "not kept: layout, slug, tags" in parsed.decisions
        assert parsed.warnings[0] == "line 2: header field 'layout' is not kept by Digest"

    def test_a_description_becomes_the_intro_of_a_file_without_one(self):
        text = "---\ntitle: T\ndescription: In short.\n---\n## S\n### I\n"
        assert parse_issue(text).intro == "In short."
        kept = parse_issue(text.replace("---\n## S", "---\nOwn intro.\n## S"))
        assert kept.intro == "Own intro." and "not kept: description" in kept.decisions

    def test_a_title_line_is_the_title(self):
        parsed = parse_issue("# My Weekly 12\n\nHello.\n\n## News\n### Item\n")
        assert parsed.title == "My Weekly 12" and parsed.intro == "Hello."
        assert titles(parsed) == [("", "News", ["Item"])]
        assert "title from the `#` line" in parsed.decisions

    def test_title_option_names_a_file_without_a_title(self):
        assert "the issue has no title" in refused("## News\n### Item\n")
        assert parse_issue("## News\n### Item\n", title="Given").title == "Given"

    def test_a_malformed_pelican_header_is_refused_at_its_line(self):
        message = refused("Title: TWiR\nDate: 2015-06-29\nnot a header line\n\n## S\n### I\n")
        assert message.startswith("line 3: a header line must read `Key: value`")

    def test_text_that_merely_starts_with_a_colon_phrase_is_no_header(self):
        parsed = parse_issue("Note: read this.\n\n## S\n### I\n", title="T")
        assert parsed.intro == "Note: read this."


class TestHostileHeaders:
    @pytest.mark.django_db
    def test_the_yaml_alias_bomb_is_refused_at_once_in_bounded_memory(self, tmp_path):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        with pytest.raises(CommandError) as error:
            call_command("import_issue", str(INPUTS / "yaml-alias-bomb.md"), number=1)
        assert time.perf_counter() - started < 1
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KB
        message = str(error.value)
        assert "\n" not in message and len(message) < 300
        assert "line 3: bad front matter: YAML anchors and aliases" in message
        assert not Issue.objects.exists()

    @pytest.mark.parametrize("key", ["title", "number", "date", "language", "description"])
    @pytest.mark.parametrize(("value", "kind"), [("[a, b]", "list"), ("{a: 1}", "mapping")])
    def test_a_scalar_field_with_a_list_or_mapping_is_refused(self, key, value, kind):
        text = f"---\ntitle: T\n{key}: {value}\n---\n## S\n### I\n".replace(
            "title: T\ntitle:", "title:"
        )
        message = refused(text)
        assert f"header field {key!r} must be a single value, not a {kind}" in message
        assert message.startswith(f"line {2 if key == 'title' else 3}:")

    def test_an_alias_to_a_scalar_is_refused_too(self):
        assert "anchors and aliases" in refused("---\ntitle: &t T\nlayout: *t\n---\n")


class TestNumbersAndTitles:
    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("0", "line 3: number 0 is out of range (1 to 2147483647)"),
            ("2147483648", "line 3: number 2147483648 is out of range"),
            ("-1", "line 3: number -1 is not a positive whole number"),
            ("1.5", "line 3: number '1.5' is not a positive whole number"),
        ],
    )
    def test_numbers_outside_the_range_are_refused(self, value, message):
        assert message in refused(f"---\ntitle: T\nnumber: {value}\n---\n## S\n### I\n")

    def test_the_bounds_themselves_are_accepted(self):
        for number in (1, 2_147_483_647):
            text = f"---\ntitle: T\nnumber: {number}\n---\n## S\n### I\n"
            assert parse_issue(text).number == number

    @pytest.mark.parametrize("where", ["issue", "section", "item"])
    def test_the_title_length_boundary(self, where):
        def text(length):
            title = "t" * length
            return {
                "issue": f"---\ntitle: {title}\n---\n## S\n### I\n",
                "section": f"---\ntitle: T\n---\n## {title}\n### I\n",
                "item": f"---\ntitle: T\n---\n## S\n### {title}\n",
            }[where]

        parse_issue(text(MAX_TITLE_CHARS))
        message = refused(text(MAX_TITLE_CHARS + 1))
        assert (
            f"is {MAX_TITLE_CHARS + 1} characters long; the limit is {MAX_TITLE_CHARS}" in message
        )
        assert message.startswith(
            {"issue": "line 2:", "section": "line 4:", "item": "line 5:"}[where]
        )


class TestHeadingLevels:
    def test_the_two_levels_that_structure_the_file(self):
        parsed = parse_issue(JEKYLL)
        assert titles(parsed) == [
            ("📰", "Developer News", ["First [A](https://a.example/)", "Second"]),
            ("", "Release Schedule", ["Third"]),
        ]
        first = parsed.sections[0].items[0]
        assert first.body == "Body A.\n\n#### Deeper"  # one below the item, as Digest writes it
        assert "# not a section\n#### not an item" in parsed.sections[1].items[0].body
        assert parsed.decisions[:2] == [
            "headings `#`/`####`",
            "1 deeper headings moved to `####` and below",
        ]

    def test_a_lone_shallower_heading_after_the_sections_is_one_more_section(self):
        parsed = parse_issue("## A\n### a\n## B\n### b\n# Quote\nWords.\n", title="T")
        assert [s.title for s in parsed.sections] == ["A", "B", "Quote"]

    def test_an_intro_may_open_with_a_deeper_heading(self):
        parsed = parse_issue("#### Contents\n\nx\n\n## A\n### a\n## B\n### b\n", title="T")
        assert parsed.intro.startswith("#### Contents")
        assert [s.title for s in parsed.sections] == ["A", "B"]

    def test_a_blank_line_inside_a_fence_then_a_heading_line_stays_code(self):
        text = "---\ntitle: T\n---\n## S\n### I\n```\nfirst\n\n## still code\n```\n### J\n"
        parsed = parse_issue(text)
        assert titles(parsed) == [("", "S", ["I", "J"])]
        assert "\n\n## still code\n" in parsed.sections[0].items[0].body

    def test_a_multi_line_comment_holding_a_heading_stays_text(self):
        text = "---\ntitle: T\n---\n## S\n### I\n<!--\nnote\n## not a section\n-->\n### J\n"
        parsed = parse_issue(text)
        assert titles(parsed) == [("", "S", ["I", "J"])]
        assert "## not a section" in parsed.sections[0].items[0].body


class TestHandNumbersAndEmoji:
    def test_hand_numbers_in_every_spelling_are_removed(self):
        text = (
            "## 2、Section\n##### 1.3 Title\n##### 3.1 1、WebGPU\n##### (4) Four\n"
            "## 二、Second\n##### 1. Fifth\n"
        )
        parsed = parse_issue(text, title="T")
        assert titles(parsed) == [
            ("", "Section", ["Title", "WebGPU", "Four"]),
            ("", "Second", ["Fifth"]),
        ]
        assert "removed hand numbers from 6 headings" in parsed.decisions

    def test_a_number_that_only_one_heading_of_many_starts_with_stays(self):
        parsed = parse_issue("## S\n### 3.5 GHz chips\n### Other\n### 2019 in review\n", title="T")
        assert [i.title for i in parsed.sections[0].items] == [
            "3.5 GHz chips",
            "Other",
            "2019 in review",
        ]

    def test_trailing_emoji_become_the_icon_or_go(self):
        parsed = parse_issue("## Tools ⚙️\n### Item 🚀\n### Plain\n", title="T")
        assert titles(parsed) == [("⚙️", "Tools", ["Item", "Plain"])]
        assert "trailing emoji of 1 sections became their icon" in parsed.decisions
        assert "removed trailing emoji from 1 item headings" in parsed.decisions


class TestItemsWithoutHeadings:
    def test_bold_paragraphs_are_items(self):
        text = "## News\n\nLead.\n\n**1、First**\n\nBody one.\n\n***2、Second***\nBody two.\n"
        parsed = parse_issue(text, title="T")
        assert titles(parsed) == [("", "News", ["First", "Second"])]
        assert parsed.sections[0].text == "Lead."
        assert [i.body for i in parsed.sections[0].items] == ["Body one.", "Body two."]
        assert "items from bold paragraphs: 2" in parsed.decisions

    def test_a_list_whose_entries_start_with_links_is_items(self):
        text = (
            "# Blogs\n\nRead these:\n\n"
            "* [One](https://one.example/). Why it matters.\n"
            "* [Two](https://two.example/)\n  more about two\n"
            "* <https://three.example/>\n\n"
            "After the list.\n\n"
            "# People\n\n* Ann\n* [Bob](https://bob.example/)\n"
        )
        parsed = parse_issue(text, title="T", allow_flat=True)
        blogs, people = parsed.sections
        assert blogs.text == "Read these:"
        assert [(i.title, i.body) for i in blogs.items] == [
            ("[One](https://one.example/)", "Why it matters."),
            ("[Two](https://two.example/)", "more about two"),
            ("<https://three.example/>", "After the list."),
        ]
        assert people.items == [] and "* Ann" in people.text  # not every entry is a link
        assert "items from lists of links: 3" in parsed.decisions

    def test_link_definitions_follow_the_links_that_use_them(self):
        text = "# A\n\n* [x](https://x.example/) see [the docs][d]\n\n# B\n\nText.\n\n[d]: https://d.example/\n"
        parsed = parse_issue(text, title="T")
        assert parsed.sections[0].items[0].body.endswith("[d]: https://d.example/")
        assert "copied 1 link definitions to the parts that use them" in parsed.decisions


FOOTNOTED = """# News

Intro[^i].

## Section

### One
Text[^1] and [^2].

### Two
More[^2].
```
[^1] in code refers to nothing
[^i]: in code defines nothing
```

[^1]: Note one
    continued

[^2]: Note two

    still two

   not two
[^i]: intro note
[^3]: nobody's
"""


class TestFootnotes:
    def test_notes_go_to_the_parts_that_refer_to_them(self):
        parsed = parse_issue(FOOTNOTED)
        one, two = parsed.sections[0].items
        assert parsed.intro == "Intro[^i].\n\n[^i]: intro note"
        assert one.body == (
            "Text[^1] and [^2].\n\n[^1]: Note one\n    continued\n\n[^2]: Note two\n\n    still two"
        )
        # Note two stays where it is also referred to; notes one and i, and the text between,
        # leave; the note nothing refers to stays.
        assert two.body == (
            "More[^2].\n```\n[^1] in code refers to nothing\n[^i]: in code defines nothing\n```\n\n"
            "[^2]: Note two\n\n    still two\n\n   not two\n[^3]: nobody's"
        )
        assert "footnotes given to the parts that refer to them: 3" in parsed.decisions
        assert not any("link definitions" in decision for decision in parsed.decisions)

    def test_each_part_then_renders_every_note_once(self):
        from issues.text.markdown import render_markdown

        parsed = parse_issue(FOOTNOTED)
        one, two = (render_markdown(item.body) for item in parsed.sections[0].items)
        assert "Note one" in one and "Note one" not in two
        assert two.count("Note two") == 1 and "not two" in two

    def test_a_note_defined_where_it_is_referred_to_stays_and_digests_format_is_untouched(self):
        text = "# T\n\n## S\n\n### A\nx[^1]\n\n[^1]: a\n\n### B\ny[^1]\n\n[^1]: b\n"
        parsed = parse_issue(text)
        assert [item.body for item in parsed.sections[0].items] == [
            "x[^1]\n\n[^1]: a",
            "y[^1]\n\n[^1]: b",
        ]
        own = "---\nnumber: 1\ntitle: T\nlanguage: en\n---\n## S\n### A\nx[^1]\n### B\n[^1]: b\n"
        assert [item.body for item in parse_issue(own).sections[0].items] == ["x[^1]", "[^1]: b"]


class TestPlainNumberedLines:
    def test_a_file_without_headings_uses_its_numbered_lines(self):
        text = (
            "Intro.\n\n1、First ⚙️\n\n1.1 One\n\nBody.\n\n2、Second\n\n2.1 Two\n\nBody.\n3.5 GHz\n"
        )
        parsed = parse_issue(text, title="T")
        assert titles(parsed) == [("⚙️", "First", ["One"]), ("", "Second", ["Two"])]
        assert parsed.sections[1].items[0].body == "Body.\n3.5 GHz"  # not a line of its own
        assert "4 numbered lines read as headings" in parsed.decisions

    def test_one_numbered_line_is_not_enough(self):
        assert refused("Intro.\n\n1、Only\n\ntext\n", title="T").startswith("no section")


class TestFlat:
    def test_no_section_or_no_item_is_refused_with_the_reason(self):
        assert refused("Just text.\n", title="T").startswith("no section: no heading")
        message = refused("## A\ntext\n## B\ntext\n", title="T")
        assert message.startswith("no item: 2 sections (headings `##`)")
        assert "--allow-flat" in message

    def test_allow_flat_imports_it_as_it_is(self):
        parsed = parse_issue("## A\ntext\n## B\ntext\n", title="T", allow_flat=True)
        assert [s.title for s in parsed.sections] == ["A", "B"]


@pytest.mark.django_db
class TestCommand:
    def test_summary_of_every_decision(self, tmp_path, capsys):
        path = tmp_path / "jekyll.md"
        path.write_text(JEKYLL, encoding="utf-8")
        call_command("import_issue", str(path), number=5)
        out, err = capsys.readouterr()
        assert out.strip().endswith("/issues/5/")
        assert err.strip().splitlines()[-1] == (
            f"{path}: 2 sections, 3 items, 1 references; headings `#`/`####`; "
            "1 deeper headings moved to `####` and below; removed hand numbers from 5 headings; "
            "trailing emoji of 1 sections became their icon; "
            "removed trailing emoji from 1 item headings; not kept: layout, slug, tags"
        )

    def test_title_and_allow_flat_options(self, tmp_path):
        path = tmp_path / "flat.md"
        path.write_text("## A\ntext\n", encoding="utf-8")
        with pytest.raises(CommandError, match="no item"):
            call_command("import_issue", str(path), number=1, title="T")
        call_command("import_issue", str(path), number=1, title="Given", allow_flat=True)
        assert Issue.objects.get(number=1).title == "Given"


def many(count, template):
    return "\n".join(template.format(n=n) for n in range(count))


def spread_links(count, per_item=500):
    """`count` links, `per_item` to an item, so that no one field reaches its own limit."""
    return "\n".join(
        f"### I{start}\n"
        + "\n".join(
            f"[l](https://l.example/{n})" for n in range(start, min(count, start + per_item))
        )
        for start in range(0, count, per_item)
    )


class TestLimits:
    def test_too_many_items_is_refused_at_the_first_one_over(self):
        text = "---\ntitle: T\n---\n## S\n" + many(MAX_ITEMS_PER_ISSUE + 1, "### I{n}")
        assert refused(text) == (
            f"line {5 + MAX_ITEMS_PER_ISSUE}: the issue has {MAX_ITEMS_PER_ISSUE + 1:,} items; "
            f"the limit is {MAX_ITEMS_PER_ISSUE:,}"
        )

    def test_too_many_links_is_refused_at_the_line(self):
        text = "---\ntitle: T\n---\n## S\n" + spread_links(MAX_LINKS_PER_ISSUE + 1)
        message = refused(text)
        line = text.split("\n").index(f"[l](https://l.example/{MAX_LINKS_PER_ISSUE})") + 1
        assert message == (
            f"line {line}: the issue has more than {MAX_LINKS_PER_ISSUE:,} links; "
            f"the limit is {MAX_LINKS_PER_ISSUE:,}"
        )

    def test_links_in_code_do_not_count(self):
        fenced = "\n".join(
            f"### I{k}\n```\n" + many(500, "[l](https://l.example/{n})") + "\n```"
            for k in range(MAX_LINKS_PER_ISSUE // 500 + 1)
        )
        assert parse_issue("---\ntitle: T\n---\n## S\n" + fenced).item_count == 11

    def test_too_many_sections_is_refused_at_the_first_one_over(self):
        head = "---\ntitle: T\n---\n"
        text = head + many(MAX_SECTIONS_PER_ISSUE + 1, "## S{n}\n### I")
        assert refused(text) == (
            f"line {4 + 2 * MAX_SECTIONS_PER_ISSUE}: the issue has "
            f"{MAX_SECTIONS_PER_ISSUE + 1:,} sections; the limit is {MAX_SECTIONS_PER_ISSUE:,}"
        )
        at_the_limit = parse_issue(head + many(MAX_SECTIONS_PER_ISSUE, "## S{n}\n### I"))
        assert len(at_the_limit.sections) == MAX_SECTIONS_PER_ISSUE

    def test_a_part_too_long_is_named_by_the_start_of_its_title(self):
        title = "A section title well over forty characters long"
        text = f"---\ntitle: T\n---\n## {title}\n" + "w" * (MAX_FIELD_CHARS + 1) + "\n### I\n"
        assert refused(text).startswith(f"line 4: section {title[:40]!r} is ")

    def test_a_field_too_long_is_refused_at_its_heading(self):
        text = "---\ntitle: T\n---\n## S\n### Big\n" + "word " * (MAX_FIELD_CHARS // 5 + 1)
        message = refused(text)
        assert message.startswith(
            f"line 5: item 'Big' is {MAX_FIELD_CHARS + 5:,} characters long; the limit"
        )

    @pytest.mark.parametrize(
        ("head", "line"),
        [
            ("---\ntitle: T\nnumber: 1\nlanguage: en\n---\n", 6),  # Digest's format
            ("---\ntitle: T\nlayout: post\n---\n\n\n", 7),  # blank lines before the intro
            ("# T\n\n", 3),  # after the `# Title` line
            ("Title: T\nSlug: t\n\n", 4),  # after a Pelican header
        ],
    )
    def test_an_intro_too_long_is_refused_at_its_first_line(self, head, line):
        text = head + "word " * (MAX_FIELD_CHARS // 5 + 1) + "\n## S\n### I\n"
        assert refused(text).startswith(
            f"line {line}: the intro is {MAX_FIELD_CHARS + 5:,} characters long; the limit"
        )

    @pytest.mark.django_db
    def test_an_issue_at_the_limits_imports_in_seconds(self, tmp_path):
        body = "Read [this](https://x.example/{n}) and *that*. " * 4
        text = (
            "---\ntitle: T\nnumber: 1\n---\n## S\n### Long\n"
            + "plain words " * (MAX_FIELD_CHARS // 12 - 10)
            + "\n"
            + "\n".join(f"### Item {n}\n{body.format(n=n)}" for n in range(MAX_ITEMS_PER_ISSUE - 1))
        )
        path = tmp_path / "big.md"
        path.write_text(text, encoding="utf-8")
        # CPU time of this process: the machine is shared, so wall time measures the neighbours.
        started = time.process_time()
        call_command("import_issue", str(path))
        elapsed = time.process_time() - started
        assert Issue.objects.get().citations.count() == MAX_ITEMS_PER_ISSUE - 1
        assert elapsed < 30, f"{elapsed:.1f} s of CPU"


class TestDetailsTheMutantsFound:
    """Behaviour a mutation run (make mutation-interchange) showed no test would see break."""

    def test_the_line_of_an_invalid_byte(self):
        with pytest.raises(InterchangeError) as error:
            decode(b"---\ntitle: T\nbad: \xff\n---\n")
        assert str(error.value) == "line 3: the file is not UTF-8 text (byte 18 is invalid)"

    def test_old_mac_line_endings(self):
        assert decode(b"a\rb\r\nc") == "a\nb\nc"

    def test_a_date_alone_is_midnight_utc(self):
        parsed = parse_issue("---\ntitle: T\ndate: 2024-05-01\n---\n## S\n### I\n")
        assert parsed.published_at.isoformat() == "2024-05-01T00:00:00+00:00"

    def test_language_aliases(self):
        for alias in ("zh", "ZH-CN", "zh_hans"):
            text = f"---\ntitle: T\nlanguage: {alias}\n---\n## S\n### I\n"
            assert parse_issue(text).language == "zh-hans"

    def test_front_matter_errors_name_their_line(self):
        assert refused("---\ntitle: x\n") == (
            "line 1: the front matter opened on line 1 is never closed by ---"
        )
        assert refused("---\ntitle: T\nlayout: post\ntags: [a\n---\n## S\n### I\n").startswith(
            "line 4: bad front matter"
        )

    def test_a_pelican_header_too_long(self):
        header = "".join(
            f"Key{chr(97 + n % 26)}{chr(97 + n // 26)}: {'x' * 94}\n" for n in range(120)
        )
        message = refused(f"Title: T\n{header}\n## S\n### I\n")
        assert message == "line 100: the header is longer than 10,000 characters"

    def test_title_option_over_the_files_title_is_reported(self):
        parsed = parse_issue("---\ntitle: Old\n---\n## S\n### I\n", title="New")
        assert parsed.title == "New" and "title from --title" in parsed.decisions

    def test_a_pelican_summary_becomes_the_intro(self):
        parsed = parse_issue("Title: T\nSummary: In short.\n\n## S\n### I\n")
        assert parsed.intro == "In short."

    def test_every_trailing_emoji_is_counted(self):
        parsed = parse_issue("## A 📰\n### a\n## B 🎓\n### b\n", title="T")
        assert "trailing emoji of 2 sections became their icon" in parsed.decisions

    def test_two_lists_of_links_in_one_section_with_text_between(self):
        text = (
            "## S\n\nLead.\n\n* [A](https://a.example/)\n  more on A\n\nBetween.\n\n"
            "* [B](https://b.example/)\n"
        )
        section = parse_issue(text, title="T").sections[0]
        assert section.text == "Lead."
        assert [(i.title, i.body) for i in section.items] == [
            ("[A](https://a.example/)", "more on A\n\nBetween."),
            ("[B](https://b.example/)", ""),
        ]

    def test_a_link_too_long_for_a_title_opens_the_body(self):
        link = f"[Long read]({'https://long.example/' + 'a' * 300})"
        section = parse_issue(f"## S\n\n* {link}. Why.\n", title="T").sections[0]
        assert [(i.title, i.body) for i in section.items] == [("Long read", f"{link}\n\nWhy.")]

    def test_a_flat_file_in_digests_format_says_so(self):
        message = refused("---\nnumber: 1\ntitle: T\nlanguage: en\n---\n## S\ntext\n")
        assert message == (
            "no item: 1 sections (Digest's format) but no deeper heading, bold paragraph or "
            "list of links reads as an item (pass --allow-flat to import it as is)"
        )

    def test_indented_code_at_the_start_of_a_part_round_trips(self):
        from types import SimpleNamespace

        from issues.formats.interchange import serialize_issue

        item = SimpleNamespace(title="I", body="    code in the body\n\ntext")
        section = SimpleNamespace(title="S", icon="", text="    code first\n\ntext", items=[item])
        issue = SimpleNamespace(
            number=1, title="T", published_at=None, language="en", intro="    intro code"
        )
        parsed = parse_issue(serialize_issue(issue, [section]))
        assert parsed.intro == "    intro code"
        assert parsed.sections[0].text == "    code first\n\ntext"
        assert parsed.sections[0].items[0].body == "    code in the body\n\ntext"

    def test_exactly_the_item_limit_is_accepted(self):
        text = "---\ntitle: T\n---\n## S\n" + many(MAX_ITEMS_PER_ISSUE, "### I{n}")
        assert parse_issue(text).item_count == MAX_ITEMS_PER_ISSUE

    def test_front_matter_that_is_not_a_mapping(self):
        assert refused("---\n- a\n- b\n---\n## S\n### I\n") == (
            "line 2: the front matter must be `key: value` lines"
        )

    def test_a_title_line_above_several_sections_of_the_next_level(self):
        parsed = parse_issue("# Weekly\n\n## A\n### a\n## B\n### b\n")
        assert parsed.title == "Weekly" and [s.title for s in parsed.sections] == ["A", "B"]

    def test_the_description_decision_is_reported(self):
        parsed = parse_issue("---\ntitle: T\ndescription: Short.\n---\n## S\n### I\n")
        assert "intro from the description" in parsed.decisions

    def test_an_item_found_in_section_text_is_refused_at_its_own_line(self):
        text = f"## S\n\n\nLead.\n\n**{'t' * (MAX_TITLE_CHARS + 1)}**\n\nBody.\n"
        assert refused(text, title="T").startswith("line 6: an item title is 301 characters")

    def test_a_numbered_line_at_the_end_of_the_file(self):
        parsed = parse_issue("1、A\n\n1.1 a\n\n2、B\n\n2.1 b", title="T")
        assert [(s.title, [i.title for i in s.items]) for s in parsed.sections] == [
            ("A", ["a"]),
            ("B", ["b"]),
        ]

    def test_list_entries_spanning_lines_with_nested_lists(self):
        text = (
            "## S\n\n* [A](https://a.example/) first\n  - nested\n    more\n"
            "lazy line\n* [B](https://b.example/)\n\n  after a blank\n* [C](https://c.example/)\n"
        )
        items = parse_issue(text, title="T").sections[0].items
        assert [(i.title, i.body) for i in items] == [
            ("[A](https://a.example/)", "first\n- nested\n  more\nlazy line"),
            ("[B](https://b.example/)", "after a blank"),
            ("[C](https://c.example/)", ""),
        ]

    def test_texts_ending_or_starting_with_an_x_keep_it(self):
        parsed = parse_issue("## News\n\nFollow us on X\n\n**1、First**\n\nBody on X\n", title="T")
        assert parsed.sections[0].text == "Follow us on X"
        assert parsed.sections[0].items[0].body == "Body on X"
        text = "# Blogs\n\n* [One](https://one.example/) about X\n* [Two](https://t.example/) X\n"
        text += "\n# More\n\n* [Three](https://three.example/)\n"
        items = parse_issue(text, title="T", allow_flat=True).sections[0].items
        assert [i.body for i in items] == ["about X", "X"]
        text = "# A\n\n* [x](https://x.example/)\n  X marks [the docs][d]\n\n# B\n\n[d]: https://d.example/\n"
        body = parse_issue(text, title="T").sections[0].items[0].body
        assert body == "X marks [the docs][d]\n\n[d]: https://d.example/"

    def test_the_export_header_keeps_the_date_and_long_titles_on_one_line(self):
        import datetime
        from types import SimpleNamespace

        from issues.formats.interchange import serialize_issue

        title = "A title " + "long " * 30
        issue = SimpleNamespace(
            number=7,
            title=title.strip(),
            published_at=datetime.datetime(2024, 5, 1, 8, tzinfo=datetime.UTC),
            language="en",
            intro="",
        )
        text = serialize_issue(issue, [])
        assert text.splitlines()[:5] == [
            "---",
            "number: 7",
            f"title: {title.strip()}",
            "date: '2024-05-01T08:00:00+00:00'",
            "language: en",
        ]
        assert parse_issue(text, allow_flat=True).published_at == issue.published_at

    def test_front_matter_yaml_cannot_read_is_refused_with_a_reason(self):
        # A control character: PyYAML's reader error carries no `problem` of its own.
        assert refused("---\ntitle: T\x07\n---\n## S\n### I\n").endswith(
            "bad front matter: it is not valid YAML"
        )

    def test_every_trailing_emoji_of_items_is_counted(self):
        parsed = parse_issue("## A\n### a 📰\n### b 🎓\n", title="T")
        assert "removed trailing emoji from 2 item headings" in parsed.decisions

    def test_text_before_a_list_of_links_keeps_its_spaces(self):
        text = "## S\n\n  Lead, indented, with a hard break  \n\n* [A](https://a.example/)\n"
        assert parse_issue(text, title="T").sections[0].text == (
            "  Lead, indented, with a hard break  "
        )

    def test_a_long_link_without_text_is_titled_link(self):
        link = f"[]({'https://long.example/' + 'a' * 300})"
        (item,) = parse_issue(f"## S\n\n* {link}\n", title="T").sections[0].items
        assert item.title == "Link"

    def test_items_from_a_list_know_their_lines(self):
        text = "## S\n\nLead.\n\n* [A](https://a.example/)\n* [B](https://b.example/)\n"
        items = parse_issue(text, title="T").sections[0].items
        assert [item.line for item in items] == [5, 6]

    def test_the_no_section_message(self):
        assert refused("Just text.\n", title="T") == (
            "no section: no heading in the file reads as one "
            "(pass --allow-flat to import it as an intro only)"
        )

    def test_the_exported_date_is_in_utc_whatever_the_servers_zone(self, settings):
        import datetime
        from types import SimpleNamespace

        from issues.formats.interchange import serialize_issue

        # Django sets the process's zone (TZ, time.tzset) from TIME_ZONE, here and when changed.
        settings.TIME_ZONE = "Asia/Shanghai"
        published = datetime.datetime(2024, 5, 1, 8, 30, tzinfo=datetime.UTC)
        issue = SimpleNamespace(
            number=1, title="T", published_at=published, language="en", intro=""
        )
        assert "date: '2024-05-01T08:30:00+00:00'\n" in serialize_issue(issue, [])

    def test_two_numbered_sections_with_one_numbered_item_are_enough(self):
        parsed = parse_issue("1、A\n\n1.1 a\n\n2、B\n\nText of B.\n", title="T")
        assert [(s.title, [i.title for i in s.items]) for s in parsed.sections] == [
            ("A", ["a"]),
            ("B", []),
        ]

    def test_a_section_without_a_title_in_digests_format(self):
        text = "---\nnumber: 1\ntitle: T\nlanguage: en\n---\n## S\n### I\n## \n### J\n"
        assert refused(text) == "line 8: a section has no title"

    def test_items_from_lists_of_links_are_counted_over_every_section(self):
        text = "## A\n\n* [a](https://a.example/)\n\n## B\n\n* [b](https://b.example/)\n"
        assert "items from lists of links: 2" in parse_issue(text, title="T").decisions

    def test_the_export_writes_other_scripts_as_they_are(self):
        from types import SimpleNamespace

        from issues.formats.interchange import serialize_issue

        issue = SimpleNamespace(
            number=2, title="NLP简报 Issue #2", published_at=None, language="zh-hans", intro=""
        )
        assert "title: 'NLP简报 Issue #2'\n" in serialize_issue(issue, [])
