"""/healthz: does this process reach its database and its cache?"""

import time

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """200 when the database and the cache answer, 503 naming what failed."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001  (any failure is the answer, not a crash)
        checks["database"] = f"failed: {type(error).__name__}"
    try:
        probe = f"digest:healthz:{time.time_ns()}"
        cache.set(probe, "ok", 10)
        ok = cache.get(probe) == "ok"
        cache.delete(probe)
        checks["cache"] = "ok" if ok else "failed: value not read back"
    except Exception as error:  # noqa: BLE001
        checks["cache"] = f"failed: {type(error).__name__}"
    failed = sorted(name for name, result in checks.items() if result != "ok")
    status = 503 if failed else 200
    return JsonResponse(
        {"status": "ok" if not failed else "failing", "failed": failed, **checks}, status=status
    )
