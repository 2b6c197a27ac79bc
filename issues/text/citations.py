"""The numbering of citations: which links count, when two URLs are the same, and the issue-wide
reference list that every format of an issue shares."""

from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

CITED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=16384)
def normalize_url(url):
    """The identity of a URL: scheme and host lower-cased, no default port, no utm_* parameters.

    Kept per URL: a save numbers every citation of its issue again (600 on a 300-item issue)."""
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
    all_params = parse_qsl(parts.query, keep_blank_values=True)
    query = [(key, value) for key, value in all_params if not key.lower().startswith("utm_")]
    # Re-encode only when a utm_* parameter went, so other queries keep their exact spelling.
    clean_query = urlencode(query) if len(query) != len(all_params) else parts.query
    return urlunsplit((scheme, netloc, parts.path or "/", clean_query, parts.fragment))


def is_cited_url(url):
    """Whether a link target counts as a citation: absolute http(s) URLs only."""
    parts = urlsplit((url or "").strip())
    return parts.scheme.lower() in CITED_SCHEMES and bool(parts.netloc)


def link_label(parts):
    """The text a citation is recorded under: its pieces joined, white space collapsed."""
    return " ".join("".join(parts).split())


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


@dataclass(frozen=True)
class Citation:
    """One place an issue cites a reference: its number and the anchor of that place."""

    number: int
    anchor: str


class CitationNumbering:
    """Numbers the http(s) links of an issue in the order they are read.

    The Markdown engine calls `cite` for each link as it reads the token stream of each fragment
    (title, intro, section titles and texts, item titles and bodies), in reading order.
    """

    def __init__(self):
        self.by_url = {}

    @property
    def references(self):
        return sorted(self.by_url.values(), key=lambda ref: ref.number)

    def cite(self, url, text, *, is_removed=False):
        """Record one citation of `url` under `text`; its number is the URL's first appearance."""
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
        return Citation(ref.number, anchor)
