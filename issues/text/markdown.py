"""Editor Markdown to safe output: one CommonMark + GFM engine (markdown-it-py), then nh3.

Everything Digest shows of an editor's text is made here, from one token stream per text: the
web page, the feeds (which carry the stored page), the email and WeChat exports, the plain-text
export, the markdownx live preview and the link targets the checks read. Citations are numbered
on that token stream (the `digest_citations` core rule), never by reading the HTML again.

Citation marks are written after sanitising: the renderer leaves a placeholder (two private-use
characters around the mark's index, characters removed from editor text first), nh3 cleans the
HTML, and each placeholder becomes the mark of the output format. So no editor text can forge a
mark, and the sanitiser's allowlist needs no classes or ids.
"""

import html
import re
import textwrap
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from mdit_py_plugins.tasklists import tasklists_plugin

from issues.text.citations import is_cited_url, link_label
from issues.text.limits import MAX_FIELD_CHARS

# Limits on one text (a title, intro, section text or item body). Within them a text renders in
# well under a second; beyond them it is refused with the reason, never cut silently.
MAX_TEXT_CHARS = MAX_FIELD_CHARS
# markdown-it's maxNesting, in token levels (a list level is two, a quote one). Its default: the
# cost of unclosed brackets grows with it (100,000 `[` read in 1.4 s at 20, 38 s at 40).
MAX_NESTING = 20
# What that allows, as editors count (measured by tests/test_limits.py).
MAX_LIST_LEVELS, MAX_QUOTE_LEVELS = (MAX_NESTING - 4) // 2, MAX_NESTING - 3
# Characters whose runs make the inline parser re-scan: unclosed `[` (link labels) and backticks
# (code spans). Real texts hold hundreds; the probe's stalls needed tens of thousands.
MAX_MARKERS = {"[": 10_000, "`": 20_000}
# A safety net for what the counts above do not foresee: one text's parse, when checked, in CPU
# seconds of this process (a busy machine slows a parse down, but does not make it refused).
RENDER_SECONDS = 1.0

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "dd", "del", "details", "dfn", "dl",
    "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "input", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    "var",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "details": {"open"},
    "img": {"src", "alt", "title", "width", "height"},
    "input": {"checked"},  # task-list boxes only: see the type and disabled below
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# nh3 drops these elements with their content; everything else unknown keeps its text.
CONTENT_DROPPED = {"script", "style"}

MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
_MARKER = re.compile(f"{MARK_OPEN}(\\d+){MARK_CLOSE}")
_MARK_CHARS = re.compile(f"[{MARK_OPEN}{MARK_CLOSE}]")


class TextRefused(ValueError):
    """A text too large, too deeply nested or too costly to render: the message says which."""


def _cleaner(*, tags=ALLOWED_TAGS, styles=None, base_url=None):
    """An nh3 sanitiser: the allowlist, optionally minus some tags, with inline styles added."""
    tags = set(tags)
    set_values = {"input": {"disabled": "disabled"}}
    for tag, style in (styles or {}).items():
        if tag in tags:
            set_values.setdefault(tag, {})["style"] = style
    return nh3.Cleaner(
        tags=tags,
        clean_content_tags=CONTENT_DROPPED,
        attributes={tag: attrs for tag, attrs in ALLOWED_ATTRIBUTES.items() if tag in tags},
        tag_attribute_values={"input": {"type": {"checkbox"}}} if "input" in tags else {},
        set_tag_attribute_values={tag: v for tag, v in set_values.items() if tag in tags},
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=None,
        url_relative=("rewrite_with_base", base_url) if base_url else None,
    )


_TEXT_ONLY = nh3.Cleaner(tags=set(), clean_content_tags=CONTENT_DROPPED, attributes={})


def html_text(fragment):
    """The plain text of an HTML fragment: tags dropped, entities decoded, spaces kept."""
    return html.unescape(_TEXT_ONLY.clean(fragment or ""))


def inline_html_text(fragment):
    """The plain text of an HTML fragment, entities decoded, without citation placeholders."""
    return _MARK_CHARS.sub("", _MARKER.sub("", html_text(fragment))).strip()


