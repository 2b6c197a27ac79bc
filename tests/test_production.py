"""Production settings, /healthz, request logs, and surviving a database outage."""

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.stack import (
    ThrowawayPostgres,
    fetch,
    free_port,
    gunicorn,
    manage,
    production_env,
)

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-production-like-key-" + "k" * 40,
    "DJANGO_ALLOWED_HOSTS": "digest.example.org",
}


def clean_env():
    """This environment without Django's or Digest's variables (browser tests set some)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DIGEST_"))}


def run_django(code, **env):
    clean = clean_env()
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "digest.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


class TestSettings:
    def test_check_deploy_passes_with_production_variables(self):
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            env={**clean_env(), **PRODUCTION},
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    @pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
    def test_production_refuses_to_start_without(self, missing):
        env = {k: v for k, v in PRODUCTION.items() if k != missing}
        result = run_django("", **env)
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS must be set" in result.stderr

    def test_production_is_https_only_behind_the_proxy(self):
        code = (
            "from django.conf import settings as s; "
            "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_HSTS_SECONDS > 0, s.SECURE_PROXY_SSL_HEADER)"
        )
        result = run_django(code, **PRODUCTION)
        assert result.stdout.split() == ["True", "True", "True", "True"] + [
            "('HTTP_X_FORWARDED_PROTO',",
            "'https')",
        ]


@pytest.mark.django_db
class TestHealthz:
    def test_ok_when_database_and_cache_answer(self, client):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "failed": [], "database": "ok", "cache": "ok"}
        assert "no-cache" in response["Cache-Control"]

    def test_503_names_the_cache_when_it_does_not_answer(self, client, settings):
        from django.core.cache import caches

        # A Redis nobody listens on: a real refusal, not a mock.
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            }
        }
        try:
            response = client.get("/healthz")
        finally:
            caches["default"].close()
        assert response.status_code == 503
        assert response.json()["failed"] == ["cache"]
        assert response.json()["cache"].startswith("failed: ")


@pytest.mark.django_db
class TestRequestLog:
    def test_one_json_line_per_request(self, client, settings):
        settings.DIGEST_REQUEST_LOG = True
        lines = []
        handler = logging.Handler()
        handler.emit = lambda record: lines.append(record.getMessage())
        logger = logging.getLogger("digest.requests")
        logger.addHandler(handler)
        try:
            client.get("/issues/999/?x=1", HTTP_USER_AGENT="pytest")
        finally:
            logger.removeHandler(handler)
        assert len(lines) == 1
        entry = json.loads(lines[0])
        assert entry["method"] == "GET"
        assert entry["path"] == "/issues/999/"
        assert entry["query"] == "x=1"
        assert entry["status"] == 404
        assert entry["ua"] == "pytest"
        assert entry["ms"] >= 0


class TestDatabaseOutage:
    """Stop PostgreSQL under a running gunicorn, then start it again: no restart needed."""

    def test_friendly_503_then_recovery(self, tmp_path):
        reason = ThrowawayPostgres.available()
        if reason:
            pytest.skip(reason)
        with ThrowawayPostgres() as postgres:
            env = production_env(database_url=postgres.url, workdir=tmp_path, DIGEST_PAGE_DIR="")
            manage("migrate", "--noinput", env=env)
            manage("collectstatic", "--noinput", env=env)
            manage("load_demo", env=env)
            port = free_port()
            https = {"X-Forwarded-Proto": "https"}  # as nginx says it
            with gunicorn(env=env, port=port, workers=1, log=tmp_path / "gunicorn.log"):
                url = f"http://127.0.0.1:{port}"
                assert fetch(f"{url}/issues/1/", headers=https)[0] == 200
                postgres.stop()
                status, headers, body = fetch(f"{url}/issues/1/", headers=https)
                assert status == 503
                assert b"Back in a moment" in body
                assert b"Traceback" not in body
                assert headers["Retry-After"] == "30"
                status, _, body = fetch(f"{url}/healthz")
                assert status == 503
                assert json.loads(body)["failed"] == ["database"]
                postgres.start()
                time.sleep(0.2)
                assert fetch(f"{url}/issues/1/", headers=https)[0] == 200
                assert fetch(f"{url}/healthz")[0] == 200
            log = (tmp_path / "gunicorn.log").read_text()
            statuses = [json.loads(line)["status"] for line in log.splitlines() if line[:1] == "{"]
            assert 503 in statuses and statuses[-1] == 200
