"""Public pages: the home page with the archive, and each issue."""

import re

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from issues.models import Issue
from issues.selectors.issues import issue_article, issue_body_html, issue_for_page
from issues.selectors.search import SearchTooCostly, clean_query
from issues.selectors.search import search as search_page
from issues.services.issues import issue_render
from issues.services.moderation import ReportLimitReached, client_hash, report_create
from issues.web.caching import PAGE_NUMBER, cache_public_page
from issues.web.client import client_address, client_key
from issues.web.forms import ReportForm
from issues.web.meta import issue_meta

ARCHIVE_FIELDS = ("number", "title", "plain_title", "published_at", "language")
SEARCH_PAGE_SIZE = 20


_PRE = re.compile(r"<pre(?=[\s>])(?![^>]*\btabindex=)")


def focusable_code_blocks(html):
    """Code blocks scroll sideways on narrow screens: a tabindex lets keyboards reach and scroll
    them (axe: scrollable-region-focusable). Done here, on the way out, for whatever the
    renderer made."""
    return _PRE.sub('<pre tabindex="0"', html)


def can_preview(user):
    """Staff who may see issues readers can't yet: drafts and scheduled ones."""
    return user.is_active and user.is_staff and user.has_perm("issues.view_issue")


@cache_public_page(paginated=True)
def home(request):
    """The latest issue's title and intro, then the archive, newest first."""
    published = Issue.objects.published().order_by("-number")
    latest = published.only(*ARCHIVE_FIELDS, "rendered_intro").first()
    paginator = Paginator(published.only(*ARCHIVE_FIELDS), settings.ARCHIVE_PAGE_SIZE)
    state = getattr(request, "digest_site_state", None)
    if state is not None:
        paginator.count = state.published  # the cache already counted them: save a query
    number = request.GET.get("page", "1")
    try:
        if not PAGE_NUMBER.fullmatch(number):
            raise InvalidPage(number)
        page = paginator.page(number)
    except InvalidPage as error:
        # Not the nearest page, as get_page() would give: each made-up number a page of its own.
        raise Http404("The archive has no such page.") from error
    intro_html = focusable_code_blocks(latest.rendered_intro) if latest else ""
    context = {"latest": latest, "intro_html": intro_html, "page": page}
    return render(request, "issues/home.html", context)


def issue_page(request, template, context, *, issue, status=200):
    """An issue's page speaks the issue's language, whatever the browser's: site pages follow
    the browser, but menus and labels inside a Chinese issue are Chinese."""
    with translation.override(issue.language):
        response = render(request, template, context, status=status)
    response["Content-Language"] = issue.language
    return response


@csrf_exempt
def language_switch(request):
    """Django's set_language, reached from the switch on cached pages, which can carry no
    per-visitor CSRF token; it only sets the visitor's own language cookie. Browsers say when
    a form was posted from another site, and such posts are refused."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return HttpResponseForbidden("The language is switched from Digest's own pages.")
    return set_language(request)


def shared_preview(request, token):
    """A draft for reviewers without an account, through a secret, revocable link."""
    if len(token) < 20:
        raise Http404("No issue is shared under this link.")
    issue = get_object_or_404(Issue, share_token=token)
    if issue.is_withdrawn:
        return issue_page(request, "issues/gone.html", {"issue": issue}, issue=issue, status=410)
    body_html = focusable_code_blocks(
        issue_body_html(issue=issue, rendered=issue_article(issue=issue), reportable=False)
    )
    response = issue_page(
        request,
        "issues/detail.html",
        {"issue": issue, "body_html": body_html, "is_preview": True, "is_shared": True},
        issue=issue,
    )
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@cache_public_page
def issue_detail(request, number):
    """One issue, as readers get it; staff also see drafts and scheduled issues, uncached."""
    issue = issue_for_page(number=number)
    if issue is None:
        raise Http404("No issue has this number.")
    if issue.is_withdrawn:
        return issue_page(request, "issues/gone.html", {"issue": issue}, issue=issue, status=410)
    is_preview = not issue.is_published
    if is_preview and not can_preview(request.user):
        raise Http404("No published issue has this number.")
    if is_preview:
        body_html = issue_body_html(
            issue=issue, rendered=issue_article(issue=issue), reportable=False
        )
    else:
        if not issue.rendered_html:
            issue_render(issue=issue)
        body_html = issue.rendered_html
    body_html = focusable_code_blocks(body_html)
    context = {
        "issue": issue,
        "body_html": body_html,
        "is_preview": is_preview,
        "previous": issue.previous,
        "next": issue.next,
    }
    if not is_preview:
        context["meta"] = issue_meta(request=request, issue=issue, body_html=body_html)
    response = issue_page(request, "issues/detail.html", context, issue=issue)
    if is_preview:
        add_never_cache_headers(response)
    return response


def report(request):
    """Readers report an item or a whole issue: no login, rate-limited, checked input."""
    if request.method == "POST":
        client = client_hash(client_key(client_address(request)))
        form = ReportForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if not data["website"]:  # the honeypot: robots get thanked, nothing is stored
                try:
                    report_create(
                        issue=data["issue_obj"],
                        item=data["item_obj"],
                        reason=data["reason"],
                        note=data["note"],
                        contact_email=data["contact_email"],
                        client=client,
                    )
                except ReportLimitReached:
                    context = {"limit": settings.DIGEST_REPORTS_PER_HOUR}
                    return render(request, "429.html", context, status=429)
            return redirect("issues:report-thanks")
        target = form.cleaned_data
        status = 400
    else:
        form = ReportForm(
            initial={"issue": request.GET.get("issue"), "item": request.GET.get("item")}
        )
        target = ReportForm.resolve_target(request.GET.get("issue"), request.GET.get("item"))
        if target["errors"]:
            raise Http404(" ".join(str(error) for error in target["errors"].values()))
        status = 200
    context = {"form": form, "issue": target.get("issue_obj"), "item": target.get("item_obj")}
    return render(request, "issues/report.html", context, status=status)


def report_thanks(request):
    """The confirmation after a report."""
    return render(request, "issues/report_thanks.html")


def search(request):
    """Published issues, sections and items matching `q`, a page at a time; never cached.

    Only the page shown is fetched (issues.selectors.search): its database cost does not grow
    with the number of matches. A page that is not a number, or past the last, is a 404.
    """
    raw_query = request.GET.get("q", "")
    number = request.GET.get("page", "1")
    if not PAGE_NUMBER.fullmatch(number):
        raise Http404("The search has no such page.")
    try:
        page = search_page(raw_query, page=int(number), per_page=SEARCH_PAGE_SIZE)
    except SearchTooCostly:
        context = {"query": clean_query(raw_query), "raw_query": raw_query, "too_costly": True}
        return render(request, "issues/search.html", context, status=503)
    if page.number > 1 and not page.hits:
        raise Http404("The search has no such page.")
    context = {"query": page.query, "raw_query": raw_query, "page": page}
    return render(request, "issues/search.html", context)