@dataclass(frozen=True)
class Flavour:
    """How one output format writes a text: its sanitiser, its citation marks, mailto links."""

    cleaner: nh3.Cleaner
    link_prefix: str = ""  # before "#ref-N" in a mark's link
    with_anchors: bool = True  # marks carry id="cite-N-k" (the reference list links back)
    with_links: bool = True  # marks link to the reference list
    mark_style: str = ""
    mark_link_style: str = ""
    spell_mailto: bool = False  # "Write to us (a@b.example)" where links do not survive

    def mark(self, citation):
        style = f' style="{escapeHtml(self.mark_style)}"' if self.mark_style else ""
        anchor = f' id="{citation.anchor}"' if self.with_anchors else ""
        label = f"[{citation.number}]"
        if self.with_links:
            link_style = (
                f' style="{escapeHtml(self.mark_link_style)}"' if self.mark_link_style else ""
            )
            href = escapeHtml(f"{self.link_prefix}#ref-{citation.number}")
            label = f'<a href="{href}"{link_style}>{label}</a>'
        return f'<sup class="citation"{anchor}{style}>{label}</sup>'


WEB = Flavour(cleaner=_cleaner())


def html_flavour(*, unlink=False, styles=None, base_url=None, link_prefix=""):
    """A flavour for an HTML format: links kept or unlinked, inline styles, absolute URLs."""
    tags = ALLOWED_TAGS - {"a"} if unlink else ALLOWED_TAGS
    return Flavour(
        cleaner=_cleaner(tags=tags, styles=styles, base_url=base_url),
        link_prefix=link_prefix,
        with_links=not unlink,
        spell_mailto=unlink,
        mark_style=(styles or {}).get("sup", ""),
        mark_link_style=(styles or {}).get("a", ""),
    )


