"""RSS and Atom feeds of published issues, with their full content and references."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from issues.models import Issue

FEED_LENGTH = 20


class LatestIssuesFeed(Feed):
    title = settings.SITE_NAME
    link = reverse_lazy("issues:home")
    description = _("The latest issues, in full, with their references.")

    def items(self):
        return Issue.objects.published().order_by("-number")[:FEED_LENGTH]

    def item_title(self, item):
        return item.numbered_title

    def item_description(self, item):
        return item.rendered_html

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at


class LatestIssuesAtomFeed(LatestIssuesFeed):
    feed_type = Atom1Feed
    subtitle = LatestIssuesFeed.description
