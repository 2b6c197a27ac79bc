"""What the issue page repeats hundreds of times, written in Python rather than template tags.

`{% numbered label number=… %}`: a label translated once per page ("Report item %(number)s"),
numbered per use; `blocktranslate` looked each one up in the catalogue again. `{% reference_items
%}`: the reference list's entries, one `format_html` each; as template markup, 600 entries took
two thirds of a 300-item page's rendering.
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

# After these, the reference's title takes no colon before its URL.
CLOSING_PUNCTUATION = "?!:.？！：。"


@register.simple_tag
def numbered(label: str, **numbers: object) -> str:
    """`label` (a translated "… %(number)s …") with its numbers in; escaped as any tag output."""
    return label % numbers


@register.simple_tag
def reference_items(references: list, labels: dict[str, str]) -> SafeString:
    """The `<li>` of each reference, in order: number, title, URL and links back to each place
    it is cited (a removed reference says so, and nothing else)."""
    return format_html_join("\n    ", "{}", ((_reference_item(ref, labels),) for ref in references))


def _reference_item(ref, labels: dict[str, str]) -> SafeString:
    if ref.is_removed:
        return format_html(
            '<li id="ref-{}" class="ref-removed"><span class="ref-num">[{}]</span> {}</li>',
            ref.number,
            ref.number,
            labels["removed_reference"],
        )
    title = ref.display_title
    many = len(ref.visible_anchors) > 1
    backrefs = format_html_join(
        "",
        '<a href="#{}" aria-label="{}">↩{}</a>',
        (
            (
                anchor,
                labels["back_to_citation"] % {"number": ref.number, "n": n},
                format_html("<sup>{}</sup>", n) if many else "",
            )
            for n, anchor in enumerate(ref.visible_anchors, start=1)
        ),
    )
    return format_html(
        '<li id="ref-{}"><span class="ref-num">[{}]</span> <span class="ref-title">{}</span>{} '
        '<a class="ref-url" href="{}">{}</a>\n      <span class="backrefs">{}</span></li>',
        ref.number,
        ref.number,
        title,
        ":" if title[-1:] not in CLOSING_PUNCTUATION else "",
        ref.url,
        ref.url,
        backrefs,
    )
