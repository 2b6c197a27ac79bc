from django.urls import path

from issues.web import feeds, views
from issues.web.caching import cache_public_page

app_name = "issues"

urlpatterns = [
    path("", views.home, name="home"),
    path("issues/<int:number>/", views.issue_detail, name="detail"),
    path("preview/<str:token>/", views.shared_preview, name="shared-preview"),
    path("report/", views.report, name="report"),
    path("report/thanks/", views.report_thanks, name="report-thanks"),
    path("search/", views.search, name="search"),
    path("feed/", cache_public_page(feeds.LatestIssuesFeed()), name="feed"),
    path("feed/atom/", cache_public_page(feeds.LatestIssuesAtomFeed()), name="feed-atom"),
]
