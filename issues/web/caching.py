"""Public pages cached whole, under keys that change whenever what readers see could change.

Two layers, both exact (an edit, a publish, a scheduled time passing or a moderation action
shows on the very next request):

1. Django's cache (`CACHE_URL`). The key holds a fingerprint of the issues table read in one
   query per request (how many issues are published now, the latest `updated_at`), so a change
   made by any process, and a scheduled time passing, make a new key with no cron and no shared
   memory. It also holds a generation that `public_pages_changed()` bumps, for changes that
   touch no issue row.
2. Optional HTML files for nginx (`DIGEST_PAGE_DIR`): written only while no issue is scheduled
   (nothing can then change without a write), into the folder `current` points to;
   `public_pages_changed()` points `current` at a fresh empty folder after the change commits.

Code that changes anything readers see without going through `issues.services.issue_render`,
`issue_publish` or `issue_unpublish` (moderation, deletions) must call `public_pages_changed()`.
"""

import contextlib
import functools
import hashlib
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from django.utils.translation import get_language

from issues.models import Issue
from issues.selectors.sql import connection_for, live_sql, now_sql

GENERATION_KEY = "digest:pages:generation"
CACHED_PARAMETERS = {"page"}  # the archive's page number; any other parameter is not cached
CURRENT = "current"


@dataclass(frozen=True)
class SiteState:
    """What every public page depends on, read in one query."""

    published: int
    updated_at: datetime | None
    last_published_at: datetime | None
    next_scheduled_at: datetime | None

    @property
    def fingerprint(self):
        stamp = self.updated_at.timestamp() if self.updated_at else 0
        return f"{self.published}-{stamp:.6f}"

    @property
    def last_modified(self):
        """The latest moment any public page could have changed: an edit or a publication."""
        moments = [m for m in (self.updated_at, self.last_published_at) if m]
        return max(moments) if moments else None


def _site_state_sql(vendor):
    """The one query behind site_state, written out: it runs on every public request, and
    building it with the ORM cost three times more than running it."""
    # Withdrawing an issue re-renders it, which moves updated_at: the fingerprint sees that too.
    live, now = live_sql(vendor), now_sql(vendor)
    return (
        f"SELECT SUM(CASE WHEN {live} THEN 1 ELSE 0 END), MAX(updated_at), "
        f"MAX(CASE WHEN {live} THEN published_at END), "
        f"MIN(CASE WHEN published_at > {now} THEN published_at END) "
        f"FROM {Issue._meta.db_table}"
    )


def _as_datetime(value):
    if isinstance(value, str):  # SQLite hands back text for computed columns
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def site_state():
    """The state of the issues table that public pages depend on."""
    connection = connection_for(Issue)
    with connection.cursor() as cursor:
        cursor.execute(_site_state_sql(connection.vendor))
        published, updated_at, last_published_at, next_scheduled_at = cursor.fetchone()
    return SiteState(
        published=int(published or 0),
        updated_at=_as_datetime(updated_at),
        last_published_at=_as_datetime(last_published_at),
        next_scheduled_at=_as_datetime(next_scheduled_at),
    )


def public_pages_changed():
    """Forget every cached public page once the current transaction commits."""
    transaction.on_commit(_forget_pages)


def _forget_pages():
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no generation yet, or the cache forgot it: any fresh value will do
        cache.set(GENERATION_KEY, time.time_ns(), timeout=None)
    if settings.DIGEST_PAGE_DIR:
        pages_dir_reset(Path(settings.DIGEST_PAGE_DIR))


def pages_dir_reset(root):
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


def _generation():
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = time.time_ns()
        cache.add(GENERATION_KEY, generation, timeout=None)
        generation = cache.get(GENERATION_KEY, generation)
    return generation


def _page_file_target(request):
    """The folder a page file may be written to, read before the state so a race loses safely."""
    if not settings.DIGEST_PAGE_DIR or request.COOKIES or request.GET:
        return None
    if not request.path.endswith("/"):
        return None
    root = Path(settings.DIGEST_PAGE_DIR)
    if not (root / CURRENT).exists():
        pages_dir_reset(root)
    try:
        return (root / CURRENT).resolve(strict=True)
    except OSError:
        return None


def _write_page_file(folder, request, response):
    path = (folder / get_language() / request.path.lstrip("/") / "index.html").resolve()
    if not path.is_relative_to(folder):
        return
    with contextlib.suppress(OSError):  # the folder was reset meanwhile: this page is stale
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(response.content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)


def _cacheable(response):
    if response.status_code != 200 or response.cookies or response.streaming:
        return False
    cache_control = response.get("Cache-Control", "")
    return "private" not in cache_control and "no-store" not in cache_control


def cache_public_page(view):
    """Serve a public page from the cache, with ETag, Last-Modified and 304s; fill it on a miss.

    Signed-in users neither read nor fill the cache: staff may see previews.
    """

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.DIGEST_PAGE_CACHE or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if set(request.GET) - CACHED_PARAMETERS:
            # Made-up query strings would each fill a cache entry and push real pages out.
            return view(request, *args, **kwargs)
        folder = _page_file_target(request)
        state = site_state()
        request.digest_site_state = state
        url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        key = f"digest:page:{_generation()}:{state.fingerprint}:{get_language()}:{url}"
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if not _cacheable(response):
                return response
            if hasattr(response, "render") and callable(response.render):
                response.render()
            response["ETag"] = f'"{hashlib.md5(response.content).hexdigest()}"'
            # HTTP dates count whole seconds: a change later in this same second must not match,
            # so a page made this second claims the second before (costing at worst one 200).
            last_modified = state.last_modified or timezone.now()
            stamp = min(int(last_modified.timestamp()), int(time.time()) - 1)
            response["Last-Modified"] = http_date(stamp)
            patch_cache_control(response, public=True, no_cache=True)
            timeout = settings.DIGEST_PAGE_CACHE_TIMEOUT
            if state.next_scheduled_at:
                # Not needed for correctness (the key changes), but don't keep dead entries.
                left = (state.next_scheduled_at - timezone.now()).total_seconds()
                timeout = max(1, min(timeout, math.ceil(left)))
            cache.set(key, response, timeout)
            is_html = response.get("Content-Type", "").startswith("text/html")
            if folder and is_html and state.next_scheduled_at is None:
                _write_page_file(folder, request, response)
        conditional = get_conditional_response(
            request,
            etag=response.get("ETag"),
            last_modified=state.last_modified and int(state.last_modified.timestamp()),
            response=response,
        )
        return conditional

    return wrapped
