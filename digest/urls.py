"""Digest's URLs: the public site, the admin, and the staff-only markdownx endpoints."""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from digest.health import healthz
from issues import uploads
from issues.caching import cache_public_page
from issues.sitemaps import HomeSitemap, IssueSitemap

sitemaps = {"home": HomeSitemap, "issues": IssueSitemap}

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # markdownx's own urls.py is open to anyone: these answer staff only.
    path("markdownx/markdownify/", uploads.markdownify, name="markdownx_markdownify"),
    path("markdownx/upload/", uploads.upload_image, name="markdownx_upload"),
    path(
        "sitemap.xml",
        cache_public_page(sitemap),
        {"sitemaps": sitemaps},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("delivery.urls")),
    path("", include("issues.urls")),
]

if settings.ANYMAIL.get("WEBHOOK_SECRET"):
    # The ESP's tracking webhooks (bounces, complaints), behind anymail's basic-auth secret.
    urlpatterns.insert(0, path("anymail/", include("anymail.urls")))
