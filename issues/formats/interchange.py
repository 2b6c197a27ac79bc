"""The Markdown interchange format of an issue: parse it, and write it back out.

Digest writes, and reads back exactly as written:

    ---
    number: 2
    title: "NLP简报 Issue #2"
    date: 2020-03-15
    language: zh-hans
    ---
    Intro Markdown.
    ## 📰 Section title
    The section's own text.
    ### Item title
    Item body.

Any other file is read the way editors wrote it: a Jekyll/Hugo front matter or a Pelican header
(keeping what maps, listing the rest as not kept), a `# Title` first line, the two heading levels
that structure the file as sections and items, hand-written numbers and trailing emoji taken off
headings, and, in a file without item headings, bold paragraphs or lists of links as items.
Every such decision is recorded in `ParsedIssue.decisions` for the importer's summary.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field

import yaml
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from issues.text.limits import (
    MAX_FIELD_CHARS,
    MAX_FILE_BYTES,
    MAX_HEADER_CHARS,
    MAX_ITEMS_PER_ISSUE,
    MAX_LINKS_PER_ISSUE,
    MAX_SECTIONS_PER_ISSUE,
    MAX_TITLE_CHARS,
)
from issues.text.structure import split_icon, split_trailing_icon, track_blocks

MAX_IMPORT_BYTES = MAX_FILE_BYTES
MAX_TITLE_LENGTH = MAX_TITLE_CHARS
MAX_NUMBER = 2_147_483_647
LANGUAGES = ("en", "zh-hans")
LANGUAGE_ALIASES = {"zh": "zh-hans", "zh-cn": "zh-hans", "zh_hans": "zh-hans", "en-us": "en"}

# The header fields Digest writes; a YAML front matter with these and no others is Digest's own.
DIGEST_KEYS = ("number", "title", "date", "language")
# Header fields that map onto the issue; every other field is listed as not kept.
KEPT_KEYS = {"number", "title", "date", "language", "lang", "description", "summary"}
# The first key of a Pelican header must be one Pelican (or Digest) knows, so that a file
# starting with "Note: …" is not read as a header.
PELICAN_FIRST_KEYS = KEPT_KEYS | {"category", "tags", "slug", "author", "authors", "status"}

_ATX_HEADING = re.compile(r"^(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_CLOSING_HASHES = re.compile(r"[ \t]+#+$")
_PELICAN_LINE = re.compile(r"^([A-Za-z][A-Za-z_-]*):[ \t]*(.*)$")
_CHINESE_DIGITS = "一二三四五六七八九十"
# "2、", "1.3 ", "3.1 1、", "1. ", "(2)", "二、": a number the editor typed; Digest gives its own.
# A bare "2019 " is not one (a year starts many titles).
_HAND_NUMBER = re.compile(
    rf"^(?:(?:\d+(?:\.\d+)+\.?|\d+[.)])[ \t]+"
    rf"|(?:\d+(?:\.\d+)*|[{_CHINESE_DIGITS}]+)[、．：）][ \t]*"
    rf"|[(（](?:\d+|[{_CHINESE_DIGITS}]+)[)）][ \t]*)+(?=\S)"
)
_BOLD_TITLE = re.compile(r"^(\*\*\*?|__)(?=\S)(.+?)(?<=\S)\1[ \t]*$")
_LINK_TEXT = r"\[(?:[^\[\]\\]|\\.|\[[^\[\]]*\])*\]"
_LINK_DESTINATION = r"\((?:[^()\s]|\([^()\s]*\))*(?:[ \t]+\"[^\"]*\")?\)"
_LIST_ENTRY = re.compile(r"^(?:[*+-]|\d{1,9}[.)])(?:[ \t]+|$)")
_LINK_ENTRY = re.compile(
    rf"^(?P<marker>(?:[*+-]|\d{{1,9}}[.)])[ \t]+)"
    rf"(?P<link>{_LINK_TEXT}(?:{_LINK_DESTINATION}|\[[^\[\]]*\])|<https?://[^>\s]+>)"
    rf"(?P<rest>.*)$"
)
# `[^label]:` opens a footnote, not a link definition (the engine reads footnotes first).
_LINK_DEFINITION = re.compile(r"^ {0,3}\[(?!\^)((?:[^\[\]\\]|\\.){1,999})\]:[ \t]*\S")
_FOOTNOTE_DEFINITION = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:")
_LINK_MARKS = re.compile(r"\]\(|\]\[|<https?://|\bhref[ \t]*=", re.IGNORECASE)
_AFTER_LINK = " \t.,:;-–—"


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML without implicit timestamps (dates stay text, checked by `_parse_date`) and without
    anchors or aliases: nine nested aliases expand to gigabytes (a "billion laughs")."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise InterchangeError(
                "bad front matter: YAML anchors and aliases (&name, *name) are not accepted",
                event.start_mark.line + 2,
            )
        return super().compose_node(parent, index)


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class InterchangeError(ValueError):
    """A file that cannot become an issue; says why, and on which line where there is one."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self):
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class ParsedItem:
    title: str
    body: str = ""
    line: int = field(default=0, compare=False)