# The raw HTML editors write: comments, tags (attribute values may hold ">"), rawtext elements.
_HTML_PIECE = re.compile(
    r"<!--.*?(?:-->|\Z)|<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S
)
_HREF = re.compile(r"""\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.I)
_RAWTEXT = {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"}
_CODE_TAGS = {"code", "pre"}


class _Reader:
    """Reads one text's tokens in order: records link targets and cites http(s) links.

    Links inside code (`code`, `pre`, including raw-HTML ones) and comments are not cited;
    markdown code spans and blocks are tokens of their own and hold no links at all.
    """

    def __init__(self, env):
        self.citations = env.get("citations")
        self.is_removed = env.get("is_removed", False)
        self.targets = env.setdefault("targets", [])
        self.marks = env.setdefault("marks", [])
        self.code_depth = 0
        self.link = None  # (url, text parts) of the cited link being read

    def open_link(self, href):
        self.targets.append(href.strip())
        if self.citations is not None and not self.code_depth and is_cited_url(href):
            self.link = (href.strip(), [])

    def text(self, content):
        if self.link:
            self.link[1].append(content)

    def close_link(self):
        """The index of the mark that follows the link just closed, or None."""
        if not self.link:
            return None
        url, parts = self.link
        self.link = None
        citation = self.citations.cite(url, link_label(parts), is_removed=self.is_removed)
        self.marks.append(citation)
        return len(self.marks) - 1

    def raw_html(self, content):
        """Follow raw HTML; return it with a mark placeholder after each cited link's </a>."""
        out, last = [], 0
        position = 0
        while True:
            match = _HTML_PIECE.search(content, position)
            if not match:
                break
            self.text(html.unescape(content[position : match.start()]))
            closing, name, attrs = match.group(1), (match.group(2) or "").lower(), match.group(3)
            position = match.end()
            if not name:  # a comment
                continue
            if not closing and name in _RAWTEXT:
                end = re.compile(f"</{name}[\\s>/]", re.I).search(content, position)
                position = end.start() if end else len(content)
            elif name in _CODE_TAGS:
                self.code_depth = max(0, self.code_depth + (-1 if closing else 1))
            elif name == "a" and not closing:
                href = _HREF.search(attrs or "")
                if href:
                    self.open_link(next(g for g in href.groups() if g is not None))
            elif name == "a" and closing:
                index = self.close_link()
                if index is not None:
                    out.append(content[last:position] + f"{MARK_OPEN}{index}{MARK_CLOSE}")
                    last = position
        self.text(html.unescape(content[position:]))
        out.append(content[last:])
        return "".join(out)

    def inline(self, children):
        for token in children:
            kind = token.type
            if kind == "link_open":
                self.open_link(token.attrGet("href") or "")
            elif kind == "link_close":
                index = self.close_link()
                if index is not None:
                    token.meta["mark"] = index
            elif kind in ("text", "code_inline"):
                self.text(token.content)
            elif kind in ("softbreak", "hardbreak"):
                self.text(" ")
            elif kind == "image":
                # A linked image is cited under its alt text.
                self.text("".join(child.content for child in token.children or ()))
            elif kind == "html_inline":
                token.content = self.raw_html(token.content)


def _mailto_address(href):
    return href[len("mailto:") :].split("?")[0] if href.lower().startswith("mailto:") else ""


def _read_tokens(state):
    """Core rule: cite links, note mailto addresses, and write table alignment as `align`."""
    reader = _Reader(state.env)
    tokens = state.tokens
    for token in tokens:
        if token.type == "inline" and token.children:
            reader.inline(token.children)
            _note_mailto(token.children)
        elif token.type == "html_block":
            token.content = reader.raw_html(token.content)
        elif token.type in ("th_open", "td_open"):
            style = token.attrGet("style") or ""
            if style.startswith("text-align:"):
                token.attrs.pop("style")
                token.attrSet("align", style.removeprefix("text-align:"))


def _note_mailto(children):
    """Mark mailto links whose text is not the address, so text formats can spell it out."""
    opened = None
    for token in children:
        if token.type == "link_open":
            opened = (token, [])
        elif token.type == "link_close" and opened:
            address = _mailto_address(opened[0].attrGet("href") or "")
            if address and "".join(opened[1]).strip() != address:
                token.meta["mailto"] = address
            opened = None
        elif opened and token.type in ("text", "code_inline"):
            opened[1].append(token.content)


def _deadline_passed(env):
    deadline = env.get("deadline")
    return deadline is not None and time.process_time() > deadline


def _inline_deadline(state, silent):
    if _deadline_passed(state.env):
        raise TextRefused(_too_slow())
    return False


def _block_deadline(state, start_line, end_line, silent):
    if _deadline_passed(state.env):
        raise TextRefused(_too_slow())
    return False


def _too_slow():
    return (
        f"takes longer than {RENDER_SECONDS:g} s to read (thousands of unclosed brackets, links "
        "or emphasis markers?): simplify it"
    )


def _render_link_close(self, tokens, idx, options, env):
    token = tokens[idx]
    out = "</a>"
    if env["flavour"].spell_mailto and "mailto" in token.meta:
        out += f" ({escapeHtml(token.meta['mailto'])})"
    if "mark" in token.meta:
        out += f"{MARK_OPEN}{token.meta['mark']}{MARK_CLOSE}"
    return out


# Options markdown-it reads with `.get(name, default)`, set to those defaults: a missing name
# costs a raised KeyError each time (once per inline run for strikethrough's).
_DEFAULTS = {
    "strikethrough_single_tilde": False, "tasklists": False, "tasklists_editable": False,
    "store_labels": False, "inline_definitions": False, "alerts": False,
}  # fmt: skip


def _build_engine(*, with_deadline):
    """The parser, built once per process; `with_deadline` adds the time check of texts read
    with limits (a rule run at every inline position: stored texts do without it)."""
    engine = MarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING, **_DEFAULTS})
    engine.enable(["table", "strikethrough"])
    engine.use(tasklists_plugin)
    # Every target reaches the tokens as the editor wrote it: nh3 decides which schemes survive
    # (the checks must see a javascript: link to refuse it), and no format re-spells a URL.
    engine.validateLink = lambda url: True
    engine.normalizeLink = lambda url: url
    # An autolink shows its URL as written, too (and markdown-it's decoding, punycode included,
    # cost a millisecond per autolink).
    engine.normalizeLinkText = lambda url: url
    if with_deadline:
        engine.inline.ruler.before("text", "digest_deadline", _inline_deadline)
        engine.block.ruler.before("table", "digest_deadline", _block_deadline)
    engine.core.ruler.push("digest_citations", _read_tokens)
    engine.add_render_rule("link_close", _render_link_close)
    return engine


ENGINE = _build_engine(with_deadline=False)
CHECKED_ENGINE = _build_engine(with_deadline=True)


def check_text(text, *, what="the text"):
    """Refuse a text beyond the limits (size, nesting, time to read), naming `what`; return
    the text read (a Fragment), so callers can count its links."""
    return parse(text, limits=True, what=what)


def _nesting_exceeded(tokens):
    return any(token.level >= MAX_NESTING - 1 for token in tokens)


