"""What "no script from content" means, checked on parsed HTML rather than by string search."""

import re

from bs4 import BeautifulSoup

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "form", "style", "base", "meta", "link"}
FORBIDDEN_SCHEMES = ("javascript:", "vbscript:", "data:")
C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "poster"}


def _scheme_of(value):
    # As browsers parse URLs (WHATWG): strip leading and trailing C0 controls and spaces,
    # remove tabs and newlines anywhere.
    return re.sub(r"[\t\n\r]", "", value.strip(C0_AND_SPACE)).lower()


def dangers(fragment):
    """Every way the HTML fragment could run script: an empty list when it is safe."""
    soup = BeautifulSoup(fragment, "html.parser")
    found = []
    for tag in soup.find_all(True):
        if tag.name in FORBIDDEN_TAGS:
            found.append(f"<{tag.name}>")
        for name, value in tag.attrs.items():
            if name.lower().startswith("on"):
                found.append(f"{tag.name}[{name}]")
            values = value if isinstance(value, list) else [value]
            if name.lower() in URL_ATTRIBUTES:
                for v in values:
                    if _scheme_of(v).startswith(FORBIDDEN_SCHEMES):
                        found.append(f"{tag.name}[{name}={v!r}]")
    return found
