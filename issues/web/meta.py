"""What an issue page tells link previews and search engines: description, canonical address,
Open Graph and Twitter card tags, and JSON-LD with the issue's citations."""

import html
import json
import re

from django.conf import settings
from django.utils.safestring import mark_safe

from issues.text.summary import html_first_sentence

OG_LOCALES = {"en": "en_US", "zh-hans": "zh_CN"}
BCP47 = {"en": "en", "zh-hans": "zh-Hans"}
# Inside <script>, these would end the element or open a comment: JSON may spell them \\uXXXX.
_SCRIPT_ESCAPES = (("<", "\\u003C"), (">", "\\u003E"), ("&", "\\u0026"))


# The reference list as the issue template writes it; a regular expression rather than an HTML
# parser, which cost 30 ms a page (measured with timeit on the demo's 41 references).
_REFERENCE = re.compile(
    r'<span class="ref-title">(?P<title>.*?)</span>.*?<a class="ref-url" href="(?P<url>[^"]*)"',
    re.DOTALL,
)


def issue_references(body_html):
    """(title, URL) of each reference readers see; removed ones have neither."""
    return [
        {"title": html.unescape(match["title"]), "url": html.unescape(match["url"])}
        for match in _REFERENCE.finditer(body_html)
    ]


def issue_meta(*, request, issue, body_html):
    """The head tags' values for a published issue page. No modification time: it moves with
    every re-render and restore, and the page must stay the same bytes when its content does."""
    url = request.build_absolute_uri(issue.get_absolute_url())
    title = issue.plain_title or issue.title
    description = html_first_sentence(issue.rendered_intro) or title
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
    # Compact (an indent would switch json to its slow pure-Python encoder).
    json_ld = json.dumps(article, ensure_ascii=False, separators=(",", ":"))
    for character, escape in _SCRIPT_ESCAPES:
        json_ld = json_ld.replace(character, escape)
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
