"""Who a request comes from, as far as rate limits, report hashes and login throttling know.

One rule (`DIGEST_TRUSTED_PROXIES`): X-Forwarded-For and X-Forwarded-Proto are believed only
when the peer that connected (REMOTE_ADDR) is one of our proxies. Anyone else may write them,
so from anyone else they are dropped before Django reads them.
"""

import functools
import ipaddress

from django.conf import settings

# What a proxy tells us about the client; from any other peer these are made up.
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_REAL_IP")


@functools.cache
def _networks(proxies):
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def is_trusted_proxy(address):
    """Whether this address is one of the proxies in DIGEST_TRUSTED_PROXIES."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _networks(tuple(settings.DIGEST_TRUSTED_PROXIES)))


def client_address(request):
    """The client's IP address: the peer, or behind our proxies the hop the first one appended.

    X-Forwarded-For is read from the right: each trusted proxy appended the address it saw, so
    the first hop that is not one of ours is the client; anything to its left is the client's
    own claim.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    if not is_trusted_proxy(peer):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted_proxy(hop):
            return hop
    return hops[0] if hops else peer


def client_key(address):
    """The unit a client is counted by: its IPv4 address, or its IPv6 /64.

    One IPv6 subscriber usually holds a whole /64 and may pick any address in it, so counting
    single addresses would give one person 2**64 votes.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def login_client_address(request):
    """The address login throttling (django-axes) counts failures by: client_key's unit, an
    IPv6 /64 written as its first address (axes stores an IP address, not a network)."""
    return client_key(client_address(request)).split("/")[0]


class ForwardedHeadersMiddleware:
    """Drop forwarded headers a trusted proxy did not send, before anything reads them.

    Django's SECURE_PROXY_SSL_HEADER believes X-Forwarded-Proto from anyone: here it only
    arrives from a trusted proxy.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
