"""An issue in every format editors send out: Markdown, email, WeChat and plain text.

Every format is made from the same rendered issue as the web page, so the section, item and
reference numbers are the same everywhere.
"""

import html
import textwrap
from html.parser import HTMLParser
from urllib.parse import urljoin

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.safestring import mark_safe

from issues.selectors.issues import issue_article, issue_sections
from issues.services.issues import issue_export_markdown

FORMATS = {
    "markdown": ("text/markdown; charset=utf-8", "md"),
    "email": ("text/html; charset=utf-8", "html"),
    "wechat": ("text/html; charset=utf-8", "html"),
    "text": ("text/plain; charset=utf-8", "txt"),
}


def export_issue(*, issue, fmt, base_url=None):
    """The issue as a string in one of FORMATS."""
    if fmt == "markdown":
        return issue_export_markdown(issue=issue)
    rendered = issue_article(issue=issue, sections=issue_sections(issue))
    base_url = (base_url or settings.SITE_URL).rstrip("/")
    page_url = f"{base_url}{issue.get_absolute_url()}"
    with translation.override(issue.language):
        if fmt == "email":
            return _email(issue, rendered, page_url)
        if fmt == "wechat":
            return _wechat(issue, rendered)
        if fmt == "text":
            return _text(issue, rendered, page_url)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def _each_fragment(rendered, transform):
    """Apply `transform` to every HTML fragment of a rendered issue, in place."""
    rendered.title_html = transform(rendered.title_html)
    rendered.intro_html = transform(rendered.intro_html)
    for section in rendered.sections:
        section.title_html = transform(section.title_html)
        section.text_html = transform(section.text_html)
        for item in section.items:
            item.title_html = transform(item.title_html)
            item.body_html = transform(item.body_html)
    return rendered


def _email(issue, rendered, page_url):
    rendered = _each_fragment(rendered, lambda fragment: _rewrite(fragment, base=page_url))
    return render_to_string(
        "issues/export/email.html",
        {"issue": issue, "rendered": rendered, "page_url": page_url, "styles": EMAIL_STYLES},
    )


def _wechat(issue, rendered):
    rendered = _each_fragment(rendered, lambda fragment: _rewrite(fragment, unlink=True))
    return render_to_string(
        "issues/export/wechat.html", {"issue": issue, "rendered": rendered, "styles": WECHAT_STYLES}
    )


def _text(issue, rendered, page_url):
    lines = [f"#{issue.number} {rendered.title_text}", page_url, ""]
    intro = html_to_text_block(rendered.intro_html)
    if intro:
        lines += [intro, ""]
    for section in rendered.sections:
        icon = f" {section.section.icon}" if section.section.icon else ""
        lines += [f"{section.number} {html_to_text_block(section.title_html)}{icon}", ""]
        if section.text_html:
            lines += [html_to_text_block(section.text_html), ""]
        for item in section.items:
            if item.is_removed:
                removed = translation.gettext("removed by the moderators on %(date)s") % {
                    "date": formats.date_format(item.item.removed_at, "DATE_FORMAT")
                }
                lines += [f"{item.number} — {removed}", ""]
                continue
            lines += [f"{item.number} {html_to_text_block(item.title_html)}", ""]
            body = html_to_text_block(item.body_html)
            if body:
                lines += [body, ""]
    if rendered.references:
        lines += [translation.gettext("References"), ""]
        removed = translation.gettext("removed by the moderators")
        lines += [
            f"[{ref.number}] {removed}"
            if ref.is_removed
            else f"[{ref.number}] {ref.display_title}: {ref.url}"
            for ref in rendered.references
        ]
    return "\n".join(lines).rstrip() + "\n"


