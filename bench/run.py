"""`make bench`: the production stack natively, measured with wrk on loopback; writes RESULTS.md.

Builds a fresh database (the demo issues, and a large issue: 20 sections, 300 items, 600
distinct references), starts gunicorn and nginx with the repo's configs, and measures each page
for a bounded time. PostgreSQL when DATABASE_URL points to one (a fresh database is created on
that server and dropped afterwards), otherwise SQLite in a temporary folder. On PostgreSQL it
then measures search with 300,000 items (bench/search.py); `BENCH_ONLY=search` runs that alone.
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

from bench.render import compare as render_compare  # noqa: E402
from bench.render import table as render_table  # noqa: E402
from bench.search import measure_search, replace_section, search_section  # noqa: E402
from tests.support.stack import (  # noqa: E402
    ROOT,
    fetch,
    free_port,
    fresh_postgres_database,
    gunicorn,
    manage,
    nginx,
    production_env,
)

DURATION = os.environ.get("BENCH_DURATION", "8s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "32")
DEMO_NUMBER = 2  # the demo's full issue (NLP简报 #2): 6 sections, Chinese text
LARGE_NUMBER = 100
# Issue 5 measured, on its machines, nginx serving the page as a static file at about 59,000
# req/s and a Wagtail 8 page of the same content at about 80. Wagtail is not installed here, so
# besides the absolute target we scale its figure by this run's static-file throughput.
WAGTAIL_REQ_S = 80
REFERENCE_STATIC_REQ_S = 59_000

MEASURE = """
import json, time
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from issues.models import Issue
from issues.services.issues import issue_render

out = {}
client = Client()
for number in (%(demo)d, %(large)d):
    issue = Issue.objects.get(number=number)
    started = time.perf_counter()
    issue_render(issue=issue)
    render_ms = (time.perf_counter() - started) * 1000
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        response = client.get(issue.get_absolute_url(), secure=True)
    with CaptureQueriesContext(connection) as warm:
        client.get(issue.get_absolute_url(), secure=True)
    out[number] = {"render_ms": render_ms, "queries_cold": len(cold), "queries_cached": len(warm),
                   "bytes": len(response.content), "items": issue.sections.count()}
    if number == %(demo)d:
        out["demo_html"] = response.content.decode()
print(json.dumps(out))
"""


def large_issue_markdown():
    """20 sections of 15 items, each item citing two URLs no other item cites."""
    lines = ["---", f"number: {LARGE_NUMBER}", 'title: "A large issue"', "date: 2024-01-01", "---"]
    lines += ["", "Three hundred items, six hundred references.", ""]
    for section in range(1, 21):
        lines += [f"## Section {section}", "", f"About topic {section}.", ""]
        for item in range(1, 16):
            n = (section - 1) * 15 + item
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


def wrk(url, *, headers=()):
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", url]
    for header in headers:
        args += ["-H", header]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "req_s": rate,
        "p99_ms": float(p99.group(1)) * scale,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def search_only():
    """Search latency alone, into the search section of RESULTS.md."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("BENCH_ONLY=search measures PostgreSQL: set DATABASE_URL to one")
    workdir = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    try:
        with fresh_postgres_database(url, prefix="digest_bench") as database_url:
            env = production_env(database_url=database_url, workdir=workdir)
            manage("migrate", "--noinput", env=env)
            manage("collectstatic", "--noinput", env=env)
            figures = measure_search(env, manage=manage)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results = ROOT / "bench" / "RESULTS.md"
    section = search_section(figures)
    results.write_text(replace_section(results.read_text() if results.exists() else "", section))
    print(section)


