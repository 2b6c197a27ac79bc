import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from delivery.csv_io import subscribers_import


class Command(BaseCommand):
    help = (
        "Add the addresses of a CSV export (Substack, Mailchimp, Buttondown, listmonk) as "
        "confirmed subscribers. Sends nothing. Every skipped row is listed on stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv", help="the CSV file, or - for standard input")

    def handle(self, *args, csv, **options):
        try:
            data = sys.stdin.buffer.read() if csv == "-" else Path(csv).read_bytes()
        except OSError as error:
            raise CommandError(f"{csv}: {error.strerror or error}") from None
        report = subscribers_import(data=data)
        for line, reason in report.skipped:
            self.stderr.write(f"{csv}:{line}: skipped: {reason}")
        self.stdout.write(f"{report.created} subscribers added, {len(report.skipped)} rows skipped")
