"""The production path, natively: gunicorn with production settings behind Debian's nginx."""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.support.stack import (
    fetch,
    free_port,
    fresh_postgres_database,
    gunicorn,
    manage,
    nginx,
    production_env,
)

pytestmark = pytest.mark.stack


def require_stack():
    """The PostgreSQL server the tests run on, and nginx; skip without them (fail in CI)."""
    url = os.environ.get("DATABASE_URL", "")
    reason = None
    if not url.startswith(("postgres://", "postgresql://")):
        reason = "the stack smoke test runs against PostgreSQL: set DATABASE_URL to one"
    elif not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        reason = "the stack smoke test needs Debian's nginx (apt-get install nginx-light)"
    elif not shutil.which("openssl"):
        reason = "the stack smoke test needs openssl for a self-signed certificate"
    if reason and os.environ.get("DIGEST_REQUIRE_STACK"):
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)
    return url


@pytest.fixture
def stack_database():
    """A fresh database on the tests' PostgreSQL server, dropped afterwards."""
    with fresh_postgres_database(require_stack(), prefix="digest_stack") as url:
        yield url


def test_pages_through_nginx_and_gunicorn(stack_database, tmp_path):
    env = production_env(database_url=stack_database, workdir=tmp_path)
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", env=env)
    manage("load_demo", env=env)
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with (
        gunicorn(env=env, port=port, workers=2, log=log),
        nginx(
            workdir=tmp_path,
            upstream_port=port,
            static_root=env["DJANGO_STATIC_ROOT"],
            media_root=env["DJANGO_MEDIA_ROOT"],
            page_dir=env["DIGEST_PAGE_DIR"],
        ) as (http_port, https_port),
    ):
        site = f"https://127.0.0.1:{https_port}"

        status, headers, _ = fetch(f"http://127.0.0.1:{http_port}/issues/2/")
        assert status == 301 and headers["Location"].startswith("https://")
        status, _, body = fetch(f"http://127.0.0.1:{http_port}/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok"

        status, headers, home = fetch(f"{site}/")
        assert status == 200
        assert "max-age=31536000" in headers["Strict-Transport-Security"]
        assert b"/issues/3/" in home

        # The first reader gets the page from Django, which leaves a file nginx serves next.
        status, headers, first = fetch(f"{site}/issues/2/")
        assert status == 200 and headers["X-Digest-Page"] is None
        status, headers, second = fetch(f"{site}/issues/2/")
        assert status == 200 and headers["X-Digest-Page"] == "file"
        assert second == first
        assert headers["X-Frame-Options"] == "DENY"
        assert fetch(f"{site}/issues/2/", headers={"If-None-Match": headers["ETag"]})[0] == 304
        # Chinese readers get their own copy, cookies always reach Django.
        zh = fetch(f"{site}/issues/2/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        assert zh[0] == 200 and zh[2] != first
        signed = fetch(f"{site}/issues/2/", headers={"Cookie": "sessionid=nothing"})
        assert signed[0] == 200 and signed[1]["X-Digest-Page"] is None

        # A change made by another process shows on the very next request through nginx.
        manage(
            "shell", "-c",
            "from issues.models import Issue; from issues.services.issues import issue_to_draft; "
            "issue_to_draft(issue=Issue.objects.get(number=2))",
            env=env,
        )  # fmt: skip
        assert fetch(f"{site}/issues/2/")[0] == 404
        assert b"/issues/2/" not in fetch(f"{site}/")[2]

        for path in ("/feed/", "/feed/atom/", "/sitemap.xml", "/issues/3/"):
            assert fetch(f"{site}{path}")[0] == 200, path

        # Uploads: images only, sandboxed; the polyglot an old upload kept as .html is a 404.
        uploads = Path(env["DJANGO_MEDIA_ROOT"]) / "markdownx"
        uploads.mkdir(parents=True)
        polyglot = (
            Path(__file__).parent / "inputs" / "uploads" / "polyglot-login.html"
        ).read_bytes()
        (uploads / "0f1e2d3c.gif").write_bytes(polyglot)
        (uploads / "0f1e2d3c.html").write_bytes(polyglot)
        status, headers, body = fetch(f"{site}/media/markdownx/0f1e2d3c.gif")
        assert status == 200 and body == polyglot
        assert headers["Content-Type"] == "image/gif"
        assert headers["X-Content-Type-Options"] == "nosniff"
        csp = "default-src 'none'; form-action 'none'; sandbox"
        assert headers["Content-Security-Policy"] == csp
        assert fetch(f"{site}/media/markdownx/0f1e2d3c.html")[0] == 404
        assert fetch(f"{site}/media/markdownx/")[0] == 404

        stylesheet = re.search(rb'href="(/static/css/digest\.[0-9a-f]{12}\.css)"', home)
        assert stylesheet, "the page links a hashed stylesheet"
        status, headers, _ = fetch(f"{site}{stylesheet.group(1).decode()}")
        assert status == 200
        assert "immutable" in headers["Cache-Control"]
        gzipped = fetch(
            f"{site}{stylesheet.group(1).decode()}", headers={"Accept-Encoding": "gzip"}
        )
        assert gzipped[1]["Content-Encoding"] == "gzip"

    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert {"method", "path", "status", "ms"} <= set(entries[0])
    assert any(entry["path"] == "/issues/2/" for entry in entries)
    access = (tmp_path / "nginx-access.log").read_text().splitlines()
    assert all(json.loads(line)["status"] for line in access)
