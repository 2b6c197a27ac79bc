"""Shared fixtures: where the shared corpora and seed live."""

import os
from pathlib import Path

import pytest

# `../shared` beside the checkout; DIGEST_SHARED_DIR or /work/shared when the clone lives elsewhere.
_CANDIDATES = [
    os.environ.get("DIGEST_SHARED_DIR", ""),
    Path(__file__).resolve().parents[1].parent / "shared",
    "/work/shared",
]
SHARED = next((Path(p) for p in _CANDIDATES if p and Path(p).is_dir()), Path(_CANDIDATES[1]))
SEED_FILE = SHARED / "seed" / "000_fb46cd9ae7c44e75.txt"
CORPORA = SHARED / "corpora"


@pytest.fixture
def seed_text():
    if not SEED_FILE.exists():
        pytest.skip(f"the seed issue is not here ({SEED_FILE})")
    return SEED_FILE.read_text(encoding="utf-8")


@pytest.fixture
def corpora():
    if not CORPORA.exists():
        pytest.skip(f"the shared corpora are not here ({CORPORA})")
    return CORPORA


@pytest.fixture
def demo(db):
    """The demo issues and accounts as `make run` loads them; returns what load_demo printed."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing passwords for real costs a second per user; tests need no such strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


from tests.browser import browser, page  # noqa: E402, F401  (fixtures)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: one test's cached pages mean nothing to the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests on a file, as `make run` uses it, not in shared-cache memory.

    Threads in one test (tests/test_report_concurrency.py) then meet SQLite's real locking
    (a writer waits for the lock), not shared-cache memory's, which refuses at once.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folder = tmp_path_factory.mktemp("sqlite")
        database.setdefault("TEST", {})["NAME"] = str(folder / "test.sqlite3")
