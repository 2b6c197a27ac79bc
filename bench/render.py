"""Cold render (save → stored HTML) of a 30-item and a 300-item issue, by this checkout's engine
and, when BENCH_BEFORE names a git revision, by that revision's, in one run.

Each checkout gets a fresh SQLite database in a temporary folder, imports the two issues with
`import_issue`, then times `issue_render` in a new process: the first call (cold: nothing of
the engine warmed by an earlier render in that process) and the median of five more; then
the median of five `issue_article` calls alone (Markdown to the numbered article, the engine's
share of a render, without the page template and the database writes). Each is measured in
wall-clock time and in the process's CPU time (`time.process_time`): on a shared machine the
wall clock grows with the load average, the CPU time much less, so the ratios of CPU times are
the steadier comparison of the two engines.

    python bench/render.py                       # this checkout
    BENCH_BEFORE=main python bench/render.py     # and main's engine, side by side
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = {30: 130, 300: 100}  # items → issue number

MEASURE = """
import json, statistics, time
from issues.models import Issue
from issues.services.issues import issue_render
try:
    from issues.selectors.issues import issue_article
except ImportError:  # before the selectors took the reads
    from issues.services.issues import issue_article
out = {}
for items, number in %(sizes)r.items():
    issue = Issue.objects.get(number=number)
    times, cpu = [], []
    for _ in range(6):
        started, started_cpu = time.perf_counter(), time.process_time()
        issue_render(issue=issue)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    article, article_cpu = [], []
    for _ in range(5):
        started, started_cpu = time.perf_counter(), time.process_time()
        issue_article(issue=issue)
        article.append((time.perf_counter() - started) * 1000)
        article_cpu.append((time.process_time() - started_cpu) * 1000)
    out[items] = {"cold_ms": times[0], "median_ms": statistics.median(times[1:]),
                  "article_ms": statistics.median(article),
                  "cold_cpu_ms": cpu[0], "median_cpu_ms": statistics.median(cpu[1:]),
                  "article_cpu_ms": statistics.median(article_cpu),
                  "references": issue.citations.count()}
print(json.dumps(out))
"""


def issue_markdown(*, number, sections, items_per_section=15):
    """Sections of 15 items, each item citing two URLs no other item cites."""
    lines = ["---", f"number: {number}", 'title: "A large issue"', "date: 2024-01-01", "---"]
    lines += ["", f"{sections * items_per_section} items, twice as many references.", ""]
    for section in range(1, sections + 1):
        lines += [f"## Section {section}", "", f"About topic {section}.", ""]
        for item in range(1, items_per_section + 1):
            n = (section - 1) * items_per_section + item
            lines += [
                f"### Item {n}: a finding worth reading",
                "",
                f"The paper [Result {n}](https://papers.example.org/{n}) improves on earlier "
                f"work, and its [code](https://code.example.com/repo-{n}) is open. *Emphasis*, "
                f"`inline code` and a list:",
                "",
                "- first point",
                "- second point",
                "",
            ]
    return "\n".join(lines)


def measure(checkout):
    """Cold and warm render times of both issues, by the code in `checkout`."""
    with tempfile.TemporaryDirectory(prefix="digest-render-") as workdir:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DIGEST_", "DATABASE_URL", "CACHE_URL"))
        }
        env.update(DATABASE_URL=f"sqlite:///{workdir}/render.sqlite3", DJANGO_DEBUG="false")
        env.update(DJANGO_SECRET_KEY="render-bench-" + "x" * 50, DJANGO_ALLOWED_HOSTS="x")

        def manage(*args):
            return subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=checkout,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout

        manage("migrate", "--noinput")
        for items, number in SIZES.items():
            path = Path(workdir) / f"{items}.md"
            path.write_text(issue_markdown(number=number, sections=items // 15))
            manage("import_issue", str(path))
        output = manage("shell", "-c", MEASURE % {"sizes": SIZES})
        return {int(k): v for k, v in json.loads(output.splitlines()[-1]).items()}


def checkout_of(revision, folder):
    """A copy of the tree at `revision` (git archive), for measuring its engine."""
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def compare(before=None):
    """{label: measurements} for this checkout and, optionally, a git revision."""
    results = {}
    if before:
        with tempfile.TemporaryDirectory(prefix="digest-before-") as folder:
            results[f"before ({before})"] = measure(checkout_of(before, Path(folder)))
    results["after (this checkout)"] = measure(ROOT)
    return results


def table(results):
    rows = [
        "| Engine | 30 items: cold | median | article | 300 items: cold | median | article "
        "| 300 items, CPU: cold | median | article | references (300) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, m in results.items():
        rows.append(
            f"| {label} | {m[30]['cold_ms']:.0f} ms | {m[30]['median_ms']:.0f} ms "
            f"| {m[30]['article_ms']:.0f} ms "
            f"| {m[300]['cold_ms']:.0f} ms | {m[300]['median_ms']:.0f} ms "
            f"| {m[300]['article_ms']:.0f} ms "
            f"| {m[300]['cold_cpu_ms']:.0f} ms | {m[300]['median_cpu_ms']:.0f} ms "
            f"| {m[300]['article_cpu_ms']:.0f} ms | {m[300]['references']} |"
        )
    if len(results) == 2:
        before, after = (m[300] for m in results.values())

        def ratios(suffix):
            return ", ".join(
                f"{name} {after[key + suffix] / before[key + suffix]:.2f} ×"
                for name, key in (("cold", "cold"), ("median", "median"), ("article", "article"))
            )

        rows += [
            "",
            f"300-item issue, after / before (target ≤ 0.33 ×): wall clock {ratios('_ms')}; "
            f"CPU time of the process {ratios('_cpu_ms')}.",
        ]
    return "\n".join(rows)


if __name__ == "__main__":
    measured = compare(os.environ.get("BENCH_BEFORE"))
    print(json.dumps(measured))
    print(table(measured))
