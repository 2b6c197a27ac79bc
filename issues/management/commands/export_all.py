"""Back up the whole site to a folder."""

from django.core.management.base import BaseCommand, CommandError

from issues.formats.backup import site_export


class Command(BaseCommand):
    help = "Write every issue (interchange format) and references, reports and log (JSON) to DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        try:
            count = site_export(directory)
        except OSError as error:
            raise CommandError(f"{directory}: cannot write ({error.strerror})") from error
        self.stdout.write(f"Exported {count} issues to {directory}")
