"""Subscribers in and out as CSV: the exports of Substack, Mailchimp, Buttondown and listmonk
read as they come, and an export whose cells a spreadsheet never runs as formulas."""

import codecs
import csv
import io
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from .addresses import InvalidAddress, address_normalise
from .models import Subscriber

# Header names (compared lower-cased, trimmed) of the address column in each service's export:
# Substack and listmonk "email", Mailchimp "Email Address", Buttondown "email" (older exports and
# its API "email_address").
EMAIL_COLUMNS = ("email", "email address", "email_address", "e-mail", "emailaddress", "mail")
# Columns that say a row is not an active subscriber, and the values that say so.
INACTIVE = {
    "status": {"blocklisted", "unsubscribed", "disabled", "bounced", "complained", "cleaned"},
    "subscriber_type": {"unsubscribed", "removed", "spammy", "unactivated", "undeliverable"},
    "type": {"unsubscribed", "removed", "spammy", "unactivated", "undeliverable"},
    "email_disabled": {"true", "1", "yes"},
}
# Mailchimp puts unsubscribed and cleaned members in files with these columns filled in.
INACTIVE_IF_FILLED = ("unsub_time", "clean_time")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 2000


@dataclass
class ImportReport:
    created: int = 0
    skipped: list = field(default_factory=list)  # (line, reason)

    @property
    def lines(self):
        return self.created + len(self.skipped)


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="surrogateescape")
    # Undecodable bytes survive as lone surrogates, so the row holding them can be named.
    return data.decode("utf-8-sig", errors="surrogateescape")


def _bad_text(value: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in value)


def subscribers_import(*, data: bytes, source: str = "import") -> ImportReport:
    """Add every active, valid, new address of a CSV as a confirmed subscriber; send nothing.

    Every row not added is reported with its line and the reason.
    """
    report = ImportReport()
    text = _decode(data).replace("\x00", "")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        report.skipped.append((1, "no header row"))
        return report
    names = [name.strip().lower() for name in header]
    column = next((names.index(name) for name in EMAIL_COLUMNS if name in names), None)
    if column is None:
        report.skipped.append((1, "no email column (expected one of: email, Email Address)"))
        return report
    checks = [(names.index(name), values) for name, values in INACTIVE.items() if name in names]
    filled = [names.index(name) for name in INACTIVE_IF_FILLED if name in names]
    seen, pending = set(), []
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            line = reader.line_num
            report.skipped.append((line, f"unreadable CSV: {error}"))
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= column:
            report.skipped.append((line, "no address in this row"))
            continue
        raw = row[column]
        if _bad_text(raw):
            report.skipped.append((line, "not UTF-8 text"))
            continue
        inactive = next(
            (
                f"{header[index].strip()} is {row[index].strip()}"
                for index, values in checks
                if index < len(row) and row[index].strip().lower() in values
            ),
            None,
        ) or next(
            (
                f"{header[index].strip()} is set"
                for index in filled
                if index < len(row) and row[index].strip()
            ),
            None,
        )
        if inactive:
            report.skipped.append((line, f"not an active subscriber ({inactive})"))
            continue
        try:
            stored, key = address_normalise(raw)
        except InvalidAddress as error:
            report.skipped.append((line, f"invalid address: {error}"))
            continue
        if key in seen:
            report.skipped.append((line, "the same address appears earlier in the file"))
            continue
        seen.add(key)
        pending.append((line, stored, key))
        if len(pending) >= BATCH:
            _store(pending, report, source)
            pending = []
    _store(pending, report, source)
    report.skipped.sort()
    return report


def _store(pending, report, source):
    if not pending:
        return
    keys = [key for _line, _stored, key in pending]
    existing = set(
        Subscriber.objects.filter(email_key__in=keys).values_list("email_key", flat=True)
    )
    now = timezone.now()
    new = []
    for line, stored, key in pending:
        if key in existing:
            report.skipped.append((line, "already a subscriber"))
        else:
            new.append((stored, key, "confirmed", "en", source, False, now, now, now))
    if not new:
        return
    # One multi-row statement per batch (the ORM's bulk_create spends most of its time
    # preparing values); an address added meanwhile by the form is left alone.
    table = Subscriber._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (email, email_key, status, language, source, is_erased, "
            "created_at, updated_at, confirmed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (email_key) DO NOTHING",
            new,
        )
        report.created += max(cursor.rowcount, 0) if cursor.rowcount >= 0 else len(new)


def safe_cell(value) -> str:
    """A cell a spreadsheet shows as text: no formula, however the value starts."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


EXPORT_COLUMNS = ("email", "status", "created_at", "confirmed_at", "unsubscribed_at", "source")


def subscribers_export_rows(queryset=None):
    """The header, then one row per (not erased) subscriber, as safe cells."""
    queryset = Subscriber.objects.filter(is_erased=False) if queryset is None else queryset
    yield list(EXPORT_COLUMNS)
    for values in queryset.order_by("id").values_list(*EXPORT_COLUMNS).iterator(chunk_size=2000):
        yield [
            safe_cell(value.isoformat() if hasattr(value, "isoformat") else value)
            for value in values
        ]


class _Echo:
    def write(self, value):
        return value


def csv_lines(rows):
    """Each row as one CSV line (for streaming responses)."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)
