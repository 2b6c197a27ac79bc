"""Editor Markdown to safe HTML, and the issue-wide numbering of citations.

`render_markdown` is the only place where Markdown becomes HTML; everything an issue shows
passes through it, then through `CitationNumbering`, which turns every http(s) link into a numbered
citation in reading order.
"""

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import markdown
import nh3
from django.utils.html import strip_tags

MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]
MARKDOWN_EXTENSION_CONFIGS = {"tables": {"use_align_attribute": True}}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol",
    "p", "pre", "s", "sub", "sup", "strong", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
CITED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


def _markdown_to_raw_html(text):
    return markdown.markdown(
        text or "",
        extensions=MARKDOWN_EXTENSIONS,
        extension_configs=MARKDOWN_EXTENSION_CONFIGS,
        output_format="html",
    )


def render_markdown(text):
    """Turn editor Markdown into sanitised HTML: the one Markdown path of Digest."""
    return nh3.clean(
        _markdown_to_raw_html(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=None,
    )


def link_targets(text):
    """Every link target the editor wrote, before sanitising (for pre-publication checks)."""
    collector = _LinkCollector()
    collector.feed(_markdown_to_raw_html(text))
    return collector.targets


class _LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets = []
        self.code_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("code", "pre"):
            self.code_depth += 1
        elif tag == "a" and not self.code_depth:
            self.targets.append((dict(attrs).get("href") or "").strip())

    def handle_endtag(self, tag):
        if tag in ("code", "pre") and self.code_depth:
            self.code_depth -= 1


_SINGLE_PARAGRAPH = re.compile(r"\A<p>(.*)</p>\Z", re.DOTALL)


def render_inline_markdown(text):
    """Render a one-line Markdown title, without the paragraph around it."""
    rendered = render_markdown(text).strip()
    match = _SINGLE_PARAGRAPH.match(rendered)
    if match and "<p>" not in match.group(1):
        return match.group(1)
    # A title Markdown reads as a block ("1. Foo", "# Foo"): show it as the text it is.
    return html.escape(text)


def inline_html_text(fragment):
    """The plain text of an HTML fragment, entities decoded."""
    return html.unescape(strip_tags(fragment)).strip()


def normalize_url(url):
    """The identity of a URL: scheme and host lower-cased, no default port, no utm_* parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if parts.username or parts.password:
        userinfo = parts.username or ""
        if parts.password:
            userinfo += f":{parts.password}"
        netloc = f"{userinfo}@{host}"
    if port and port != DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_")
    ]
    all_params = parse_qsl(parts.query, keep_blank_values=True)
    # Re-encode only when a utm_* parameter went, so other queries keep their exact spelling.
    clean_query = urlencode(query) if len(query) != len(all_params) else parts.query
    return urlunsplit((scheme, netloc, parts.path or "/", clean_query, parts.fragment))


def is_cited_url(url):
    """Whether a link target counts as a citation: absolute http(s) URLs only."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in CITED_SCHEMES and bool(parts.netloc)


@dataclass
class NumberedReference:
    """One entry of an issue's reference list while it is being built."""

    number: int
    url: str
    normalized_url: str
    text: str
    anchors: list = field(default_factory=list)
    visible_anchors: list = field(default_factory=list)
    texts: list = field(default_factory=list)
    urls: list = field(default_factory=list)
    is_removed: bool = True
    title: str = ""

    @property
    def display_title(self):
        return self.title or self.text or self.url


class CitationNumbering:
    """Numbers the http(s) links of an issue's fragments in the order they are read."""

    def __init__(self, *, link_prefix="", with_anchors=True):
        self.link_prefix = link_prefix
        self.with_anchors = with_anchors
        self.by_url = {}

    @property
    def references(self):
        return sorted(self.by_url.values(), key=lambda ref: ref.number)

    def cite(self, fragment, *, is_removed=False):
        """Return the fragment with `[N]` after each cited link; record where each was cited."""
        rewriter = _CitationRewriter(self, is_removed=is_removed)
        rewriter.feed(fragment)
        rewriter.close()
        return "".join(rewriter.out)

    def _record(self, url, text, *, is_removed):
        key = normalize_url(url)
        ref = self.by_url.get(key)
        if ref is None:
            ref = NumberedReference(len(self.by_url) + 1, url, key, text)
            self.by_url[key] = ref
        if not is_removed:
            ref.is_removed = False
        ref.texts.append(text)
        ref.urls.append(url)
        anchor = f"cite-{ref.number}-{len(ref.anchors) + 1}"
        ref.anchors.append(anchor)
        if not is_removed:
            ref.visible_anchors.append(anchor)
        return ref, anchor

    def mark(self, url, text, *, is_removed):
        """The `<sup>` that follows a cited link."""
        ref, anchor = self._record(url, text, is_removed=is_removed)
        id_attr = f' id="{anchor}"' if self.with_anchors else ""
        return (
            f'<sup class="citation"{id_attr}>'
            f'<a href="{html.escape(self.link_prefix)}#ref-{ref.number}">[{ref.number}]</a></sup>'
        )


class _CitationRewriter(HTMLParser):
    """Copies sanitised HTML verbatim, adding a citation mark after each http(s) link."""

    CODE_TAGS = {"code", "pre"}

    def __init__(self, citations, *, is_removed):
        super().__init__(convert_charrefs=False)
        self.citations = citations
        self.is_removed = is_removed
        self.out = []
        self.code_depth = 0
        self.link = None  # (href, collected text parts) of the <a> being read

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag in self.CODE_TAGS:
            self.code_depth += 1
        elif tag == "a" and not self.code_depth:
            href = dict(attrs).get("href") or ""
            if is_cited_url(href):
                self.link = (href, [])
        elif tag == "img" and self.link:
            # A linked image is cited under its alt text.
            self.link[1].append(dict(attrs).get("alt") or "")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        if tag in self.CODE_TAGS and self.code_depth:
            self.code_depth -= 1
        elif tag == "a" and self.link:
            href, parts = self.link
            self.link = None
            text = " ".join(html.unescape("".join(parts)).split())
            self.out.append(self.citations.mark(href, text, is_removed=self.is_removed))

    def handle_data(self, data):
        self.out.append(data)
        if self.link:
            self.link[1].append(data)

    def handle_entityref(self, name):
        self._raw(f"&{name};")

    def handle_charref(self, name):
        self._raw(f"&#{name};")

    def _raw(self, text):
        self.out.append(text)
        if self.link:
            self.link[1].append(text)

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")


@dataclass
class RenderedItem:
    item: object
    number: str
    anchor: str
    title_html: str
    title_text: str
    body_html: str
    is_removed: bool = False


@dataclass
class RenderedSection:
    section: object
    number: int
    anchor: str
    title_html: str
    title_text: str
    text_html: str
    items: list


@dataclass
class RenderedIssue:
    title_html: str
    title_text: str
    intro_html: str
    sections: list
    references: list


def _title(citations, text, *, is_removed=False):
    """A title's cited HTML and its plain text (for tables of contents and <title>)."""
    rendered = render_inline_markdown(text)
    return citations.cite(rendered, is_removed=is_removed), inline_html_text(rendered)


def render_article(issue, sections, *, reference_titles=None):
    """Render a whole issue in reading order, numbering sections, items and citations."""
    citations = CitationNumbering()
    title_html, title_text = _title(citations, issue.title)
    intro_html = citations.cite(render_markdown(issue.intro))
    rendered_sections = []
    for section_number, section in enumerate(sections, start=1):
        section_title_html, section_title_text = _title(citations, section.title)
        text_html = citations.cite(render_markdown(section.text))
        rendered_items = []
        for item_number, item in enumerate(section.items.all(), start=1):
            # A removed item is still read for numbering, so every later number stays put.
            is_removed = getattr(item, "is_removed", False)
            item_title_html, item_title_text = _title(citations, item.title, is_removed=is_removed)
            body_html = citations.cite(render_markdown(item.body), is_removed=is_removed)
            rendered_items.append(
                RenderedItem(
                    item=item,
                    number=f"{section_number}.{item_number}",
                    anchor=f"item-{section_number}-{item_number}",
                    title_html=item_title_html,
                    title_text=item_title_text,
                    body_html=body_html,
                    is_removed=is_removed,
                )
            )
        rendered_sections.append(
            RenderedSection(
                section=section,
                number=section_number,
                anchor=f"section-{section_number}",
                title_html=section_title_html,
                title_text=section_title_text,
                text_html=text_html,
                items=rendered_items,
            )
        )
    references = citations.references
    for ref in references:
        ref.title = (reference_titles or {}).get(ref.normalized_url, "")
    return RenderedIssue(
        title_html=title_html,
        title_text=title_text,
        intro_html=intro_html,
        sections=rendered_sections,
        references=references,
    )


def render_intro_teaser(issue):
    """The issue's intro for other pages: citations point at the issue page's reference list."""
    citations = CitationNumbering(link_prefix=issue.get_absolute_url(), with_anchors=False)
    citations.cite(render_inline_markdown(issue.title))
    return citations.cite(render_markdown(issue.intro))