@dataclass
class ParsedSection:
    title: str
    icon: str = ""
    text: str = ""
    items: list = field(default_factory=list)
    line: int = field(default=0, compare=False)
    # The file's line where `text` begins, for the items found in it.
    text_line: int = field(default=0, compare=False)


@dataclass
class ParsedIssue:
    number: int | None
    title: str
    published_at: datetime.datetime | None
    language: str
    intro: str = ""
    sections: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    # What the parser decided about the file, for the importer's one-line summary.
    decisions: list = field(default_factory=list)
    # The file's line where `intro` begins (error messages name it).
    intro_line: int = field(default=1, compare=False)

    @property
    def item_count(self):
        return sum(len(section.items) for section in self.sections)


def decode(raw):
    """Bytes of an import file as text, refusing what is not UTF-8 text."""
    if len(raw) > MAX_FILE_BYTES:
        raise InterchangeError(
            f"the file is {len(raw) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB"
        )
    if b"\x00" in raw:
        raise InterchangeError("the file is binary (it contains NUL bytes), not Markdown text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InterchangeError(
            f"the file is not UTF-8 text (byte {error.start} is invalid)", line
        ) from error
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _heading_text(raw):
    return _CLOSING_HASHES.sub("", raw or "").strip()


def _scalar(fields, key, line_of):
    """A header field that must be one value: refuse lists and mappings instead of printing them."""
    value = fields.get(key)
    if isinstance(value, list | dict | set | tuple):
        kind = "list" if isinstance(value, list | set | tuple) else "mapping"
        raise InterchangeError(
            f"header field {key!r} must be a single value, not a {kind}", line_of.get(key)
        )
    return value


def _parse_date(value, line):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, datetime.date):
        parsed = datetime.datetime.combine(value, datetime.time())
    else:
        text = str(value).strip()[:100]
        try:
            # Also reads a date alone (midnight) and a space before the time or the zone.
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is None:
            raise InterchangeError(
                f"bad date {text!r}: use YYYY-MM-DD or an ISO 8601 date and time", line
            )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


def _parse_number(value, line):
    if value in (None, ""):
        return None
    text = str(value)[:100]
    if isinstance(value, bool) or not re.fullmatch(r"\s*\d+\s*", text):
        shown = value if isinstance(value, int) else text
        raise InterchangeError(f"number {shown!r} is not a positive whole number", line)
    number = int(text)
    if number < 1 or number > MAX_NUMBER:
        raise InterchangeError(f"number {number} is out of range (1 to {MAX_NUMBER})", line)
    return number


def _parse_language(value, line):
    if value in (None, ""):
        return "en"
    language = str(value).strip().lower()
    language = LANGUAGE_ALIASES.get(language, language)
    if language not in LANGUAGES:
        raise InterchangeError(
            f"unknown language {str(value)[:100]!r}: use one of {', '.join(LANGUAGES)}", line
        )
    return language