class _Rewriter(HTMLParser):
    """Copies HTML, making links absolute or removing them (their text stays)."""

    def __init__(self, *, base=None, unlink=False):
        super().__init__(convert_charrefs=False)
        self.base, self.unlink = base, unlink
        self.out = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and self.unlink:
            return
        if self.base:
            attrs = [
                (name, urljoin(self.base, value) if name in ("href", "src") and value else value)
                for name, value in attrs
            ]
        style = STYLE_FOR_TAG.get(tag)
        if style:
            attrs = [*attrs, ("style", style)]
        rendered = "".join(
            f' {name}="{html.escape(value or "", quote=True)}"' for name, value in attrs
        )
        self.out.append(f"<{tag}{rendered}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "a" and self.unlink:
            return
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(data)

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")


def _rewrite(fragment, **options):
    rewriter = _Rewriter(**options)
    rewriter.feed(fragment)
    rewriter.close()
    return mark_safe("".join(rewriter.out))  # re-serialised from already sanitised HTML


class _TextConverter(HTMLParser):
    BLOCKS = {"p", "div", "blockquote", "pre", "table", "tr", "ul", "ol", "h4", "h5", "h6", "hr"}

    def __init__(self):
        super().__init__()
        self.parts, self.lists, self.pre = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        if tag == "pre":
            self.pre += 1
        elif tag in ("ul", "ol"):
            self.lists.append(0 if tag == "ol" else None)
        elif tag == "li":
            marker = "-"
            if self.lists and self.lists[-1] is not None:
                self.lists[-1] += 1
                marker = f"{self.lists[-1]}."
            self.parts.append("\n" + "  " * (len(self.lists) - 1) + marker + " ")
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")
        elif tag == "img":
            self.parts.append(dict(attrs).get("alt") or "")

    def handle_endtag(self, tag):
        if tag == "pre" and self.pre:
            self.pre -= 1
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data if self.pre else " ".join(data.split("\n")))


def html_to_text_block(fragment):
    """Readable plain text of a rendered fragment; citation marks stay as [N]."""
    converter = _TextConverter()
    converter.feed(fragment or "")
    converter.close()
    text = "".join(converter.parts)
    paragraphs = [p.strip("\n") for p in text.split("\n\n")]
    return "\n\n".join(textwrap.dedent(p).strip() for p in paragraphs if p.strip())


FONT = (
    "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'PingFang SC','Hiragino Sans GB',"
    "'Microsoft YaHei','Noto Sans CJK SC',Arial,sans-serif"
)
STYLE_FOR_TAG = {
    "a": "color:#0b57a4;",
    "sup": "font-size:12px;line-height:0;",
    "code": "font-family:Menlo,Consolas,monospace;background:#f1f1ef;padding:0 3px;",
    "pre": "background:#f1f1ef;padding:12px;overflow-x:auto;white-space:pre-wrap;",
    "blockquote": "margin:12px 0;padding-left:12px;border-left:3px solid #d8d8d8;color:#55555a;",
    "img": "max-width:100%;height:auto;",
    "table": "border-collapse:collapse;",
    "th": "border:1px solid #d8d8d8;padding:4px 8px;",
    "td": "border:1px solid #d8d8d8;padding:4px 8px;",
}
EMAIL_STYLES = {
    "body": f"margin:0;padding:0;background:#f4f4f2;font-family:{FONT};color:#1d1d1f;",
    "wrapper": "max-width:640px;margin:0 auto;background:#ffffff;padding:24px;line-height:1.7;",
    "h1": "font-size:26px;line-height:1.3;margin:4px 0 8px;",
    "h2": "font-size:21px;line-height:1.3;margin:28px 0 8px;border-bottom:1px solid #d8d8d8;",
    "h3": "font-size:17px;line-height:1.3;margin:20px 0 6px;",
    "num": "color:#9a3412;",
    "muted": "color:#55555a;font-size:14px;",
    "refs": "font-size:14px;padding-left:0;list-style:none;",
}
WECHAT_STYLES = {
    "wrapper": f"font-family:{FONT};font-size:16px;line-height:1.8;color:#333;",
    "h1": "font-size:22px;font-weight:bold;margin:0 0 12px;",
    "h2": "font-size:19px;font-weight:bold;margin:24px 0 10px;color:#9a3412;",
    "h3": "font-size:17px;font-weight:bold;margin:18px 0 8px;",
    "refs": "font-size:13px;color:#555;word-break:break-all;padding-left:0;list-style:none;",
}
