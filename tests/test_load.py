"""Load and faults: gunicorn on PostgreSQL under mixed load, with and without a database restart."""

import os

import pytest

from tests.support.loadtest import fresh_database, load_run, problems, summary
from tests.support.stack import ThrowawayPostgres

pytestmark = pytest.mark.load

# Short runs in the suite; `make loadtest` runs the same load for a minute.
DURATION = float(os.environ.get("DIGEST_LOAD_DURATION", 15))
FAULT_DURATION = float(os.environ.get("DIGEST_FAULT_DURATION", 20))


def require_postgres():
    """The PostgreSQL server the suite runs on; skip without one (fail with DIGEST_REQUIRE_LOAD)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    # Once per CI run, in its PostgreSQL pass: the SQLite pass has no server to load.
    reason = "the load tests run against PostgreSQL: set DATABASE_URL to a postgres:// server"
    if os.environ.get("DIGEST_REQUIRE_LOAD"):
        pytest.fail(reason)
    pytest.skip(reason)


def assert_kept_promises(result):
    print("\n".join(summary(result)))  # the figures, shown with -s or on failure
    assert problems(result) == [], result.stored.get("log_tail", "")
    assert result.reports_accepted and result.edits_accepted


def test_mixed_load_serves_everything_and_loses_nothing(tmp_path):
    with fresh_database(require_postgres()) as database:
        result = load_run(database_url=database, workdir=tmp_path, duration=DURATION)
    assert_kept_promises(result)
    assert not any(sample.status >= 500 for sample in result.samples)


def test_a_silent_mail_server_holds_no_reader(tmp_path):
    """Mail to a server that accepts and never answers, a task worker beside gunicorn: every
    report is stored, its notification waits in the worker, and readers are served."""
    with fresh_database(require_postgres()) as database:
        result = load_run(
            database_url=database, workdir=tmp_path, duration=DURATION, slow_mail=True
        )
    assert_kept_promises(result)
    assert not any(sample.status >= 500 for sample in result.samples)
    assert sum(result.stored["mail_tasks"].values()) >= 1


def test_postgres_restart_under_load_gives_503s_then_full_service(tmp_path):
    require_postgres()
    reason = ThrowawayPostgres.available()
    if reason and os.environ.get("DIGEST_REQUIRE_LOAD"):
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)
    with ThrowawayPostgres() as postgres:
        result = load_run(
            database_url=postgres.url, workdir=tmp_path, duration=FAULT_DURATION, postgres=postgres
        )
    assert_kept_promises(result)
    down, up = result.outage
    during = [s.status for s in result.samples if down <= s.started <= up]
    assert 503 in during
    assert set(during) <= {200, 302, 304, 503}
