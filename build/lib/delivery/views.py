"""Readers' pages: subscribe, confirm, unsubscribe. No login anywhere."""

import contextlib
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from issues.services.moderation import client_hash
from issues.web.client import client_address, client_key

from .addresses import InvalidAddress
from .forms import SubscribeForm
from .mail import UNSUBSCRIBE_SALT
from .services import subscriber_confirm, subscriber_subscribe, subscriber_unsubscribe, throttle_hit


def _same_origin(request) -> bool:
    """Cross-site request forgery check by origin, for forms on cached pages.

    The subscribe form sits on the home and issue pages, which are cached whole for everyone and
    so cannot carry a per-visitor CSRF token. Browsers say where a form was posted from
    (Sec-Fetch-Site, Origin): a post from another site is refused.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None  # no header: not a browser form post from another site
    return urlsplit(origin).netloc == request.get_host()


@csrf_exempt  # checked by origin instead, see _same_origin
@require_http_methods(["GET", "POST"])
def subscribe(request):
    """The subscribe form, and what it posts; the same answer whatever the address's state."""
    if request.method == "GET":
        response = render(request, "delivery/subscribe.html", {"form": SubscribeForm()})
        add_never_cache_headers(response)
        return response
    if not _same_origin(request):
        return HttpResponseForbidden("Cross-site subscription refused.")
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "delivery/subscribe.html", {"form": form}, status=400)
    if form.cleaned_data["website"]:  # the honeypot: robots get thanked, nothing is stored
        return redirect("delivery:subscribe-thanks")
    client = client_hash(client_key(client_address(request)))
    if not throttle_hit(client=f"subscribe:{client}", limit=settings.DIGEST_SUBSCRIBES_PER_HOUR):
        context = {"limit": settings.DIGEST_SUBSCRIBES_PER_HOUR}
        return render(request, "delivery/too_many.html", context, status=429)
    with contextlib.suppress(InvalidAddress):  # already refused by the form; never tell more
        subscriber_subscribe(
            email=form.cleaned_data["email"], language=translation.get_language() or "en"
        )
    return redirect("delivery:subscribe-thanks")


def subscribe_thanks(request):
    """The one answer to every subscription request."""
    return render(request, "delivery/subscribe_thanks.html")


class ConfirmView(View):
    """GET: a page with one button (mail scanners follow links); POST: confirmed."""

    http_method_names = ["get", "post"]

    def get(self, request, token):
        response = render(request, "delivery/confirm.html", {"token": token})
        add_never_cache_headers(response)
        return response

    def post(self, request, token):
        subscriber = subscriber_confirm(token=token)
        status = 200 if subscriber is not None else 400
        return render(request, "delivery/confirmed.html", {"subscriber": subscriber}, status=status)


@method_decorator(csrf_exempt, name="dispatch")  # RFC 8058: mail providers POST without cookies
class UnsubscribeView(View):
    """One-click unsubscribe: GET shows one button, POST unsubscribes at once, no login."""

    http_method_names = ["get", "post"]

    def _subscriber_id(self, token):
        try:
            return int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
        except (signing.BadSignature, ValueError):
            return None

    def get(self, request, token):
        valid = self._subscriber_id(token) is not None
        response = render(
            request,
            "delivery/unsubscribe.html",
            {"token": token, "valid": valid},
            status=200 if valid else 400,
        )
        add_never_cache_headers(response)
        return response

    def post(self, request, token):
        subscriber_id = self._subscriber_id(token)
        if subscriber_id is None:
            return render(
                request, "delivery/unsubscribe.html", {"token": token, "valid": False}, status=400
            )
        subscriber_unsubscribe(subscriber_id=subscriber_id)
        return render(request, "delivery/unsubscribed.html")