def _check_title(title, line, what):
    if not title:
        raise InterchangeError(f"{what} has no title", line)
    if len(title) > MAX_TITLE_CHARS:
        raise InterchangeError(
            f"{what} title is {len(title)} characters long; the limit is {MAX_TITLE_CHARS}",
            line,
        )


@dataclass
class _Header:
    fields: dict
    line_of: dict
    start: int  # index of the first body line
    kind: str  # "yaml", "pelican" or ""


def _front_matter(lines):
    """Header fields, the line number of each, and where the body starts."""
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() in ("---", "..."):
                break
        else:
            raise InterchangeError("the front matter opened on line 1 is never closed by ---", 1)
        source = "\n".join(lines[1:end])
        if len(source) > MAX_HEADER_CHARS:
            raise InterchangeError(
                f"the front matter is {len(source):,} characters long; the limit is "
                f"{MAX_HEADER_CHARS:,}",
                1,
            )
        try:
            data = yaml.load(source, Loader=_FrontMatterLoader) or {}
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 2 if mark else 1
            problem = getattr(error, "problem", None) or "it is not valid YAML"
            raise InterchangeError(f"bad front matter: {problem}", line) from error
        if not isinstance(data, dict):
            raise InterchangeError("the front matter must be `key: value` lines", 2)
        line_of = {}
        for offset, text in enumerate(lines[1:end], start=2):
            key = text.split(":", 1)[0].strip().lower()
            line_of.setdefault(key, offset)
        fields = {str(key).lower(): value for key, value in data.items()}
        return _Header(fields, line_of, end + 1, "yaml")
    first = _PELICAN_LINE.match(lines[0]) if lines else None
    if first and first.group(1).lower() in PELICAN_FIRST_KEYS:
        fields, line_of = {}, {}
        end = 0
        while end < len(lines) and lines[end].strip():
            match = _PELICAN_LINE.match(lines[end])
            if not match:
                raise InterchangeError(
                    "a header line must read `Key: value` (end the header with a blank line)",
                    end + 1,
                )
            key = match.group(1).lower()
            fields[key] = match.group(2).strip()
            line_of[key] = end + 1
            end += 1
            if sum(map(len, lines[:end])) > MAX_HEADER_CHARS:
                raise InterchangeError(
                    f"the header is longer than {MAX_HEADER_CHARS:,} characters", end
                )
        return _Header(fields, line_of, end, "pelican")
    return _Header({}, {}, 0, "")


def _is_digest_format(header):
    keys = set(header.fields)
    return (
        header.kind == "yaml"
        and keys <= set(DIGEST_KEYS)
        and {"number", "title", "language"} <= keys
    )


