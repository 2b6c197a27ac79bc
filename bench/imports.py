"""`make bench` (and `make bench-imports`): `import_archive` of 100 issues, in all and per issue.

Writes 100 issue files in three styles editors use (Digest's format; Jekyll front matter with `#`
sections, `####` items and hand numbers; a Pelican header with lists of links as items), each
with 6 sections of 5 items and 60 links, then times `import_archive` on a fresh database
(PostgreSQL when DATABASE_URL points to one, else SQLite) and appends the figures to
bench/RESULTS.md.
"""

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.stack import (  # noqa: E402
    ROOT,
    fresh_postgres_database,
    manage,
    production_env,
)

ISSUES = 100
SECTIONS = 6
ITEMS = 5
MARKER = "<!-- import_archive -->"

MEASURE = """
import json, time
import django
django.setup()
from django.core.management import call_command
from issues.models import Citation, Issue, Item
started, cpu = time.perf_counter(), time.process_time()
call_command("import_archive", %(folder)r, stdout=open("/dev/null", "w"))
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"seconds": elapsed, "cpu": cpu, "issues": Issue.objects.count(),
                  "items": Item.objects.count(), "citations": Citation.objects.count()}))
"""


def paragraph(issue, section, item):
    n = f"{issue}-{section}-{item}"
    return (
        f"The paper [Result {n}](https://papers.example.org/{n}) improves on earlier work; "
        f"its [code](https://code.example.com/{n}) is open, and [the weekly]"
        f"(https://weekly.example.net/) covered it. *Emphasis*, `code` and a list:\n\n"
        "- first point\n- second point\n"
    )


def issue_file(issue):
    style = issue % 3
    if style == 0:  # Digest's own format
        lines = ["---", f"number: {issue}", f"title: Issue {issue}", "date: 2024-01-01"]
        lines += ["language: en", "---", "", "The intro.", ""]
        for s in range(1, SECTIONS + 1):
            lines += [f"## Section {s}", "", f"About topic {s}.", ""]
            for i in range(1, ITEMS + 1):
                lines += [f"### Finding {i}", "", paragraph(issue, s, i)]
    elif style == 1:  # Jekyll, `#` sections and `####` items with hand numbers
        lines = ["---", "layout: post", f"title: Week {issue}", "date: 2024-01-01 09:00:00 -0000"]
        lines += [f"number: {issue}", "slug: week", "---", "", "The intro.", ""]
        for s in range(1, SECTIONS + 1):
            lines += [f"# {s}、Section {s}", ""]
            for i in range(1, ITEMS + 1):
                lines += [f"#### {s}.{i} Finding {i}", "", paragraph(issue, s, i)]
    else:  # Pelican, lists of links as items
        lines = [f"Title: Digest {issue}", f"Number: {issue}", "Date: 2024-01-01", ""]
        lines += ["The intro.", ""]
        for s in range(1, SECTIONS + 1):
            lines += [f"# Section {s}", ""]
            for i in range(1, ITEMS + 1):
                n = f"{issue}-{s}-{i}"
                lines += [
                    f"* [Finding {n}](https://papers.example.org/{n}). Its "
                    f"[code](https://code.example.com/{n}) and [the weekly]"
                    f"(https://weekly.example.net/)."
                ]
            lines += [""]
    return "\n".join(lines) + "\n"


def main():
    workdir = Path(tempfile.mkdtemp(prefix="digest-bench-imports-"))
    url = os.environ.get("DATABASE_URL", "")
    try:
        with contextlib.ExitStack() as stack:
            if url.startswith(("postgres://", "postgresql://")):
                database_url = stack.enter_context(
                    fresh_postgres_database(url, prefix="digest_bench_imports")
                )
            else:
                database_url = f"sqlite:///{workdir}/bench.sqlite3"
            run(workdir, database_url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(workdir, database_url):
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    folder = workdir / "archive"
    folder.mkdir()
    for issue in range(1, ISSUES + 1):
        (folder / f"issue-{issue:03d}.md").write_text(issue_file(issue), encoding="utf-8")
    env = production_env(database_url=database_url, workdir=workdir)
    manage("migrate", "--noinput", env=env)
    print(f"== import_archive of {ISSUES} issues ({engine})", flush=True)
    result = subprocess.run(
        [sys.executable, "-c", MEASURE % {"folder": str(folder)}],
        env={**env, "DJANGO_SETTINGS_MODULE": "digest.settings"},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["issues"] == ISSUES, figures
    seconds = figures["seconds"]
    section = (
        f"{MARKER}\n## Imports\n\n"
        f"`import_archive` of {ISSUES} issue files (three styles: Digest's format, Jekyll with "
        f"`#`/`####` headings and hand numbers, Pelican with lists of links), "
        f"{figures['items']:,} items and {figures['citations']:,} citations in all, on "
        f"{engine}, each issue in its own transaction and rendered. Wall time counts the "
        f"machine's other work too (load average {os.getloadavg()[0]:.1f} at the end); CPU "
        "time is the importing process's own:\n\n"
        "| Run | seconds in all | ms per issue | CPU seconds | CPU ms per issue |\n"
        "|---|---:|---:|---:|---:|\n"
        f"| import_archive, {ISSUES} issues | {seconds:.1f} | {seconds / ISSUES * 1000:.0f} | "
        f"{figures['cpu']:.1f} | {figures['cpu'] / ISSUES * 1000:.0f} |\n"
    )
    print(section)
    results = ROOT / "bench" / "RESULTS.md"
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    results.write_text(replace_section(text, section), encoding="utf-8")


def replace_section(text, section):
    """RESULTS.md with the imports section (from MARKER to the next section, which may open
    with its own marker line) replaced, or added at the end; the other sections are kept."""
    start = text.find(MARKER)
    if start == -1:
        return text.rstrip("\n") + "\n\n" + section
    after = text[start + len(MARKER) :]
    following = re.search(r"\n(?:<!--[^\n]*-->\n)?## (?!Imports\n)", after)
    rest = after[following.start() :] if following else ""
    return text[:start] + section.rstrip("\n") + "\n" + rest


if __name__ == "__main__":
    main()
