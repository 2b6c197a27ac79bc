"""The issue as one structure: its texts read once, in reading order, with one numbering.

`render_article` is what every format of an issue is written from (the page, the feeds through
the stored page, the email, WeChat and text exports): sections and items numbered by position,
citations numbered by first appearance across title, intro, section titles and texts, item
titles and bodies. A format is a flavour of the same fragments (`RenderedIssue.in_format`).
"""

from dataclasses import dataclass, replace

from issues.text.citations import CitationNumbering
from issues.text.limits import MAX_ISSUE_CHARS, MAX_LINKS_PER_ISSUE
from issues.text.markdown import (
    MAX_TEXT_CHARS,
    WEB,
    Fragment,
    TextRefused,
    check_text,
    parse,
)

# The intro's place on the page: its footnotes' ids start with it, as items' start with theirs.
INTRO_ANCHOR = "intro"


@dataclass
class RenderedItem:
    item: object
    number: str
    anchor: str
    title: Fragment
    body: Fragment
    is_removed: bool = False
    title_html: str = ""
    body_html: str = ""

    @property
    def title_text(self):
        return self.title.plain


@dataclass
class RenderedSection:
    section: object
    number: int
    anchor: str
    title: Fragment
    text: Fragment
    items: list
    title_html: str = ""
    text_html: str = ""

    @property
    def title_text(self):
        return self.title.plain


@dataclass
class RenderedIssue:
    title: Fragment
    intro: Fragment
    sections: list
    references: list
    title_html: str = ""
    intro_html: str = ""

    @property
    def title_text(self):
        return self.title.plain

    def in_format(self, flavour):
        """The same issue with every `*_html` written in `flavour` (None: plain text)."""

        def out(fragment):
            return fragment.text if flavour is None else fragment.render(flavour)

        return replace(
            self,
            title_html=out(self.title),
            intro_html=out(self.intro),
            sections=[
                replace(
                    section,
                    title_html=out(section.title),
                    text_html=out(section.text),
                    items=[
                        replace(item, title_html=out(item.title), body_html=out(item.body))
                        for item in section.items
                    ],
                )
                for section in self.sections
            ],
        )


def render_article(issue, sections, *, reference_titles=None):
    """Render a whole issue in reading order, numbering sections, items and citations."""
    citations = CitationNumbering()
    title = parse(issue.title, citations=citations, inline=True)
    intro = parse(issue.intro, citations=citations, anchor=INTRO_ANCHOR)
    rendered_sections = []
    for section_number, section in enumerate(sections, start=1):
        section_title = parse(section.title, citations=citations, inline=True)
        section_anchor = f"section-{section_number}"
        section_text = parse(section.text, citations=citations, anchor=section_anchor)
        rendered_items = []
        for item_number, item in enumerate(section.items.all(), start=1):
            # A removed item is still read for numbering, so every later number stays put.
            is_removed = getattr(item, "is_removed", False)
            item_anchor = f"item-{section_number}-{item_number}"
            rendered_items.append(
                RenderedItem(
                    item=item,
                    number=f"{section_number}.{item_number}",
                    anchor=item_anchor,
                    title=parse(
                        item.title, citations=citations, inline=True, is_removed=is_removed
                    ),
                    body=parse(
                        item.body, citations=citations, is_removed=is_removed, anchor=item_anchor
                    ),
                    is_removed=is_removed,
                )
            )
        rendered_sections.append(
            RenderedSection(
                section=section,
                number=section_number,
                anchor=section_anchor,
                title=section_title,
                text=section_text,
                items=rendered_items,
            )
        )
    references = citations.references
    for ref in references:
        ref.title = (reference_titles or {}).get(ref.normalized_url, "")
    rendered = RenderedIssue(
        title=title, intro=intro, sections=rendered_sections, references=references
    )
    return rendered.in_format(WEB)


def render_intro_teaser(issue):
    """The issue's intro for other pages: citations point at the issue page's reference list."""
    citations = CitationNumbering()
    parse(issue.title, citations=citations, inline=True)
    intro = parse(issue.intro, citations=citations, anchor=INTRO_ANCHOR)
    return intro.render(teaser_flavour(issue.get_absolute_url()))


def teaser_flavour(page_url):
    return replace(WEB, link_prefix=page_url, with_anchors=False)


def article_problems(issue, sections):
    """Why an issue's texts would be refused (size, nesting, time, links), naming each place."""
    places = [("the issue title", issue.title), ("the intro", issue.intro)]
    for section_number, section in enumerate(sections, start=1):
        places += [
            (f"section {section_number} title", section.title),
            (f"section {section_number} text", section.text),
        ]
        items = section.items.all() if hasattr(section.items, "all") else section.items
        for item_number, item in enumerate(items, start=1):
            number = f"{section_number}.{item_number}"
            places += [(f"item {number} title", item.title), (f"item {number} body", item.body)]
    # Sizes first: they cost nothing to check, and a huge file is refused before it is read.
    problems = [
        f"{what} is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,}"
        for what, text in places
        if len(text or "") > MAX_TEXT_CHARS
    ]
    total = sum(len(text or "") for _, text in places)
    if total > MAX_ISSUE_CHARS:
        problems.append(
            f"the issue's texts are {total:,} characters long; the limit is {MAX_ISSUE_CHARS:,}"
        )
    if problems:
        return problems
    links = 0
    for what, text in places:
        try:
            links += len(check_text(text, what=what).targets)
        except TextRefused as error:
            problems.append(str(error))
    if links > MAX_LINKS_PER_ISSUE:
        problems.append(f"the issue has {links:,} links; the limit is {MAX_LINKS_PER_ISSUE:,}")
    return problems
