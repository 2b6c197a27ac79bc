"""Who a request comes from, as far as rate limits and report hashes need to know."""

from django.conf import settings


def client_address(request):
    """The client's IP address; behind our nginx, the one nginx saw (the last forwarded hop)."""
    if settings.DIGEST_BEHIND_PROXY:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "")
