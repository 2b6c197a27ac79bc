import csv
import sys

from django.core.management.base import BaseCommand

from delivery.csv_io import subscribers_export_rows


class Command(BaseCommand):
    help = "Write every subscriber (not erased) as CSV to standard output."

    def handle(self, *args, **options):
        writer = csv.writer(sys.stdout)
        for row in subscribers_export_rows():
            writer.writerow(row)
