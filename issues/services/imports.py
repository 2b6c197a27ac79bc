"""Imports: one issue from a parsed file, and whole archives of files, each issue all or nothing."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, transaction
from django.utils import timezone

from issues.formats.interchange import InterchangeError, ParsedIssue, decode, parse_issue
from issues.models import Issue, Item, Section
from issues.services.issues import issue_render
from issues.text.article import article_problems

ARCHIVE_SUFFIXES = (".md", ".markdown")
# Files a repository keeps beside its issues; an archive import passes over them.
REPOSITORY_FILES = {"readme", "contributing", "changelog", "license", "code_of_conduct", "security"}


@transaction.atomic
def issue_import(
    *,
    parsed: ParsedIssue,
    number: int | None = None,
    publish: bool = False,
    replace: bool = False,
) -> Issue:
    """Create an issue from a parsed interchange file, all or nothing."""
    number = number or parsed.number
    # Texts beyond the Markdown limits (size, nesting, time to read) are refused with the place.
    if problems := article_problems(parsed, parsed.sections):
        raise InterchangeError("; ".join(problems))
    if number is None:
        raise InterchangeError("the issue has no number: add `number:` or pass --number")
    existing = Issue.objects.select_for_update().filter(number=number).first()
    if existing and not replace:
        raise InterchangeError(f"issue {number} already exists: pass --replace to overwrite it")
    if existing:
        existing.delete()
    published_at = parsed.published_at
    if publish and published_at is None:
        published_at = timezone.now()
    issue = Issue.objects.create(
        number=number,
        title=parsed.title,
        intro=parsed.intro,
        language=parsed.language,
        published_at=published_at,
    )
    for section_position, parsed_section in enumerate(parsed.sections, start=1):
        section = Section.objects.create(
            issue=issue,
            title=parsed_section.title,
            icon=parsed_section.icon,
            text=parsed_section.text,
            position=section_position,
        )
        Item.objects.bulk_create(
            Item(section=section, title=item.title, body=item.body, position=position)
            for position, item in enumerate(parsed_section.items, start=1)
        )
    try:
        issue_render(issue=issue)
    except RecursionError as error:
        raise InterchangeError("the Markdown is nested too deeply to render") from error
    return issue


def import_summary(*, parsed: ParsedIssue, issue: Issue) -> str:
    """The one line that tells an editor what the import made of the file."""
    references = issue.citations.count()
    counts = f"{len(parsed.sections)} sections, {parsed.item_count} items, {references} references"
    return "; ".join([counts, *parsed.decisions])


@dataclass
class ArchiveRow:
    """One file of an archive import, as the final table shows it."""

    path: Path
    number: int | None = None
    sections: int = 0
    items: int = 0
    references: int = 0
    warnings: list = field(default_factory=list)
    error: str = ""
    skipped: bool = False


def archive_files(root: Path) -> list[Path]:
    """The issue files of a folder or git checkout, in file order (paths sorted)."""
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(
        path
        for path in root.rglob("*")
        if path.suffix.lower() in ARCHIVE_SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
        and path.stem.lower() not in REPOSITORY_FILES
    )


def archive_import(
    *, paths: Iterable[Path], replace: bool = False, allow_flat: bool = False
) -> Iterator["ArchiveRow"]:
    """Import each file in its own transaction, yielding an ArchiveRow per file; a bad file is
    reported and the others go on. A file without a number gets its place in file order (1, 2,
    …), unless another file of the archive claims that number."""
    parsed_files = []
    for path in paths:
        row = ArchiveRow(path=path)
        parsed = None
        try:
            parsed = parse_issue(decode(path.read_bytes()), allow_flat=allow_flat)
        except OSError as error:
            row.error = f"cannot read the file ({error.strerror})"
        except InterchangeError as error:
            row.error = str(error)
        parsed_files.append((row, parsed))
    claimed = {parsed.number: row.path for row, parsed in parsed_files if parsed and parsed.number}
    for position, (row, parsed) in enumerate(parsed_files, start=1):
        if parsed is None:
            yield row
            continue
        row.number = parsed.number or position
        if not parsed.number and position in claimed:
            row.error = (
                f"no number in the file, and its place ({position}) is the number of "
                f"{claimed[position].name}: add `number:` to the file"
            )
            yield row
            continue
        row.warnings = list(parsed.warnings)
        if not replace and Issue.objects.filter(number=row.number).exists():
            row.skipped = True
            row.warnings.append(f"issue {row.number} exists: kept (--replace to overwrite)")
            yield row
            continue
        try:
            issue = issue_import(parsed=parsed, number=row.number, replace=replace)
        except InterchangeError as error:
            row.error = str(error)
        except DatabaseError as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            row.error = f"the database refused the issue ({message})"
        else:
            row.sections = len(parsed.sections)
            row.items = parsed.item_count
            row.references = issue.citations.count()
        yield row
