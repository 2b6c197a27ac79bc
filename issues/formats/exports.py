"""An issue in every format editors send out: Markdown, email, WeChat and plain text.

Every format is made from the same rendered issue as the web page, so the section, item and
reference numbers are the same everywhere.
"""

import re

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from issues.selectors.issues import issue_article, issue_sections
from issues.services.issues import issue_export_markdown
from issues.text.markdown import html_flavour

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
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    rendered = issue_article(issue=issue, sections=issue_sections(issue))
    base_url = (base_url or settings.SITE_URL).rstrip("/")
    page_url = f"{base_url}{issue.get_absolute_url()}"
    # Every format writes the same fragments (the web page's tokens): only the flavour differs,
    # so link targets, numbers and marks agree to the byte.
    flavour, styles = {
        "email": (
            html_flavour(styles=STYLE_FOR_TAG, base_url=page_url, link_prefix=page_url),
            EMAIL_STYLES,
        ),
        "wechat": (html_flavour(unlink=True, styles=STYLE_FOR_TAG), WECHAT_STYLES),
        "text": (None, {}),
    }[fmt]
    context = {
        "issue": issue,
        "rendered": rendered.in_format(flavour),
        "page_url": page_url,
        "styles": styles,
    }
    with translation.override(issue.language):
        document = render_to_string(TEMPLATES[fmt], context)
    if fmt == "text":
        # The template's line breaks, tidied: one blank line between blocks, one final newline.
        document = re.sub(r"\n{3,}", "\n\n", document).strip() + "\n"
    return document


TEMPLATES = {
    "email": "issues/export/email.html",
    "wechat": "issues/export/wechat.html",
    "text": "issues/export/text.txt",
}


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
    # A text's footnotes (written by the engine around its notes, not an editor's tag).
    "section": "font-size:14px;border-top:1px solid #d8d8d8;margin-top:12px;",
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
