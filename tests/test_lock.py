"""The Docker image installs requirements.lock: it must pin every runtime dependency."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement):
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_runtime_dependency_is_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {
        _name(line): line.split("==", 1)[1]
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if line and not line.startswith("#")
    }
    missing = [_name(dep) for dep in project["dependencies"] if _name(dep) not in pinned]
    assert missing == [], "run `make lock`"
