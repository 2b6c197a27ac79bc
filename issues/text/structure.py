"""What a line of Markdown means to the issue's structure: section and item headings, fences,
comments and leading emoji. Shared by the interchange format and the models' validation."""

import re
import unicodedata

SECTION_HEADING = re.compile(r"^##(?:[ \t]+(.*?))?[ \t]*$")
ITEM_HEADING = re.compile(r"^###(?:[ \t]+(.*?))?[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_EMOJI_JOINERS = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}


def split_icon(heading):
    """Split a leading emoji off a section heading: ("📰", "Publications")."""
    first, _, rest = heading.partition(" ")
    if rest.strip() and first and all(_is_emoji_char(char) for char in first):
        return first, rest.strip()
    return "", heading


def split_trailing_icon(heading):
    """Split an emoji off the end of a heading: ("📰", "Publications") for "Publications 📰"."""
    rest, _, last = heading.rpartition(" ")
    if rest.strip() and last and all(_is_emoji_char(char) for char in last):
        return last, rest.strip()
    return "", heading


def _is_emoji_char(char):
    if char in _EMOJI_JOINERS or "\U0001f3fb" <= char <= "\U0001f3ff":
        return True
    return unicodedata.category(char) == "So"


def track_blocks(line, fence, in_comment):
    """Follow fenced code and HTML comments, inside which headings are just text."""
    if in_comment:
        return fence, "-->" not in line
    if fence is not None:
        match = FENCE.match(line)
        closes = match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence)
        if closes and not line.strip().lstrip(fence[0]):
            return None, False
        return fence, False
    match = FENCE.match(line)
    if match:
        return match.group(1), False
    # An HTML comment opens a block only at the start of a line, as in Markdown (not in `code`).
    stripped = line.lstrip(" ")
    if stripped.startswith("<!--") and "-->" not in stripped[4:]:
        return None, True
    return None, False


def structure_problems(text):
    """Why a section text or item body would not come back the same from the Markdown format:
    a line that reads as a section or item heading, or a code fence left open."""
    problems, fence, in_comment = [], None, False
    for number, line in enumerate((text or "").replace("\r\n", "\n").split("\n"), start=1):
        if (
            fence is None
            and not in_comment
            and (SECTION_HEADING.match(line) or ITEM_HEADING.match(line))
        ):
            problems.append(
                f"line {number} starts with “{line.split()[0] if line.split() else line}”, which "
                "starts a new section or item: use #### or deeper for headings inside it"
            )
        fence, in_comment = track_blocks(line, fence, in_comment)
    if fence is not None:
        problems.append(f"a code block opened with {fence} is never closed")
    return problems
