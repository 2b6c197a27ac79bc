"""What an issue page tells link previews and search engines: description, canonical address,
Open Graph and Twitter card tags, and JSON-LD with the issue's citations."""

import json
from html.parser import HTMLParser

from django.conf import settings
from django.utils.safestring import mark_safe

from issues.text.summary import first_sentence

OG_LOCALES = {"en": "en_US", "zh-hans": "zh_CN"}
BCP47 = {"en": "en", "zh-hans": "zh-Hans"}
# Inside <script>, these would end the element or open a comment: JSON may spell them \\uXXXX.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


class _ReferenceReader(HTMLParser):
    """The reference list as readers see it: (title, URL) of each entry not removed."""

    def __init__(self):
        super().__init__()
        self.references = []
        self._field = None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if "ref-title" in classes:
            self._field = "title"
            self.references.append({"title": "", "url": ""})
        elif "ref-url" in classes and self.references:
            self.references[-1]["url"] = dict(attrs).get("href") or ""

    def handle_endtag(self, tag):
        if tag == "span":
            self._field = None

    def handle_data(self, data):
        if self._field == "title":
            self.references[-1]["title"] += data


def issue_references(body_html):
    reader = _ReferenceReader()
    reader.feed(body_html)
    return [ref for ref in reader.references if ref["url"]]


def issue_meta(*, request, issue, body_html):
    """The head tags' values for a published issue page. No modification time: it moves with
    every re-render and restore, and the page must stay the same bytes when its content does."""
    url = request.build_absolute_uri(issue.get_absolute_url())
    title = issue.plain_title or issue.title
    description = first_sentence(issue.intro) or title
    published = issue.published_at.isoformat()
    site = {
        "@type": "Organization",
        "name": settings.SITE_NAME,
        "url": request.build_absolute_uri("/"),
    }
    article = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title,
        "description": description,
        "url": url,
        "mainEntityOfPage": url,
        "inLanguage": BCP47.get(issue.language, issue.language),
        "datePublished": published,
        "author": site,
        "publisher": site,
        "isPartOf": {"@type": "Periodical", "name": settings.SITE_NAME},
        "citation": [
            {"@type": "CreativeWork", "name": ref["title"], "url": ref["url"]}
            for ref in issue_references(body_html)
        ],
    }
    json_ld = json.dumps(article, ensure_ascii=False, indent=1).translate(_SCRIPT_ESCAPES)
    return {
        "title": title,
        "description": description,
        "url": url,
        "site_name": settings.SITE_NAME,
        "locale": OG_LOCALES.get(issue.language, issue.language),
        "published": published,
        # Escaped above for the inside of a <script> element, so it may be written out as is.
        "json_ld": mark_safe(json_ld),
    }
