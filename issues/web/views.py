"""Public pages: the home page with the archive, and each issue."""

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers

from issues.models import Issue
from issues.selectors.issues import issue_article, issue_body_html, issue_for_page
from issues.selectors.search import search as search_hits
from issues.selectors.search import search_snippets
from issues.services.issues import issue_render
from issues.services.moderation import ReportLimitReached, client_hash, report_create
from issues.web.caching import PAGE_NUMBER, cache_public_page
from issues.web.client import client_address, client_key
from issues.web.forms import ReportForm

ARCHIVE_FIELDS = ("number", "title", "plain_title", "published_at", "language")
SEARCH_PAGE_SIZE = 20


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
    return render(request, "issues/home.html", {"latest": latest, "page": page})


def shared_preview(request, token):
    """A draft for reviewers without an account, through a secret, revocable link."""
    if len(token) < 20:
        raise Http404("No issue is shared under this link.")
    issue = get_object_or_404(Issue, share_token=token)
    if issue.is_withdrawn:
        return render(request, "issues/gone.html", {"issue": issue}, status=410)
    body_html = issue_body_html(issue=issue, rendered=issue_article(issue=issue))
    response = render(
        request,
        "issues/detail.html",
        {"issue": issue, "body_html": body_html, "is_preview": True, "is_shared": True},
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
        return render(request, "issues/gone.html", {"issue": issue}, status=410)
    is_preview = not issue.is_published
    if is_preview and not can_preview(request.user):
        raise Http404("No published issue has this number.")
    if is_preview:
        body_html = issue_body_html(issue=issue, rendered=issue_article(issue=issue))
    else:
        if not issue.rendered_html:
            issue_render(issue=issue)
        body_html = issue.rendered_html
    context = {
        "issue": issue,
        "body_html": body_html,
        "is_preview": is_preview,
        "previous": issue.previous,
        "next": issue.next,
    }
    response = render(request, "issues/detail.html", context)
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
    """Published issues, sections and items matching `q`, paginated; never cached."""
    query, hits = search_hits(request.GET.get("q", ""))
    page = Paginator(hits, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    search_snippets(hits=page.object_list, query=query)
    context = {"query": query, "raw_query": request.GET.get("q", ""), "page": page}
    return render(request, "issues/search.html", context)
