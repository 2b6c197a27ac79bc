"""Import an issue from a Markdown file: Digest's format, or as editors and static sites write."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from issues.formats.interchange import InterchangeError, decode, parse_issue
from issues.services.imports import import_summary, issue_import


class Command(BaseCommand):
    help = (
        "Create an issue from a Markdown file, in one transaction, and say what was made of it. "
        "Reads Digest's format, Jekyll/Hugo front matter and Pelican headers, and finds the "
        "headings that make sections and items."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The Markdown file to import.")
        parser.add_argument("--number", type=int, help="Use this number instead of the file's.")
        parser.add_argument("--title", help="Use this title instead of the file's (or for none).")
        parser.add_argument(
            "--publish", action="store_true", help="Publish now when the file has no date."
        )
        parser.add_argument(
            "--replace", action="store_true", help="Replace an existing issue with that number."
        )
        parser.add_argument(
            "--allow-flat",
            action="store_true",
            help="Import a file in which no section or no item was found.",
        )

    def handle(self, *args, path, number, title, publish, replace, allow_flat, **options):
        if number is not None and number < 1:
            raise CommandError(f"{path}: --number must be a positive whole number")
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as error:
            raise CommandError(f"{path}: cannot read the file ({error.strerror})") from error
        try:
            parsed = parse_issue(decode(raw), title=title, allow_flat=allow_flat)
            issue = issue_import(parsed=parsed, number=number, publish=publish, replace=replace)
        except InterchangeError as error:
            raise CommandError(f"{path}: {error}") from error
        except DatabaseError as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise CommandError(f"{path}: the database refused the issue ({message})") from error
        for warning in parsed.warnings:
            self.stderr.write(f"{path}: {warning}")
        self.stderr.write(f"{path}: {import_summary(parsed=parsed, issue=issue)}")
        self.stdout.write(f"{settings.SITE_URL}{issue.get_absolute_url()}")
