"""The CommonMark spec's examples through Digest's renderer.

Both sides pass through the same sanitiser (so raw-HTML and unsafe-URL examples are compared as
readers would get them), then must be equal, except for the examples listed below with the
reason. A new difference fails, and so does a listed one that no longer differs.
"""

import json

import pytest

from issues.text.markdown import WEB, render_markdown

KEPT_AS_WRITTEN = (
    "link targets are kept exactly as the editor wrote them (no percent-encoding), so the page, "
    "the reference list and every export carry the same URL byte for byte"
)
EXPECTED_DIFFERENCES = {
    20: KEPT_AS_WRITTEN,  # `\` in an autolink
    32: KEPT_AS_WRITTEN,  # non-ASCII from an entity
    33: KEPT_AS_WRITTEN,
    197: KEPT_AS_WRITTEN,  # a space in <…>
    204: KEPT_AS_WRITTEN,
    208: KEPT_AS_WRITTEN,
    348: KEPT_AS_WRITTEN,  # a backtick
    491: KEPT_AS_WRITTEN,
    504: KEPT_AS_WRITTEN,
    505: KEPT_AS_WRITTEN,
    506: KEPT_AS_WRITTEN,  # quotes (escaped as &quot; in the attribute instead)
    509: KEPT_AS_WRITTEN,  # a no-break space
    528: KEPT_AS_WRITTEN,
    540: KEPT_AS_WRITTEN,
    605: KEPT_AS_WRITTEN,
    220: "markdown-it-py writes an empty blockquote without a newline inside (white space only)",
    241: "markdown-it-py writes an empty blockquote without a newline inside (white space only)",
    242: "markdown-it-py writes an empty blockquote without a newline inside (white space only)",
}


@pytest.fixture
def examples(corpora):
    return json.loads((corpora / "commonmark" / "spec.json").read_text(encoding="utf-8"))


def differing(examples):
    return {
        example["example"]
        for example in examples
        if render_markdown(example["markdown"]).strip()
        != WEB.cleaner.clean(example["html"]).strip()
    }


def test_all_655_examples_agree_but_the_listed_ones(examples):
    assert len(examples) == 655
    assert sorted(differing(examples) - set(EXPECTED_DIFFERENCES)) == []
    assert sorted(set(EXPECTED_DIFFERENCES) - differing(examples)) == []


def test_examples_with_raw_html_are_compared_after_sanitising(examples):
    raw = [e for e in examples if e["section"] in ("Raw HTML", "HTML blocks")]
    assert len(raw) == 67
    # The sanitiser removes what the spec passes through, and Digest's output matches that.
    assert any("<script" in e["html"] for e in raw)
    assert not {e["example"] for e in raw} & differing(raw)
