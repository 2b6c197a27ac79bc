"""Markdown that once stalled or crashed the renderer (issue 14), as small generators.

Each makes the exact input the probe used; kept as code rather than files because two of them
are megabytes long.
"""


def _nested_list(levels):
    return "\n".join("  " * level + f"- level {level}" for level in range(levels))


def _links(count):
    return "\n".join(f"- [link {n}](https://l{n}.example/p)" for n in range(count))


INPUTS = {
    "100,000 [": lambda: "[" * 100_000,
    "20,000 [a](": lambda: "[a](" * 20_000,
    "- × 5,000 on one line": lambda: "- " * 5_000,
    "- × 5,000 then text (RecursionError on main)": lambda: "- " * 5_000 + "x",
    "300 nested list levels (within the size limit)": lambda: _nested_list(300),
    "1,000 nested list levels": lambda: _nested_list(1_000),  # RecursionError on main, after 91 s
    "1,500 nested list levels": lambda: _nested_list(1_500),
    "a 4.9 MB single item": lambda: "Lorem ipsum dolor sit amet, [a](https://a.example). " * 96_100,
    "60,000 links": lambda: _links(60_000),
    "> × 5,000": lambda: "> " * 5_000 + "deep",
    "50,000 *[": lambda: "*[" * 50_000,
    "30,000 unclosed `": lambda: "`a" * 30_000,
}
