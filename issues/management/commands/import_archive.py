"""Import a folder (or git checkout) of issue files, each in its own transaction."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from issues.services.imports import archive_files, archive_import

COLUMNS = ("file", "number", "sections", "items", "references", "warnings", "error")


class Command(BaseCommand):
    help = (
        "Import every Markdown file under PATH (a folder or a git checkout), each issue in its "
        "own transaction; bad files are reported and skipped. Ends with a table; exits 1 if any "
        "file failed. Existing issues are kept unless --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A folder of .md files (searched recursively).")
        parser.add_argument(
            "--replace", action="store_true", help="Replace issues that already exist."
        )
        parser.add_argument(
            "--allow-flat",
            action="store_true",
            help="Import files in which no section or no item was found.",
        )

    def handle(self, *args, path, replace, allow_flat, **options):
        root = Path(path)
        if not root.exists():
            raise CommandError(f"{path}: no such folder")
        files = archive_files(root)
        if not files:
            raise CommandError(f"{path}: no .md or .markdown files here")
        rows = []
        for row in archive_import(paths=files, replace=replace, allow_flat=allow_flat):
            rows.append(row)
            self._progress(len(rows), len(files), row.path.name)
        self.stderr.write("")
        base = root if root.is_dir() else root.parent
        table = [COLUMNS] + [
            (
                str(row.path.relative_to(base)),
                str(row.number or ""),
                str(row.sections),
                str(row.items),
                str(row.references),
                "; ".join(row.warnings),
                row.error,
            )
            for row in rows
        ]
        widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS) - 2)]
        for line in table:
            cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
            self.stdout.write("  ".join([*cells, *line[len(widths) :]]).rstrip())
        failed = [row for row in rows if row.error]
        imported = sum(1 for row in rows if not row.error and not row.skipped)
        skipped = sum(1 for row in rows if row.skipped)
        self.stdout.write(
            f"{imported} imported, {skipped} kept as they were, {len(failed)} failed "
            f"of {len(rows)} files"
        )
        if failed:
            raise CommandError(f"{len(failed)} of {len(rows)} files failed (see the table)")

    def _progress(self, done, total, name):
        width = 30
        filled = width * done // total
        bar = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name}"
        if sys.stderr.isatty():
            self.stderr.write(f"\r{bar[:100]:<100}", ending="")
        else:
            self.stderr.write(bar)