def parse_issue(text, *, title=None, strict=False, allow_flat=False):
    """Parse an issue file into a ParsedIssue, or raise InterchangeError.

    `title` replaces the file's title (or gives one to a file without); `strict` reads the file as
    Digest's own format whatever its header (backups); `allow_flat` accepts a file that yields no
    section or no item."""
    lines = text.split("\n")
    header = _front_matter(lines)
    fields, line_of = header.fields, header.line_of
    for key in KEPT_KEYS:
        _scalar(fields, key, line_of)
    digest_format = strict or _is_digest_format(header)
    language_key = "language" if "language" in fields else "lang"
    issue = ParsedIssue(
        number=_parse_number(fields.get("number"), line_of.get("number")),
        title="",
        published_at=_parse_date(fields.get("date"), line_of.get("date")),
        language=_parse_language(fields.get(language_key), line_of.get(language_key)),
    )
    not_kept = [key for key in fields if key not in KEPT_KEYS]
    issue.warnings = [
        f"line {line_of.get(key, 1)}: header field {key!r} is not kept by Digest"
        for key in not_kept
    ]

    file_title = str(fields.get("title") or "").strip()
    start = header.start
    if not digest_format:
        first = next((i for i in range(start, len(lines)) if lines[i].strip()), None)
        match = _ATX_HEADING.match(lines[first]) if first is not None else None
        level_one = [h for h in _structural_headings(lines, start) if h[1] == 1]
        # The `# Title` line, when `#` is not the level of the file's sections.
        if match and len(match.group(1)) == 1 and len(level_one) == 1:
            heading = _heading_text(match.group(2))
            if not file_title or heading == file_title:
                file_title = file_title or heading
                start = first + 1
                issue.decisions.append("title from the `#` line")
    if title:
        if file_title and file_title != title:
            issue.decisions.append("title from --title")
        file_title = title.strip()
    _check_title(file_title, line_of.get("title", 1), "the issue")
    issue.title = file_title

    if digest_format:
        _split(issue, lines, start, section_level=2, item_level=3, exact=True)
        issue.decisions.insert(0, "Digest's format")
    else:
        _split_detected(issue, lines, start)
        _move_footnotes(issue)
        _copy_link_definitions(issue)

    description = str(fields.get("description") or fields.get("summary") or "").strip()
    if description and not issue.intro.strip():
        issue.intro = description
        issue.decisions.append("intro from the description")
    elif description:
        not_kept.append("description" if "description" in fields else "summary")
    if not_kept:
        issue.decisions.append(f"not kept: {', '.join(not_kept)}")
    _check_limits(issue, lines)
    if not allow_flat:
        _refuse_flat(issue)
    return issue


def _structural_headings(lines, start):
    """(index, level, text) of every ATX heading at the start of a line, outside code and
    comments."""
    headings, fence, in_comment = [], None, False
    for index in range(start, len(lines)):
        line = lines[index]
        if fence is None and not in_comment and (match := _ATX_HEADING.match(line)):
            headings.append((index, len(match.group(1)), match.group(2)))
        fence, in_comment = track_blocks(line, fence, in_comment)
    return headings


def _split_detected(issue, lines, start):
    """Find the two heading levels that structure the file, split it, then tidy the titles."""
    headings = _structural_headings(lines, start)
    if not headings and (numbered := _numbered_lines_as_headings(lines, start)):
        lines, count = numbered
        headings = _structural_headings(lines, start)
        issue.decisions.append(f"{count} numbered lines read as headings")
    if not headings:
        _split(issue, lines, start, section_level=0, item_level=0)
        return
    counts = Counter(level for _, level, _ in headings)
    # The first heading is a section; so is a shallower level used more than once (an intro
    # may open with a deeper heading; a lone `#` at the end of `##` sections is one more).
    section_level = min([headings[0][1], *(level for level, n in counts.items() if n > 1)])
    item_level = min((level for level in counts if level > section_level), default=0)
    shifted = _split(issue, lines, start, section_level=section_level, item_level=item_level)
    issue.decisions.append(
        f"headings `{'#' * section_level}`/`{'#' * item_level}`"
        if item_level
        else f"headings `{'#' * section_level}`"
    )
    if shifted:
        issue.decisions.append(f"{shifted} deeper headings moved to `####` and below")
    if not item_level:
        _items_from_paragraphs(issue)
    _tidy_titles(issue)


_PLAIN_SECTION = re.compile(rf"^(?:\d+|[{_CHINESE_DIGITS}]+)、\S.{{0,100}}$")
_PLAIN_ITEM = re.compile(r"^\d+\.\d+[ \t]+\S.{0,100}$")


def _numbered_lines_as_headings(lines, start):
    """A file with no Markdown headings at all (text copied from a web page) whose sections and
    items are lines of their own numbered `1、…` and `1.1 …`: those lines as `#` and `##`."""
    found = []
    for index, (line, structural) in enumerate(_text_lines("\n".join(lines[start:])), start):
        alone = (index == start or not lines[index - 1].strip()) and (
            index + 1 == len(lines) or not lines[index + 1].strip()
        )
        if structural and alone:
            if _PLAIN_SECTION.match(line):
                found.append((index, "#"))
            elif _PLAIN_ITEM.match(line):
                found.append((index, "##"))
    if sum(1 for _, mark in found if mark == "#") < 2:
        return None
    lines = list(lines)
    for index, mark in found:
        lines[index] = f"{mark} {lines[index]}"
    return lines, len(found)


