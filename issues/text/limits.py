"""How much one issue may hold: the numbers every import checks, in one place (README, Limits).

Beyond them an import is refused with the reason and the line; within them an issue imports and
renders in seconds. The renderer may enforce its own bounds (nesting depth) on top of these.
"""

# A whole import file.
MAX_FILE_BYTES = 5 * 1024 * 1024
# One field: the intro, a section's text or an item's body, in characters.
MAX_FIELD_CHARS = 200_000
# A title (issue, section or item), in characters.
MAX_TITLE_CHARS = 300
# Sections and items of one issue.
MAX_SECTIONS_PER_ISSUE = 200
MAX_ITEMS_PER_ISSUE = 1_000
# A whole issue's Markdown, all its texts together.
MAX_ISSUE_CHARS = 1_000_000
# Links written in one issue (inline, reference-style, autolinks and <a href>), cited or not.
MAX_LINKS_PER_ISSUE = 5_000
# The YAML front matter or Pelican header, in characters.
MAX_HEADER_CHARS = 10_000
