"""Checks shown to editors before publishing: blockers stop "Publish now", warnings advise."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from django.utils.translation import gettext as _

from issues.models import Citation, Issue, Section
from issues.selectors.issues import issue_article
from issues.text.article import RenderedIssue
from issues.text.citations import NumberedReference

TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMETERS = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid"}
ALLOWED_LINK_SCHEMES = {"http", "https", "mailto"}
# RFC 3986: what a URL may hold as written; anything else must be percent-encoded.
NOT_URL_CHARACTER = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]|%(?![0-9A-Fa-f]{2})")
# Link texts that tell a reader nothing about where the link goes (compared case-insensitively).
GENERIC_LINK_TEXTS = {
    "here", "click here", "link", "this link", "this", "more", "read more", "learn more",
    "source", "paper", "article", "website", "page", "post",
    "这里", "点击这里", "点此", "此处", "链接", "原文", "阅读原文", "全文", "查看全文", "论文",
    "文章", "网站", "服务",
}  # fmt: skip
# Punctuation that cannot start a link text, that cannot end one, and a space just inside a
# quote or bracket: signs of a text cut from its sentence in the wrong place.
STRAY_START = tuple(",.;:!?，。；：！？、”’」』）)]")
STRAY_END = tuple(",;:，；：、“‘「『（([")
SPACE_INSIDE_QUOTES = re.compile(r"[“‘「『（(\[]\s|\s[”’」』）)\]]")


@dataclass(frozen=True)
class Check:
    level: str  # "blocker" or "warning"
    message: str

    @property
    def is_blocker(self) -> bool:
        return self.level == "blocker"


def _places(rendered: RenderedIssue) -> Iterator[tuple[str, list[str]]]:
    """The link targets of every Markdown text of the issue, each named as editors know it.

    Read from the rendered issue's fragments: each text is parsed once per save, not once to
    render and again to check (the links checked are those the published page has)."""
    yield _("the issue title"), rendered.title.targets
    yield _("the intro"), rendered.intro.targets
    for section in rendered.sections:
        yield _("section %(n)s title") % {"n": section.number}, section.title.targets
        yield _("section %(n)s text") % {"n": section.number}, section.text.targets
        for item in section.items:
            yield _("item %(n)s title") % {"n": item.number}, item.title.targets
            yield _("item %(n)s body") % {"n": item.number}, item.body.targets


def _url_checks(ref: NumberedReference) -> Iterator[Check]:
    for url in dict.fromkeys(ref.urls):
        bad = "".join(dict.fromkeys(match.group() for match in NOT_URL_CHARACTER.finditer(url)))
        if bad:
            yield Check(
                "warning",
                _("[%(n)s] %(url)s has characters that are not valid in a URL: %(chars)s.")
                % {"n": ref.number, "url": url, "chars": " ".join(bad)},
            )


def _link_text_checks(ref: NumberedReference) -> Iterator[Check]:
    for text in dict.fromkeys(ref.texts):
        if not text:
            yield Check(
                "warning",
                _("[%(n)s] %(url)s is cited with an empty link text.")
                % {"n": ref.number, "url": ref.url},
            )
        elif text.casefold() in GENERIC_LINK_TEXTS:
            yield Check(
                "warning",
                _("[%(n)s] The link text “%(text)s” says nothing about %(url)s.")
                % {"n": ref.number, "text": text, "url": ref.url},
            )
        elif (
            text.startswith(STRAY_START)
            or text.endswith(STRAY_END)
            or SPACE_INSIDE_QUOTES.search(text)
        ):
            yield Check(
                "warning",
                _("[%(n)s] The link text “%(text)s” has stray punctuation or spaces.")
                % {"n": ref.number, "text": text},
            )


def _shared_text_checks(references: list[NumberedReference]) -> Iterator[Check]:
    """One link text naming different URLs: a reader cannot tell them apart."""
    by_text: dict[str, dict[int, tuple[str, str]]] = {}
    for ref in references:
        for text in dict.fromkeys(ref.texts):
            if text:
                by_text.setdefault(text.casefold(), {})[ref.number] = (text, ref.url)
    for refs in by_text.values():
        if len(refs) > 1:
            text = next(iter(refs.values()))[0]
            yield Check(
                "warning",
                _("The link text “%(text)s” is used for different URLs: %(refs)s.")
                % {
                    "text": text,
                    "refs": ", ".join(f"[{n}] {url}" for n, (_text, url) in refs.items()),
                },
            )


def issue_checks(*, issue: Issue, sections: list[Section], rendered: RenderedIssue) -> list[Check]:
    """Problems an editor should see before publishing, blockers first."""
    checks = []
    for place, targets in _places(rendered):
        for target in targets:
            scheme = urlsplit(target).scheme.lower()
            if scheme not in ALLOWED_LINK_SCHEMES or (scheme != "mailto" and "//" not in target):
                checks.append(
                    Check(
                        "blocker",
                        _("Link “%(target)s” in %(place)s is not an http(s) URL.")
                        % {"target": target or _("(empty)"), "place": place},
                    )
                )
    for ref in rendered.references:
        for url in dict.fromkeys(ref.urls):
            params = [key.lower() for key, _value in parse_qsl(urlsplit(url).query, True)]
            tracking = [
                key
                for key in params
                if key.startswith(TRACKING_PREFIXES) or key in TRACKING_PARAMETERS
            ]
            if tracking:
                checks.append(
                    Check(
                        "warning",
                        _("[%(n)s] %(url)s carries tracking parameters (%(params)s).")
                        % {"n": ref.number, "url": url, "params": ", ".join(tracking)},
                    )
                )
        checks.extend(_url_checks(ref))
        checks.extend(_link_text_checks(ref))
        texts = list(dict.fromkeys(text for text in ref.texts if text))
        if len(texts) > 1:
            checks.append(
                Check(
                    "warning",
                    _("[%(n)s] %(url)s is cited under different texts: %(texts)s.")
                    % {"n": ref.number, "url": ref.url, "texts": " / ".join(texts)},
                )
            )
    checks.extend(_shared_text_checks(rendered.references))
    earlier = (
        Citation.objects.filter(
            reference__normalized_url__in=[ref.normalized_url for ref in rendered.references],
            issue__number__lt=issue.number,
        )
        .exclude(issue_id=issue.pk)
        .values_list("reference__normalized_url", "issue__number")
        .order_by("issue__number")
    )
    cited_before: dict[str, list[int]] = {}
    for url, number in earlier:
        cited_before.setdefault(url, []).append(number)
    for ref in rendered.references:
        if ref.normalized_url in cited_before:
            numbers = ", ".join(f"#{n}" for n in cited_before[ref.normalized_url])
            checks.append(
                Check(
                    "warning",
                    _("[%(n)s] %(url)s was already cited in issue %(issues)s.")
                    % {"n": ref.number, "url": ref.url, "issues": numbers},
                )
            )
    for section in rendered.sections:
        if not section.items and not section.section.text.strip():
            checks.append(
                Check(
                    "warning",
                    _("Section %(n)s “%(title)s” is empty.")
                    % {"n": section.number, "title": section.title_text},
                )
            )
        for item in section.items:
            if not item.item.body.strip():
                checks.append(
                    Check(
                        "warning",
                        _("Item %(n)s “%(title)s” has no body.")
                        % {"n": item.number, "title": item.title_text},
                    )
                )
    return sorted(checks, key=lambda check: not check.is_blocker)


def issue_review(*, issue: Issue) -> tuple[RenderedIssue, list[Check]]:
    """The issue as it would be published now, and the checks on it."""
    sections = list(Issue.objects.with_contents().get(pk=issue.pk).sections.all())
    rendered = issue_article(issue=issue, sections=sections)
    return rendered, issue_checks(issue=issue, sections=sections, rendered=rendered)


def issue_blockers(*, issue: Issue) -> list[Check]:
    """The checks that stop the issue from being published or scheduled."""
    return [check for check in issue_review(issue=issue)[1] if check.is_blocker]
