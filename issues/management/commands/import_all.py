"""Restore a whole site from an export_all folder, into an empty database."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from issues.formats.backup import site_import
from issues.formats.interchange import InterchangeError


class Command(BaseCommand):
    help = "Restore issues, references, reports and the moderation log from DIR (empty database)."

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        try:
            count = site_import(directory)
        except (InterchangeError, KeyError, TypeError) as error:
            raise CommandError(f"{directory}: {error}") from error
        except DatabaseError as error:
            first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise CommandError(
                f"{directory}: the database refused the data ({first_line})"
            ) from error
        self.stdout.write(f"Imported {count} issues from {directory}")