def _split(issue, lines, start, *, section_level, item_level, exact=False):
    """Cut the body into intro, sections and items at the given heading levels.

    With `exact`, only headings of exactly those levels are structure (Digest's format); else every
    heading at or above the section level starts a section, and headings below the item level are
    moved so that items keep theirs at `####` and below. Returns how many were moved."""
    buffer, fence, in_comment = [], None, False
    section = item = None
    shifted = 0

    def store():
        joined = "\n".join(buffer)
        chunk = joined.strip("\n")
        buffer.clear()
        blank_lines = len(joined) - len(joined.lstrip("\n"))
        if item is not None:
            item.body = chunk
        elif section is not None:
            section.text = chunk
            section.text_line = section.line + 1 + blank_lines
        else:
            issue.intro = chunk
            issue.intro_line = start + 1 + blank_lines

    for number, line in enumerate(lines[start:], start=start + 1):
        match = _ATX_HEADING.match(line) if fence is None and not in_comment else None
        level = len(match.group(1)) if match else 0
        is_section = match and (level == section_level if exact else level <= section_level)
        if is_section:
            store()
            section, item = ParsedSection(title=_heading_text(match.group(2)), line=number), None
            issue.sections.append(section)
            continue
        if match and level == item_level:
            if section is None:
                hashes = "#" * item_level
                raise InterchangeError(
                    f"an item ({hashes}) comes before any section ({'#' * section_level})", number
                )
            store()
            item = ParsedItem(title=_heading_text(match.group(2)), line=number)
            section.items.append(item)
            continue
        if match and not exact and item_level and level > item_level:
            moved = min(6, 3 + level - item_level)
            if moved != level:
                line = "#" * moved + line[level:]
                shifted += 1
        buffer.append(line)
        fence, in_comment = track_blocks(line, fence, in_comment)
    store()
    if exact:
        for section in issue.sections:
            icon, title = split_icon(section.title)
            section.icon, section.title = icon, title
            _check_title(section.title, section.line, "a section")
            for item in section.items:
                _check_title(item.title, item.line, "an item")
    return shifted


def _tidy_titles(issue):
    """Emoji at either end of a section heading become its icon; hand-written numbers go where
    most headings of their kind carry one; trailing emoji go from item headings."""
    sections = issue.sections
    items = [item for section in sections for item in section.items]
    trailing_sections = removed_emoji = 0
    for section in sections:
        section.icon, section.title = split_icon(section.title)
        if not section.icon:
            icon, title = split_trailing_icon(section.title)
            if icon:
                section.icon, section.title = icon, title
                trailing_sections += 1
    for item in items:
        icon, title = split_trailing_icon(item.title)
        if icon:
            item.title = title
            removed_emoji += 1
    numbered = _strip_hand_numbers(sections) + _strip_hand_numbers(items)
    for section in sections:
        _check_title(section.title, section.line, "a section")
    for item in items:
        _check_title(item.title, item.line, "an item")
    if numbered:
        issue.decisions.append(f"removed hand numbers from {numbered} headings")
    if trailing_sections:
        issue.decisions.append(f"trailing emoji of {trailing_sections} sections became their icon")
    if removed_emoji:
        issue.decisions.append(f"removed trailing emoji from {removed_emoji} item headings")


def _strip_hand_numbers(headed):
    """Take typed numbers off titles when most of them carry one ("3.5 GHz" alone stays)."""
    matches = [_HAND_NUMBER.match(obj.title) for obj in headed]
    if sum(1 for match in matches if match) * 2 <= len(headed):
        return 0
    for obj, match in zip(headed, matches, strict=True):
        if match:
            obj.title = obj.title[match.end() :]
    return sum(1 for match in matches if match)


