"""Print an issue in the interchange format, or as email, WeChat or plain text."""

from django.core.management.base import BaseCommand, CommandError

from issues.formats.exports import FORMATS, export_issue
from issues.models import Issue


class Command(BaseCommand):
    help = "Print an issue: markdown (the interchange format), email, wechat or text."

    def add_arguments(self, parser):
        parser.add_argument("number", type=int, help="The issue's number.")
        parser.add_argument(
            "--format", default="markdown", choices=sorted(FORMATS), help="Default: markdown."
        )

    def handle(self, *args, number, format, **options):
        issue = Issue.objects.filter(number=number).first()
        if issue is None:
            raise CommandError(f"there is no issue number {number}")
        self.stdout.write(export_issue(issue=issue, fmt=format), ending="")
