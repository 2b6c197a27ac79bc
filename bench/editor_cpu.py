"""The 300-item change page and its save in process: CPU time (and, with `profile`, cProfile).

`python bench/editor_cpu.py` prints, for 3 rounds (ROUNDS=n for more), the CPU time
(time.process_time) of a GET of the change page and of a save that changes the intro, as
Django's test client makes them on a fresh SQLite database holding the bench's large issue. A
CPU figure is less swayed by a shared machine's load than the wall clock `bench/editor.py`
measures in Chromium. `python bench/editor_cpu.py profile` prints the save's cProfile
(cumulative) instead, `profile-view` the change page's (PROFILE_SORT=tottime, PROFILE_LINES=100
to sort and cut otherwise).
"""

import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="digest-editor-cpu-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digest.settings")
os.environ["DATABASE_URL"] = f"sqlite:///{WORK}/db.sqlite3"
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from bench.run import LARGE_NUMBER, large_issue_markdown  # noqa: E402
from issues.models import Issue  # noqa: E402
from tests.factories import make_user  # noqa: E402
from tests.support.admin_forms import form_data  # noqa: E402


def main():
    call_command("migrate", verbosity=0)
    (WORK / "large.md").write_text(large_issue_markdown())
    call_command("import_issue", str(WORK / "large.md"), verbosity=0)
    client = Client()
    client.force_login(make_user("benchcpu", staff=True, groups=["Editors"]))
    url = f"/admin/issues/issue/{Issue.objects.get(number=LARGE_NUMBER).pk}/change/"
    client.get(url)  # the first view computes the panel
    for run in range(int(os.environ.get("ROUNDS", "3"))):
        started = time.process_time()
        page = client.get(url)
        viewed = time.process_time() - started
        data = form_data(page)
        data["intro"] = f"Changed {run}."
        data["_continue"] = "1"
        if sys.argv[1:] == ["profile-view"]:
            profile = cProfile.Profile()
            profile.runcall(client.get, url)
            stats = pstats.Stats(profile).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
            stats.print_stats(int(os.environ.get("PROFILE_LINES", "60")))
            return
        if sys.argv[1:] == ["profile"]:
            profile = cProfile.Profile()
            profile.runcall(client.post, url, data)
            pstats.Stats(profile).sort_stats(
                os.environ.get("PROFILE_SORT", "cumulative")
            ).print_stats(int(os.environ.get("PROFILE_LINES", "60")))
            return
        started = time.process_time()
        saved = client.post(url, data)
        save = time.process_time() - started
        assert saved.status_code == 302, saved.status_code
        print(
            f"change page {viewed:.2f} s CPU ({len(page.content):,} bytes), "
            f"save {save:.2f} s CPU, load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)  # its database, a few megabytes a run