def _items_from_paragraphs(issue):
    """In a file without item headings: bold paragraphs, or else lists whose entries each start
    with a link, become the items of their section."""
    bold = links = 0
    for section in issue.sections:
        if items := _bold_items(section):
            bold += len(items)
        elif items := _link_list_items(section):
            links += len(items)
    if bold:
        issue.decisions.append(f"items from bold paragraphs: {bold}")
    if links:
        issue.decisions.append(f"items from lists of links: {links}")


def _text_lines(text):
    """Each line of a field with whether it is outside code and comments."""
    fence, in_comment = None, False
    for line in text.split("\n"):
        yield line, fence is None and not in_comment
        fence, in_comment = track_blocks(line, fence, in_comment)


def _bold_items(section):
    lines = list(_text_lines(section.text))
    starts = [
        index
        for index, (line, structural) in enumerate(lines)
        if structural
        and _BOLD_TITLE.match(line)
        and (index == 0 or not lines[index - 1][0].strip())
    ]
    if not starts:
        return []
    text = [line for line, _ in lines]
    section.text = "\n".join(text[: starts[0]]).strip("\n")
    for position, begin in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(text)
        title = _BOLD_TITLE.match(text[begin]).group(2).strip()
        section.items.append(
            ParsedItem(
                title=title,
                body="\n".join(text[begin + 1 : end]).strip("\n"),
                line=section.text_line + begin,
            )
        )
    return section.items


def _list_entries(lines):
    """(first, last) line index of each top-level list entry, outside code and comments."""
    entries, index = [], 0
    while index < len(lines):
        line, structural = lines[index]
        if not (structural and _LIST_ENTRY.match(line)):
            index += 1
            continue
        last = index
        probe = index + 1
        while probe < len(lines):
            following = lines[probe][0]
            if _LIST_ENTRY.match(following) and not following[:1].isspace():
                break
            if following.strip() and (following[:1].isspace() or lines[probe - 1][0].strip()):
                last = probe  # indented continuation, or a lazy one right after entry text
            elif following.strip():
                break  # text at the margin after a blank line ends the list
            probe += 1
        entries.append((index, last))
        index = last + 1
    return entries


def _link_list_items(section):
    lines = list(_text_lines(section.text))
    entries = _list_entries(lines)
    # Runs of entries with only blank lines between them are one list.
    runs, run = [], []
    for first, last in entries:
        if run and any(lines[i][0].strip() for i in range(run[-1][1] + 1, first)):
            runs.append(run)
            run = []
        run.append((first, last))
    if run:
        runs.append(run)
    link_runs = [run for run in runs if all(_LINK_ENTRY.match(lines[first][0]) for first, _ in run)]
    if not link_runs:
        return []
    text = [line for line, _ in lines]
    section.text = "\n".join(text[: link_runs[0][0][0]]).strip("\n")
    chosen = [entry for run in link_runs for entry in run]
    for position, (first, last) in enumerate(chosen):
        end = chosen[position + 1][0] if position + 1 < len(chosen) else len(text)
        match = _LINK_ENTRY.match(text[first])
        indent = len(match.group("marker"))
        rest = match.group("rest").lstrip(_AFTER_LINK)
        continuation = [
            line[indent:] if line[:indent].isspace() else line.lstrip()
            for line in text[first + 1 : last + 1]
        ]
        # Text after the list, before the next one, stays with the entry it follows.
        after = text[last + 1 : end]
        body = "\n".join([rest, *continuation]).strip("\n")
        if any(line.strip() for line in after):
            body = (body + "\n\n" + "\n".join(after).strip("\n")).strip("\n")
        title = match.group("link")
        if len(title) > MAX_TITLE_CHARS:
            # A link too long for a title: its text is the title, the link opens the body.
            body = (title + "\n\n" + body).strip("\n")
            title = re.sub(r"[\[\]<>]", "", title.split("](", 1)[0]).strip() or "Link"
            title = title[:MAX_TITLE_CHARS]
        section.items.append(ParsedItem(title=title, body=body, line=section.text_line + first))
    return section.items


