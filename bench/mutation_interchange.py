"""`make mutation-interchange`: mutmut on issues/formats/interchange.py against its fast tests.

Runs in a scratch copy of the project (so this configuration never meets another `[tool.mutmut]`),
then prints how many mutants the tests killed and lists the survivors with their diffs.
"""

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE = "issues/formats/interchange.py"
# The fast tests of the format (the corpus imports and the timing test take seconds each).
FAST_TESTS = ["tests/test_interchange.py", "tests/test_import_formats.py"]
DESELECT = "not at_the_limits"
# Mutants run, drawn at random with a fixed seed (all 1,300 take hours on two shared CPUs);
# MUTATION_SAMPLE=0 runs them all.
SAMPLE = int(os.environ.get("MUTATION_SAMPLE", "150"))
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
pytest_add_cli_args = ["-k", "{DESELECT}"]
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

        def mutmut_results():
            return subprocess.run(
                [str(mutmut), "results", "--all", "true"],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            ).stdout

        # Generate the mutants only (a filter matching none stops mutmut after generating).
        subprocess.run(
            [str(mutmut), "run", "no-mutant-is-named-so"], cwd=work, env=env, capture_output=True
        )
        names = re.findall(r"^\s*(\S+): ", mutmut_results(), re.MULTILINE)
        chosen = sorted(random.Random(12).sample(names, SAMPLE)) if 0 < SAMPLE < len(names) else []
        print(f"{len(names)} mutants of {MODULE}; running {len(chosen) or len(names)}", flush=True)
        subprocess.run([str(mutmut), "run", "--max-children", children, *chosen], cwd=work, env=env)
        results = mutmut_results()
        statuses = [
            (name, status)
            for name, status in re.findall(r"^\s*(\S+): (\w[\w ]*)$", results, re.MULTILINE)
            if status != "not checked"
        ]
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