def main():
    if os.environ.get("BENCH_ONLY") == "search":
        return search_only()
    for tool in ("nginx", "wrk", "openssl"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            sys.exit(f"make bench needs {tool} (apt-get install nginx-light wrk openssl)")
    workdir = Path(tempfile.mkdtemp(prefix="digest-bench-"))
    url = os.environ.get("DATABASE_URL", "")
    try:
        with contextlib.ExitStack() as stack:
            if url.startswith(("postgres://", "postgresql://")):
                database_url = stack.enter_context(
                    fresh_postgres_database(url, prefix="digest_bench")
                )
            else:
                database_url = f"sqlite:///{workdir}/bench.sqlite3"
            run(workdir, database_url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(workdir, database_url):
    env = production_env(database_url=database_url, workdir=workdir)
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"== building the database ({engine}) in {workdir}", flush=True)
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", env=env)
    manage("load_demo", env=env)
    large = workdir / "large.md"
    large.write_text(large_issue_markdown())
    manage("import_issue", str(large), env=env)

    output = manage(
            "shell",
            "-c",
            MEASURE % {"demo": DEMO_NUMBER, "large": LARGE_NUMBER},
            env={
                **env,
                "DJANGO_ALLOWED_HOSTS": "testserver",
                "DIGEST_PAGE_DIR": "",
                "DIGEST_REQUEST_LOG": "false",
            },
        ).stdout  # fmt: skip
    print(output[:300])
    measured = json.loads(output.splitlines()[-1])
    demo_html = measured.pop("demo_html")
    static_file = Path(env["DJANGO_STATIC_ROOT"]) / "bench" / "issue.html"
    static_file.parent.mkdir(parents=True, exist_ok=True)
    static_file.write_text(demo_html)
    demo, big = measured[str(DEMO_NUMBER)], measured[str(LARGE_NUMBER)]

    results = {}
    https = "X-Forwarded-Proto: https"
    for mode in ("on", "django-cache-only", "off"):
        mode_env = dict(env)
        if mode == "off":
            mode_env["DIGEST_PAGE_CACHE"] = "off"
        if mode != "on":
            mode_env["DIGEST_PAGE_DIR"] = ""
        port = free_port()
        pages = workdir / f"pages-{mode}"
        with (
            gunicorn(env=mode_env, port=port, workers=int(os.environ.get("BENCH_WORKERS", 5))),
            nginx(
                workdir=workdir,
                upstream_port=port,
                static_root=env["DJANGO_STATIC_ROOT"],
                media_root=env["DJANGO_MEDIA_ROOT"],
                page_dir=mode_env["DIGEST_PAGE_DIR"] or pages,
            ) as (_, https_port),
        ):
            site = f"https://127.0.0.1:{https_port}"
            if mode == "on":
                runs = {
                    "static file, nginx": f"{site}/static/bench/issue.html",
                    "static file, gunicorn + WhiteNoise": (
                        f"http://127.0.0.1:{port}/static/bench/issue.html"
                    ),
                }
            else:
                runs = {}
            label = {
                "on": "caching on",
                "django-cache-only": "Django cache only",
                "off": "no cache",
            }
            runs[f"demo issue, {label[mode]}"] = f"{site}/issues/{DEMO_NUMBER}/"
            runs[f"300-item issue, {label[mode]}"] = f"{site}/issues/{LARGE_NUMBER}/"
            for name, url in runs.items():
                status = fetch(url, headers={"X-Forwarded-Proto": "https"})[0]
                assert status == 200, f"{url} answered {status}"
                fetch(url, headers={"X-Forwarded-Proto": "https"})  # warm: the file is written
                print(f"-- {name}: wrk {DURATION}, {CONNECTIONS} connections", flush=True)
                results[name] = wrk(url, headers=[https])
                print(f"   {results[name]}", flush=True)

    search = None
    if engine == "PostgreSQL":
        print("== search with 300,000 items", flush=True)
        search = measure_search(env, manage=manage)
    print("-- cold render, before and after the engine change", flush=True)
    renders = render_table(render_compare(os.environ.get("BENCH_BEFORE")))
    report = write_results(results, demo, big, engine, renders, search=search)
    print(report)


def write_results(results, demo, big, engine, renders="", *, search=None):
    static = results["static file, nginx"]["req_s"]
    # The static file is the demo page: the like-for-like comparison is the cached demo page.
    cached = results["demo issue, caching on"]["req_s"]
    off = results["demo issue, no cache"]["req_s"]
    scaled_wagtail = WAGTAIL_REQ_S * static / REFERENCE_STATIC_REQ_S
    non_2xx = sum(r["non_2xx"] + r["socket_errors"] for r in results.values())
    render_ratio = big["render_ms"] / demo["render_ms"]
    rows = "\n".join(
        f"| {name} | {r['req_s']:,.0f} | {r['p99_ms']:.1f} | {r['non_2xx'] + r['socket_errors']} |"
        for name, r in results.items()
    )
    pages = "\n".join(
        f"| {name} | {m['render_ms']:.0f} ms | {m['queries_cold']} | {m['queries_cached']} |"
        for name, m in ((f"demo issue #{DEMO_NUMBER}", demo), ("300-item issue", big))
    )

    def met(ok):
        return "yes" if ok else "no"

    targets = "\n".join(
        [
            f"| cached demo page ≥ 0.5 × nginx static file | {cached / static:.2f} × "
            f"| {met(cached / static >= 0.5)} |",
            f"| demo issue, no cache ≥ 5 × Wagtail (≥ {5 * WAGTAIL_REQ_S} req/s) "
            f"| {off:,.0f} req/s = {off / WAGTAIL_REQ_S:.1f} × | {met(off >= 5 * WAGTAIL_REQ_S)} |",
            f"| the same, against Wagtail scaled to this machine ({scaled_wagtail:.0f} req/s, "
            f"from the static-file ratio) | {off / scaled_wagtail:.1f} × "
            f"| {met(off >= 5 * scaled_wagtail)} |",
            f"| 300-item cold render ≤ 10 × the demo's | {render_ratio:.1f} × "
            f"| {met(render_ratio <= 10)} |",
            f"| zero non-2xx responses | {non_2xx} | {met(non_2xx == 0)} |",
        ]
    )
    workers = os.environ.get("BENCH_WORKERS", 5)
    report = f"""# Benchmark results

`make bench` on {os.cpu_count()} CPUs, {engine}, wrk `-t2 -c{CONNECTIONS} -d{DURATION}` on
loopback, nginx over TLS in front of gunicorn ({workers} sync workers). wrk, nginx, gunicorn and
the database share the same CPUs. The static file is the demo issue's page
({demo["bytes"]:,} bytes); the 300-item page is {big["bytes"]:,} bytes. "Caching on": nginx
serves the page files Django wrote; "Django cache only": every request reaches gunicorn, which
answers from the cache; "no cache": every request renders the page.

| Run | req/s | p99 ms | non-2xx or errors |
|---|---:|---:|---:|
{rows}

| Page | cold render (issue_render) | queries, cache miss | queries, cached |
|---|---:|---:|---:|
{pages}

| Target | Measured | Met |
|---|---:|:---:|
{targets}

## Cold render of a 30-item and a 300-item issue (`bench/render.py`)

SQLite, one process per engine; `BENCH_BEFORE=REV` adds that revision's engine, measured in the
same run. "Article": Markdown to the numbered article alone, without the page template and the
database writes.

{renders}
"""
    if search:
        report = replace_section(report, search_section(search))
    (ROOT / "bench" / "RESULTS.md").write_text(report)
    return report


if __name__ == "__main__":
    main()