def _label(text):
    return " ".join(text.split()).casefold()


def _fields(issue):
    """(object, attribute) of every Markdown field of a parsed issue, in reading order."""
    fields = [(issue, "intro")]
    for section in issue.sections:
        fields.append((section, "text"))
        fields += [(item, "body") for item in section.items]
    return fields


def _footnote_blocks(text):
    """(label, first line, end line) of each footnote definition in a field, outside code."""
    # A definition runs to the next one, or to a line indented less than four columns after a
    # blank line (as markdown-it reads it).
    lines = list(_text_lines(text))
    blocks, index = [], 0
    while index < len(lines):
        line, structural = lines[index]
        match = _FOOTNOTE_DEFINITION.match(line) if structural else None
        if not match:
            index += 1
            continue
        end = index + 1
        while end < len(lines):
            following = lines[end][0]
            if _FOOTNOTE_DEFINITION.match(following) or (
                following.strip()
                and not following.startswith(("    ", "\t"))
                and not lines[end - 1][0].strip()
            ):
                break
            end += 1
        while not lines[end - 1][0].strip():
            end -= 1
        blocks.append((match.group(1), index, end))
        index = end
    return blocks


def _outside_code(obj, name):
    return "\n".join(line for line, structural in _text_lines(getattr(obj, name)) if structural)


