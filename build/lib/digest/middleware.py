"""Request logs as one JSON line each, and a friendly 503 while the database is away."""

import json
import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.shortcuts import render

request_log = logging.getLogger("digest.requests")
logger = logging.getLogger(__name__)


class RequestLogMiddleware:
    """One structured line per request: what was asked, what was answered, how fast."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if settings.DIGEST_REQUEST_LOG:
            user = getattr(request, "user", None)
            try:
                user_id = user.pk if user is not None and user.is_authenticated else None
            except (OperationalError, InterfaceError):
                # The session or user lookup needs the database: when it is away, the 503 page
                # must still reach the signed-in user, not a 500 raised by the log line.
                user_id = None
            request_log.info(
                json.dumps(
                    {
                        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                        "method": request.method,
                        "path": request.path,
                        "query": request.META.get("QUERY_STRING", ""),
                        "status": response.status_code,
                        "bytes": len(response.content) if not response.streaming else None,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                        "ip": request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR"),
                        # The id only: usernames are personal data, logs travel far.
                        "user": user_id,
                        "ua": request.META.get("HTTP_USER_AGENT", "")[:200],
                    },
                    ensure_ascii=False,
                )
            )
        return response


class DatabaseUnavailableMiddleware:
    """PostgreSQL gone: readers get a 503 page, and the next request tries the database again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable: %s", exception)
        response = render(request, "503.html", status=503)
        # Clients and proxies should come back soon, and never keep this page.
        response["Retry-After"] = "30"
        response["Cache-Control"] = "no-store"
        return response
