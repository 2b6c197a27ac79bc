"""Forgetting cached public pages: a generation in the cache, and the nginx page folder."""

import os
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "digest:pages:generation"
CURRENT = "current"


def public_pages_changed() -> None:
    """Forget every cached public page once the current transaction commits (once however
    many rows the transaction saved: services call this, and so do the save signals)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        callback is _forget_pages for _savepoints, callback, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(_forget_pages)


def _forget_pages() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no generation yet, or the cache forgot it: any fresh value will do
        cache.set(GENERATION_KEY, time.time_ns(), timeout=None)
    if settings.DIGEST_PAGE_DIR:
        pages_dir_reset(Path(settings.DIGEST_PAGE_DIR))


def pages_dir_reset(root: Path) -> None:
    """Point `root/current` at a new empty folder, then delete the folders it pointed at before."""
    root.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix="g", dir=root))
    fresh.chmod(0o755)  # nginx reads it as another user
    link = root / f".{fresh.name}.link"
    link.symlink_to(fresh.name)
    # A rename is atomic: nginx sees either the old folder or the new one, never none.
    os.replace(link, root / CURRENT)
    for old in root.iterdir():
        if old.name.startswith("g") and old.name != fresh.name:
            shutil.rmtree(old, ignore_errors=True)


def page_generation() -> int:
    """The cache generation public page keys carry; `public_pages_changed` moves it."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = time.time_ns()
        cache.add(GENERATION_KEY, generation, timeout=None)
        generation = cache.get(GENERATION_KEY, generation)
    return generation
