"""Print an issue in the Markdown interchange format."""

from django.core.management.base import BaseCommand, CommandError

from issues.models import Issue
from issues.services import issue_export_markdown


class Command(BaseCommand):
    help = "Print an issue in the Markdown interchange format."

    def add_arguments(self, parser):
        parser.add_argument("number", type=int, help="The issue's number.")

    def handle(self, *args, number, **options):
        issue = Issue.objects.filter(number=number).first()
        if issue is None:
            raise CommandError(f"there is no issue number {number}")
        self.stdout.write(issue_export_markdown(issue=issue), ending="")
