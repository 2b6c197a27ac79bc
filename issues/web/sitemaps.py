"""The sitemap: the home page and every published issue."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from issues.models import Issue


class IssueSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Issue.objects.published().only("number", "updated_at").order_by("number")

    def lastmod(self, issue):
        return issue.updated_at


class HomeSitemap(Sitemap):
    changefreq = "weekly"
    priority = 1.0

    def items(self):
        return ["issues:home"]

    def location(self, name):
        return reverse(name)
