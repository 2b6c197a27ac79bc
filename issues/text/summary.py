"""Plain-text summaries of Markdown: what a link preview or a search engine shows of an issue."""

import re

from issues.text.markdown import inline_html_text, render_markdown

# A sentence ends at 。！？ (no space follows in Chinese) or at . ! ? followed by a space or
# the end of the text, unless the full stop closes one of these abbreviations.
_END = re.compile(r"[。！？]|[.!?](?=\s|$)")
_ABBREVIATIONS = {"e.g", "i.e", "etc", "vs", "cf", "al", "dr", "mr", "mrs", "ms", "no", "fig"}


# What the engine writes around a text (issues/text/markdown.py): citation marks, footnote
# references and the list of notes, none of them part of the text's first sentence.
_CITATION_MARK = re.compile(
    r'<sup class="(?:citation|footnote-ref)"[^>]*>.*?</sup>'
    r'|<section class="footnotes"[^>]*>.*?</section>',
    re.DOTALL,
)


def first_sentence(markdown_text, *, limit=200):
    """The first sentence of a Markdown text as plain text, cut at `limit` characters."""
    return html_first_sentence(render_markdown(markdown_text), limit=limit)


def html_first_sentence(fragment, *, limit=200):
    """The same from rendered HTML, marks and notes left out: no Markdown parsed per request."""
    text = " ".join(inline_html_text(_CITATION_MARK.sub("", fragment)).split())
    sentence = text
    for end in _END.finditer(text):
        if end.group() == ".":
            word = text[: end.start()].rsplit(" ", 1)[-1].lower()
            if word in _ABBREVIATIONS:
                continue
        sentence = text[: end.end()]
        break
    if len(sentence) > limit:
        cut = sentence[: limit - 1]
        # Cut Latin text at a space; Chinese text has none and may be cut anywhere.
        if " " in cut[limit // 2 :]:
            cut = cut.rsplit(" ", 1)[0]
        sentence = cut.rstrip(" ,;:，；：、") + "…"
    return sentence
