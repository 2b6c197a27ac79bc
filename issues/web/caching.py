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
`issue_publish` or `issue_to_draft` (moderation, deletions) must call `public_pages_changed()`.
"""

import contextlib
import functools
import hashlib
import math
import os
import re
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import get_language

from issues.selectors.site import site_state
from issues.services.pages import CURRENT, page_generation, pages_dir_reset

# The archive's page number as the home page writes it in its links; nothing else is cached.
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")


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


def _cache_url(request, *, paginated):
    """The URL a page is cached under, or None when its query string must not make an entry.

    Only a paginated view's single, canonical `?page=N` is kept; the view answers a page that
    does not exist with a 404, which is never cached.
    """
    if not request.GET:
        return request.build_absolute_uri(request.path)
    if not paginated or list(request.GET) != ["page"] or len(request.GET.getlist("page")) != 1:
        return None
    number = request.GET["page"]
    if not PAGE_NUMBER.fullmatch(number):
        return None
    # Rebuilt, not the raw query string: `?page=2&&` must not be an entry of its own, and page 1
    # is the page without a number.
    query = f"?page={number}" if number != "1" else ""
    return request.build_absolute_uri(f"{request.path}{query}")


def cache_public_page(view=None, *, paginated=False):
    """Serve a public page from the cache, with ETag, Last-Modified and 304s; fill it on a miss.

    Signed-in users neither read nor fill the cache: staff may see previews. Made-up query
    strings would each fill an entry and push real pages out, so a page with one is served
    uncached, except a paginated view's `?page=N` (`@cache_public_page(paginated=True)`).
    """
    if view is None:
        return functools.partial(cache_public_page, paginated=paginated)

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.DIGEST_PAGE_CACHE or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        cache_url = _cache_url(request, paginated=paginated)
        if cache_url is None:
            return view(request, *args, **kwargs)
        folder = _page_file_target(request)
        state = site_state()
        request.digest_site_state = state
        url = hashlib.sha256(cache_url.encode()).hexdigest()
        key = f"digest:page:{page_generation()}:{state.fingerprint}:{get_language()}:{url}"
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
