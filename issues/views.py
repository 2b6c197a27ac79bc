"""Public pages: the home page with the archive, and each issue."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers

from .caching import cache_public_page
from .models import Issue
from .search import search as search_hits
from .services import issue_body_html, issue_build, issue_render

ARCHIVE_FIELDS = ("number", "title", "plain_title", "published_at", "language")
SEARCH_PAGE_SIZE = 20


def can_preview(user):
    """Staff who may see issues readers can't yet: drafts and scheduled ones."""
    return user.is_active and user.is_staff and user.has_perm("issues.view_issue")


@cache_public_page
def home(request):
    """The latest issue's title and intro, then the archive, newest first."""
    published = Issue.objects.published().order_by("-number")
    latest = published.only(*ARCHIVE_FIELDS, "rendered_intro").first()
    paginator = Paginator(published.only(*ARCHIVE_FIELDS), settings.ARCHIVE_PAGE_SIZE)
    state = getattr(request, "digest_site_state", None)
    if state is not None:
        paginator.count = state.published  # the cache already counted them: save a query
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "issues/home.html", {"latest": latest, "page": page})


@cache_public_page
def issue_detail(request, number):
    """One issue, as readers get it; staff also see drafts and scheduled issues, uncached."""
    issue = get_object_or_404(Issue, number=number)
    is_preview = not issue.is_published
    if is_preview and not can_preview(request.user):
        raise Http404("No published issue has this number.")
    if is_preview:
        body_html = issue_body_html(issue=issue, rendered=issue_build(issue=issue))
    else:
        if not issue.rendered_html:
            issue_render(issue=issue)
        body_html = issue.rendered_html
    neighbours = Issue.objects.published().only("number", "plain_title", "title")
    context = {
        "issue": issue,
        "body_html": body_html,
        "is_preview": is_preview,
        "previous": neighbours.filter(number__lt=issue.number).order_by("-number").first(),
        "next": neighbours.filter(number__gt=issue.number).order_by("number").first(),
    }
    response = render(request, "issues/detail.html", context)
    if is_preview:
        add_never_cache_headers(response)
    return response


def search(request):
    """Published issues, sections and items matching `q`, paginated; never cached."""
    query, hits = search_hits(request.GET.get("q", ""))
    page = Paginator(hits, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"query": query, "raw_query": request.GET.get("q", ""), "page": page}
    return render(request, "issues/search.html", context)
