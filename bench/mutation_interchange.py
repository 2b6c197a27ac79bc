"""`make mutation-interchange`: mutmut on issues/formats/interchange.py against its fast tests.

Runs in a scratch copy of the project (so this configuration never meets another `[tool.mutmut]`),
then prints how many mutants the tests killed and lists the survivors with their diffs.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE = "issues/formats/interchange.py"
FAST_TESTS = [
    "tests/test_interchange.py",
    "tests/test_import_formats.py",
    "tests/test_import_corpus.py",
]
COPIED = ["issues", "digest", "templates", "static", "locale", "tests", "manage.py"]
CONFIG = f"""
[tool.pytest.ini_options]
DJANGO_SETTINGS_MODULE = "digest.settings"
testpaths = ["tests"]
addopts = "-p no:cacheprovider"

[tool.mutmut]
source_paths = ["issues/"]
only_mutate = ["{MODULE}"]
also_copy = {[name + ("/" if (ROOT / name).is_dir() else "") for name in COPIED[1:]]!r}
pytest_add_cli_args_test_selection = {FAST_TESTS!r}
"""


def main():
    mutmut = Path(sys.executable).with_name("mutmut")
    work = Path(tempfile.mkdtemp(prefix="digest-mutation-"))
    try:
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, work / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, work / name)
        (work / "pyproject.toml").write_text(CONFIG.replace("'", '"'), encoding="utf-8")
        shared = os.environ.get("DIGEST_SHARED_DIR") or str(ROOT.parent / "shared")
        env = {**os.environ, "DIGEST_SHARED_DIR": shared}
        children = os.environ.get("MUTATION_CHILDREN", "2")
        subprocess.run(
            [str(mutmut), "run", "--max-children", children], cwd=work, env=env, check=False
        )
        results = subprocess.run(
            [str(mutmut), "results", "--all", "true"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        statuses = re.findall(r"^\s*(\S+): (\w[\w ]*)$", results, re.MULTILINE)
        counts = {}
        for _, status in statuses:
            counts[status] = counts.get(status, 0) + 1
        killed = counts.get("killed", 0)
        survivors = [name for name, status in statuses if status == "survived"]
        judged = killed + len(survivors)
        print(
            f"\n{MODULE}: {killed} of {judged} mutants killed "
            f"({killed / max(judged, 1):.0%}); all statuses: {counts}"
        )
        for name in survivors:
            diff = subprocess.run(
                [str(mutmut), "show", name], cwd=work, env=env, capture_output=True, text=True
            ).stdout
            print(f"\n--- survived: {name}\n{diff.strip()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