def parse(text, *, citations=None, is_removed=False, inline=False, limits=False, what=None):
    """Read one text into a Fragment; with `citations`, its http(s) links are numbered.

    With `limits`, a text over MAX_TEXT_CHARS, nested deeper than the engine reads, or taking
    longer than RENDER_SECONDS is refused (TextRefused); stored texts are read without them.
    """
    text, what = text or "", what or "the text"
    if limits and len(text) > MAX_TEXT_CHARS:
        raise TextRefused(
            f"{what} is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,}"
        )
    if limits:
        for marker, limit in MAX_MARKERS.items():
            if (count := text.count(marker)) > limit:
                raise TextRefused(
                    f"{what} holds {count:,} “{marker}” characters; the limit is {limit:,}"
                )
    if not limits:
        # A stored text: what it reads to is kept, and only its citations are numbered anew.
        reading = _reading(text, inline=inline, numbered=citations is not None)
        marks = [citations.cite(url, label, is_removed=is_removed) for url, label in reading.cited]
        return Fragment(
            tokens=reading.tokens, marks=marks, targets=list(reading.targets), kept=reading.kept
        )
    text = _MARK_CHARS.sub("", text)
    env = {"citations": citations, "is_removed": is_removed}
    if limits:
        env["deadline"] = time.process_time() + RENDER_SECONDS
    try:
        engine = CHECKED_ENGINE if limits else ENGINE
        tokens = engine.parseInline(text, env) if inline else engine.parse(text, env)
    except TextRefused as error:
        raise TextRefused(f"{what} {error}") from None
    env.pop("deadline", None)
    if limits and not inline and _nesting_exceeded(tokens):
        raise TextRefused(
            f"{what} nests lists or quotes too deeply (at most {MAX_LIST_LEVELS} levels of "
            f"lists, {MAX_QUOTE_LEVELS} of quotes): flatten it"
        )
    return Fragment(tokens=tokens, marks=env["marks"], targets=env["targets"])


class _Recorder:
    """Stands in for an issue's numbering while a text is read the first time: notes what the
    text cites, in order, so that any later numbering can be replayed on it."""

    def __init__(self):
        self.cited = []

    def cite(self, url, text, *, is_removed=False):
        self.cited.append((url, text))


@dataclass(frozen=True)
class _Reading:
    """What a stored text reads to, whatever numbers its citations get."""

    tokens: list
    targets: tuple
    cited: tuple  # (url, label) of each cited link, in reading order
    kept: dict  # outputs that do not depend on the numbers, made once (Fragment.kept)


class _Readings:
    """The readings of stored texts most recently used, kept up to a total length of text."""

    def __init__(self, chars: int) -> None:
        self.chars, self.used = chars, 0
        self.misses = 0  # texts read, not found kept (the tests count them)
        self.kept: OrderedDict[tuple, _Reading] = OrderedDict()
        self.lock = threading.Lock()

    @staticmethod
    def cost(key):
        return len(key[0]) + 100  # a short text's tokens still weigh something

    def get(self, key):
        with self.lock:
            reading = self.kept.get(key)
            if reading is not None:
                self.kept.move_to_end(key)
            return reading

    def put(self, key, reading):
        with self.lock:
            if key in self.kept:
                return
            self.kept[key] = reading
            self.used += self.cost(key)
            while self.used > self.chars:
                self.used -= self.cost(self.kept.popitem(last=False)[0])

    def clear(self):
        with self.lock:
            self.kept.clear()
            self.used = 0


# A save renders its whole issue again (600 texts on a 300-item issue, of which one changed):
# the numbering must be redone, the reading need not (issue 13, the save budget). Kept: about
# 37 bytes of tokens per character of text (measured), so at most about 40 MB per process.
READINGS = _Readings(chars=1_000_000)


def _reading(text, *, inline, numbered):
    """What a stored text reads to: read once per process, then shared (nothing writes to the
    tokens after reading)."""
    key = (text, inline, numbered)
    reading = READINGS.get(key)
    if reading is None:
        READINGS.misses += 1
        recorder = _Recorder() if numbered else None
        env = {"citations": recorder, "is_removed": False}
        clean = _MARK_CHARS.sub("", text)
        tokens = ENGINE.parseInline(clean, env) if inline else ENGINE.parse(clean, env)
        cited = tuple(recorder.cited) if recorder else ()
        reading = _Reading(tokens=tokens, targets=tuple(env["targets"]), cited=cited, kept={})
        READINGS.put(key, reading)
    return reading


@dataclass
class Fragment:
    """One text read once: its tokens, the citations met in it, and its outputs."""

    tokens: list
    marks: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    # The sanitised HTML with placeholders where the marks go: the same for every numbering,
    # so it is made once for all the Fragments of one stored text.
    kept: dict = field(default_factory=dict, repr=False, compare=False)

    def render(self, flavour=WEB):
        """The text as sanitised HTML in `flavour`, citation marks in place."""
        cleaned = self._web_cleaned if flavour is WEB else self._cleaned(flavour)
        if not self.marks:
            return cleaned
        return _MARKER.sub(lambda match: flavour.mark(self.marks[int(match.group(1))]), cleaned)

    def _cleaned(self, flavour):
        raw = ENGINE.renderer.render(self.tokens, ENGINE.options, {"flavour": flavour})
        return flavour.cleaner.clean(raw)

    @property
    def _web_cleaned(self):
        cleaned = self.kept.get("web")
        if cleaned is None:
            cleaned = self.kept["web"] = self._cleaned(WEB)
        return cleaned

    @cached_property
    def html(self):
        return self.render(WEB)

    @cached_property
    def plain(self):
        """Plain text without marks (titles in tables of contents and <title>)."""
        return inline_html_text(self._web_cleaned)

    @cached_property
    def text(self):
        """Readable plain text: paragraphs, list markers, `[N]` after citations, mailto spelt."""
        return tokens_to_text(self.tokens, self.marks)


