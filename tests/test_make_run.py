"""`make run` serves as readers will see it, on the port it was given."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.stack import fetch, free_port
from tests.test_production import ROOT, clean_env


@pytest.fixture
def make_run(tmp_path):
    venv = Path(sys.prefix)
    if not (venv / ".installed").exists():
        pytest.skip("make run needs the virtualenv `make install` made")
    port = free_port()
    env = {
        **clean_env(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    log = (tmp_path / "log").open("w+")
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}", f"VENV={venv}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if process.poll() is not None:
                break
            try:
                if fetch(f"{base}/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.25)
        log.seek(0)
        yield base, log.read()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        log.close()


def test_make_run_serves_without_debug_on_the_given_port(make_run):
    base, output = make_run
    port = base.rsplit(":", 1)[1]
    # Every address printed (the demo issues, the server) carries the port actually served.
    printed = re.findall(r"http://127\.0\.0\.1:(\d+)/", output)
    assert "issues/2/" in output and printed and set(printed) == {port}, output
    status, _headers, body = fetch(f"{base}/no/such/page/")
    assert status == 404
    assert b"This page does not exist" in body and b"URLconf" not in body
    status, _headers, body = fetch(f"{base}/")
    stylesheet = re.search(rb'href="(/static/css/digest\.[0-9a-f]{12}\.css)"', body)
    assert status == 200 and stylesheet, "collected, hashed static files"
    status, headers, _body = fetch(f"{base}{stylesheet.group(1).decode()}")
    assert status == 200 and "immutable" in headers["Cache-Control"]
    assert (ROOT / ".secret-key").stat().st_mode & 0o077 == 0
    # Plain HTTP on loopback: the admin's cookies must not demand HTTPS, nor redirect to it.
    status, headers, _body = fetch(f"{base}/admin/login/")
    assert status == 200 and "secure" not in headers["Set-Cookie"].lower()
