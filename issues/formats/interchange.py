"""The Markdown interchange format of an issue: parse it, and write it back out.

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

A Pelican-style header (`Title:`, `Number:`, `Date:` lines, then a blank line) is accepted
instead of the YAML front matter.
"""

import datetime
import re
from dataclasses import dataclass, field

import yaml
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from issues.text.structure import (
    ITEM_HEADING,
    SECTION_HEADING,
    split_icon,
    track_blocks,
)

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_TITLE_LENGTH = 300
LANGUAGES = ("en", "zh-hans")
LANGUAGE_ALIASES = {"zh": "zh-hans", "zh-cn": "zh-hans", "zh_hans": "zh-hans", "en-us": "en"}

_CLOSING_HASHES = re.compile(r"[ \t]+#+$")
_PELICAN_LINE = re.compile(r"^([A-Za-z][A-Za-z_-]*):[ \t]*(.*)$")


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay text, checked by `_parse_date`."""


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


@dataclass
class ParsedSection:
    title: str
    icon: str = ""
    text: str = ""
    items: list = field(default_factory=list)


@dataclass
class ParsedIssue:
    number: int | None
    title: str
    published_at: datetime.datetime | None
    language: str
    intro: str = ""
    sections: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def decode(raw):
    """Bytes of an import file as text, refusing what is not UTF-8 text."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise InterchangeError(
            f"the file is {len(raw) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_IMPORT_BYTES // 1024 // 1024} MB"
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


def _parse_date(value, line):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, datetime.date):
        parsed = datetime.datetime.combine(value, datetime.time())
    else:
        text = str(value).strip()
        try:
            parsed = parse_datetime(text) or parse_datetime(text.replace(" ", "T", 1))
            if parsed is None and (day := parse_date(text)):
                parsed = datetime.datetime.combine(day, datetime.time())
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
    if isinstance(value, bool) or not re.fullmatch(r"\s*\d+\s*", str(value)):
        raise InterchangeError(f"number {value!r} is not a positive whole number", line)
    number = int(value)
    if number < 1 or number > 2_147_483_647:
        raise InterchangeError(f"number {number} is out of range (1 to 2147483647)", line)
    return number


def _parse_language(value, line):
    if value in (None, ""):
        return "en"
    language = str(value).strip().lower()
    language = LANGUAGE_ALIASES.get(language, language)
    if language not in LANGUAGES:
        raise InterchangeError(
            f"unknown language {value!r}: use one of {', '.join(LANGUAGES)}", line
        )
    return language


def _check_title(title, line, what):
    if not title:
        raise InterchangeError(f"{what} has no title", line)
    if len(title) > MAX_TITLE_LENGTH:
        raise InterchangeError(
            f"{what} title is {len(title)} characters long; the limit is {MAX_TITLE_LENGTH}",
            line,
        )


def _front_matter(lines):
    """Header fields, the line number of each, warnings, and where the body starts."""
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() in ("---", "..."):
                break
        else:
            raise InterchangeError("the front matter opened on line 1 is never closed by ---", 1)
        try:
            data = yaml.load("\n".join(lines[1:end]), Loader=_FrontMatterLoader) or {}
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
        return fields, line_of, end + 1
    if lines and _PELICAN_LINE.match(lines[0]):
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
        return fields, line_of, end
    return {}, {}, 0


KNOWN_KEYS = {"number", "title", "date", "language", "lang"}


def parse_issue(text):
    """Parse the interchange format into a ParsedIssue, or raise InterchangeError."""
    lines = text.split("\n")
    fields, line_of, start = _front_matter(lines)
    title = str(fields.get("title") or "").strip()
    _check_title(title, line_of.get("title", 1), "the issue")
    language_key = "language" if "language" in fields else "lang"
    issue = ParsedIssue(
        number=_parse_number(fields.get("number"), line_of.get("number")),
        title=title,
        published_at=_parse_date(fields.get("date"), line_of.get("date")),
        language=_parse_language(fields.get(language_key), line_of.get(language_key)),
    )
    issue.warnings = [
        f"line {line_of.get(key, 1)}: header field {key!r} is not kept by Digest"
        for key in fields
        if key not in KNOWN_KEYS
    ]

    buffer, fence, in_comment = [], None, False
    section = item = None

    def flush():
        chunk = "\n".join(buffer).strip("\n")
        buffer.clear()
        return chunk

    for number, line in enumerate(lines[start:], start=start + 1):
        structural = fence is None and not in_comment
        section_match = SECTION_HEADING.match(line) if structural else None
        item_match = ITEM_HEADING.match(line) if structural else None
        if section_match:
            _store(issue, section, item, flush())
            heading = _heading_text(section_match.group(1))
            icon, heading = split_icon(heading)
            _check_title(heading, number, "a section")
            section, item = ParsedSection(title=heading, icon=icon), None
            issue.sections.append(section)
            continue
        if item_match:
            if section is None:
                raise InterchangeError("an item (###) comes before any section (##)", number)
            _store(issue, section, item, flush())
            heading = _heading_text(item_match.group(1))
            _check_title(heading, number, "an item")
            item = ParsedItem(title=heading)
            section.items.append(item)
            continue
        buffer.append(line)
        fence, in_comment = track_blocks(line, fence, in_comment)
    _store(issue, section, item, flush())
    return issue


def _store(issue, section, item, chunk):
    if item is not None:
        item.body = chunk
    elif section is not None:
        section.text = chunk
    else:
        issue.intro = chunk


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
