"""Digest's URLs: the public site, the admin, and the staff-only markdownx endpoints."""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from digest.health import healthz
from issues.web import markdownx, views
from issues.web.caching import cache_public_page
from issues.web.sitemaps import HomeSitemap, IssueSitemap

sitemaps = {"home": HomeSitemap, "issues": IssueSitemap}

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # markdownx's own urls.py is open to anyone: these answer staff only.
    path("markdownx/markdownify/", markdownx.markdownify, name="markdownx_markdownify"),
    path("markdownx/upload/", markdownx.upload_image, name="markdownx_upload"),
    path(
        "sitemap.xml",
        cache_public_page(sitemap),
        {"sitemaps": sitemaps},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("i18n/setlang/", views.language_switch, name="set_language"),
    path("", include("delivery.urls")),
    path("", include("issues.web.urls")),
]

if settings.ANYMAIL.get("WEBHOOK_SECRET"):
    # The ESP's tracking webhooks (bounces, complaints), behind anymail's basic-auth secret.
    urlpatterns.insert(0, path("anymail/", include("anymail.urls")))
