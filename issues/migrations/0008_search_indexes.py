"""Search indexes on PostgreSQL: a stored vector per row (GIN) and trigram indexes (pg_trgm).

PostgreSQL only, and invisible to Django's models (the generated column is never read or written
through the ORM; issues.selectors.search names it): SQLite gets nothing here and keeps searching
by substring. The vector is GENERATED ... STORED, so every write (save, update, bulk_create, a
restore) keeps it current. A later migration that changes the type of one of these text columns
on PostgreSQL must drop the column and its indexes first, and add them again after.

The trigram indexes are on UPPER(col::text), the expression Django's `icontains` writes, so the
substring match that finds Chinese (PostgreSQL's parser does not split it into words) uses them.
pg_trgm is a trusted extension: the database's owner may create it.
"""

from django.db import migrations

# table: (title column, text column)
TABLES = {
    "issues_issue": ("title", "intro"),
    "issues_section": ("title", "text"),
    "issues_item": ("title", "body"),
}
CONFIG = "english"  # issues.selectors.search.CONFIG


def _statements(table, title, text):
    vector = (
        f"setweight(to_tsvector('{CONFIG}'::regconfig, COALESCE({title}, '')), 'A') || "
        f"setweight(to_tsvector('{CONFIG}'::regconfig, COALESCE({text}, '')), 'B')"
    )
    return [
        f"ALTER TABLE {table} ADD COLUMN search_document tsvector "
        f"GENERATED ALWAYS AS ({vector}) STORED",
        f"CREATE INDEX {table}_search_document ON {table} USING gin (search_document)",
        f"CREATE INDEX {table}_search_{title}_trgm ON {table} "
        f"USING gin ((UPPER({title}::text)) gin_trgm_ops)",
        f"CREATE INDEX {table}_search_{text}_trgm ON {table} "
        f"USING gin ((UPPER({text}::text)) gin_trgm_ops)",
    ]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, (title, text) in TABLES.items():
        for statement in _statements(table, title, text):
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (title, text) in TABLES.items():
        for index in ("search_document", f"search_{title}_trgm", f"search_{text}_trgm"):
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_{index}")
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_document")


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0007_report_clients"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