def render_markdown(text, *, limits=True):
    """Turn editor Markdown into sanitised HTML: the one Markdown path of Digest.

    The markdownx live preview calls it, so by default it applies the limits: a text beyond
    them raises TextRefused (the preview answers 400 with the reason). Text already stored is
    shown with `limits=False`, so that no page fails on what an older version accepted.
    """
    return parse(text, limits=limits).html


def render_inline_markdown(text):
    """Render a one-line Markdown title as inline HTML: whatever it looks like ("1. …", "- …",
    "> …", "# …"), a title is never a block, and links in it are links."""
    return parse(text, inline=True).html


def plain_text(markdown):
    """Markdown as one line of readable text (search snippets): link and image texts kept, URLs
    and markup dropped, mailto addresses spelt out; read by the engine, as the page is."""
    return " ".join(parse(markdown).text.split())


def link_targets(text):
    """Every link target the editor wrote, before sanitising (for pre-publication checks)."""
    return parse(text).targets


_TEXT_BLOCKS = {
    "paragraph_open", "paragraph_close", "heading_open", "heading_close", "blockquote_open",
    "blockquote_close", "bullet_list_open", "bullet_list_close", "ordered_list_open",
    "ordered_list_close", "table_open", "table_close", "hr",
}  # fmt: skip


def _marks_as_text(content, marks):
    return _MARKER.sub(lambda match: f"[{marks[int(match.group(1))].number}]", content)


def tokens_to_text(tokens, marks):
    """Readable plain text of a text's tokens: a blank line between blocks, list markers,
    `[N]` after each cited link, mailto addresses spelt out, images by their alt text."""
    parts, lists, previous = [], [], None
    for token in tokens:
        kind = token.type
        # A loose list item's first paragraph goes on the item's line, after its marker.
        after_marker = kind == "paragraph_open" and previous == "list_item_open"
        previous = kind
        if after_marker:
            continue
        # A list inside a list item goes on with its lines; only outermost lists are blocks.
        is_inner_list = (kind.endswith("_list_open") and bool(lists)) or (
            kind.endswith("_list_close") and len(lists) > 1
        )
        if kind in _TEXT_BLOCKS and not token.hidden and not is_inner_list:
            parts.append("\n\n")
        if kind == "bullet_list_open":
            lists.append(None)
        elif kind == "ordered_list_open":
            lists.append(int(token.attrGet("start") or 1) - 1)
        elif kind in ("bullet_list_close", "ordered_list_close") and lists:
            lists.pop()
        elif kind == "list_item_open":
            marker = "-"
            if lists and lists[-1] is not None:
                lists[-1] += 1
                marker = f"{lists[-1]}."
            parts.append("\n" + "  " * (len(lists) - 1) + marker + " ")
        elif kind == "tr_open":
            parts.append("\n")
        elif kind in ("th_open", "td_open"):
            parts.append(" | ")
        elif kind in ("fence", "code_block"):
            parts.append(f"\n\n{token.content}\n\n")
        elif kind == "html_block":
            parts.append(f"\n\n{_marks_as_text(html_text(token.content), marks)}\n\n")
        elif kind == "inline":
            parts.append(_inline_text(token.children or (), marks))
    text = "".join(parts)
    paragraphs = [paragraph.strip("\n") for paragraph in text.split("\n\n")]
    return "\n\n".join(
        textwrap.dedent(paragraph).strip() for paragraph in paragraphs if paragraph.strip()
    )


def _inline_text(children, marks):
    parts = []
    for token in children:
        kind = token.type
        if kind == "text":
            parts.append(token.content.replace("\n", " "))
        elif kind == "code_inline":
            parts.append(token.content)
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind == "image":
            parts.append("".join(child.content for child in token.children or ()))
        elif kind == "html_inline":
            parts.append(_marks_as_text(html_text(token.content), marks))
        elif kind == "link_close":
            if "mailto" in token.meta:
                parts.append(f" ({token.meta['mailto']})")
            if "mark" in token.meta:
                parts.append(f"[{marks[token.meta['mark']].number}]")
    return "".join(parts)