def _move_footnotes(issue):
    """Give each footnote defined in one part to the other parts that refer to it."""
    # Each field is rendered on its own. As links' definitions are copied, a note (defined at
    # the end of the file, often) goes to every part that refers to it without defining it, and
    # leaves a part that does not refer to it; a note referred to nowhere stays where it is.
    fields = _fields(issue)
    defined = {}  # label: (object, attribute, first line, end line) of its first definition
    defines = set()  # (id of a part, label) for each label a part defines itself
    for obj, name in fields:
        for label, first, end in _footnote_blocks(getattr(obj, name)):
            defined.setdefault(label, (obj, name, first, end))
            defines.add((id(obj), label))
    moved, removed = 0, {}
    for label, (home, home_name, first, end) in defined.items():
        reference = re.compile(r"\[\^" + re.escape(label) + r"\](?!:)")
        users = [(obj, name) for obj, name in fields if reference.search(_outside_code(obj, name))]
        others = [(obj, name) for obj, name in users if (id(obj), label) not in defines]
        if not others:
            continue
        block = "\n".join(getattr(home, home_name).split("\n")[first:end])
        for obj, name in others:
            setattr(obj, name, getattr(obj, name).rstrip("\n") + "\n\n" + block)
        if not any(obj is home for obj, _ in users):
            removed.setdefault(id(home), (home, home_name, []))[2].append((first, end))
        moved += 1
    for home, name, ranges in removed.values():
        lines = getattr(home, name).split("\n")
        for first, end in sorted(ranges, reverse=True):
            del lines[first:end]
        setattr(home, name, re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n"))
    if moved:
        issue.decisions.append(f"footnotes given to the parts that refer to them: {moved}")


def _copy_link_definitions(issue):
    """Each field is rendered on its own, so a field using `[text][label]` gets a copy of the
    label's definition when the file defined it elsewhere (as a whole file, it was a link)."""
    fields = [issue, *issue.sections]
    fields += [item for section in issue.sections for item in section.items]
    attribute = {id(issue): "intro"}
    attribute.update({id(section): "text" for section in issue.sections})
    definitions, defined_in = {}, {}
    for obj in fields:
        for line, structural in _text_lines(getattr(obj, attribute.get(id(obj), "body"))):
            if structural and (match := _LINK_DEFINITION.match(line)):
                definitions.setdefault(_label(match.group(1)), line.strip())
                defined_in.setdefault(id(obj), set()).add(_label(match.group(1)))
    if not definitions:
        return
    patterns = {
        label: re.compile(r"\[" + r"\s+".join(map(re.escape, label.split())) + r"\]", re.I)
        for label in definitions
    }
    copied = 0
    for obj in fields:
        name = attribute.get(id(obj), "body")
        text = getattr(obj, name)
        have = defined_in.get(id(obj), set())
        missing = [
            definitions[label]
            for label, pattern in patterns.items()
            if label not in have and pattern.search(text)
        ]
        if missing:
            setattr(obj, name, (text.rstrip("\n") + "\n\n" + "\n".join(missing)).lstrip("\n"))
            copied += len(missing)
    if copied:
        issue.decisions.append(f"copied {copied} link definitions to the parts that use them")


def _check_limits(issue, lines):
    """The numbers of `issues.text.limits`, checked before anything is rendered."""
    if len(issue.sections) > MAX_SECTIONS_PER_ISSUE:
        raise InterchangeError(
            f"the issue has {len(issue.sections):,} sections; the limit is "
            f"{MAX_SECTIONS_PER_ISSUE:,}",
            issue.sections[MAX_SECTIONS_PER_ISSUE].line,
        )
    items = [item for section in issue.sections for item in section.items]
    if len(items) > MAX_ITEMS_PER_ISSUE:
        raise InterchangeError(
            f"the issue has {len(items):,} items; the limit is {MAX_ITEMS_PER_ISSUE:,}",
            items[MAX_ITEMS_PER_ISSUE].line,
        )
    links = 0
    for number, (line, structural) in enumerate(_text_lines("\n".join(lines)), start=1):
        if structural:
            links += len(_LINK_MARKS.findall(line))
            if links > MAX_LINKS_PER_ISSUE:
                raise InterchangeError(
                    f"the issue has more than {MAX_LINKS_PER_ISSUE:,} links; the limit is "
                    f"{MAX_LINKS_PER_ISSUE:,}",
                    number,
                )
    for what, text, line in [
        ("the intro", issue.intro, issue.intro_line),
        *((f"section {s.title[:40]!r}", s.text, s.line) for s in issue.sections),
        *((f"item {i.title[:40]!r}", i.body, i.line) for i in items),
    ]:
        if len(text) > MAX_FIELD_CHARS:
            raise InterchangeError(
                f"{what} is {len(text):,} characters long; the limit for one part is "
                f"{MAX_FIELD_CHARS:,}",
                line,
            )


def _refuse_flat(issue):
    if not issue.sections:
        raise InterchangeError(
            "no section: no heading in the file reads as one "
            "(pass --allow-flat to import it as an intro only)"
        )
    if not issue.item_count:
        found = next(d for d in issue.decisions if d.startswith(("headings", "Digest's format")))
        raise InterchangeError(
            f"no item: {len(issue.sections)} sections ({found}) but no deeper heading, bold "
            "paragraph or list of links reads as an item (pass --allow-flat to import it as is)"
        )


def _protect_closing_hashes(heading):
    """A heading ending in # gets a closing sequence, so the parser keeps its own #."""
    return f"{heading} #" if heading.endswith("#") else heading


def serialize_issue(issue, sections):
    """Write an issue in the interchange format; parsing the result gives the issue back."""
    header = {"number": issue.number, "title": issue.title}
    if issue.published_at:
        header["date"] = issue.published_at.astimezone(datetime.UTC).isoformat()
    header["language"] = issue.language
    front = yaml.safe_dump(header, allow_unicode=True, sort_keys=False, width=10_000)
    parts = [f"---\n{front}---\n"]
    if issue.intro.strip():
        parts.append(issue.intro.strip("\n") + "\n")
    for section in sections:
        heading = f"{section.icon} {section.title}" if section.icon else section.title
        parts.append(f"## {_protect_closing_hashes(heading)}\n")
        if section.text.strip():
            parts.append(section.text.strip("\n") + "\n")
        items = section.items.all() if hasattr(section.items, "all") else section.items
        for item in items:
            parts.append(f"### {_protect_closing_hashes(item.title)}\n")
            if item.body.strip():
                parts.append(item.body.strip("\n") + "\n")
    return "\n".join(parts)
