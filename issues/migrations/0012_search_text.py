"""Search reads the text the engine reads, not the Markdown: stored search columns, filled at
every render (services.issue_render), are what the vector (PostgreSQL), the substring match and
the snippets use. So a URL's parts (`https`, `github`, `com`) are no longer words of every item
that links somewhere, and a snippet quotes a link's text, never its Markdown.

Rows already stored are filled here with the engine (issues.text.markdown.plain_text), then, on
PostgreSQL, the stored vector and the trigram indexes of 0008 and 0010 move to these columns
(the vector is rebuilt, and with it each table's indexes).
"""

from django.db import connections, migrations, models, router

from issues.text.markdown import plain_text

# table: (its title column, its text column) before and after (0008, 0010).
BEFORE = {
    "issues_issue": ("title", "intro"),
    "issues_section": ("title", "text"),
    "issues_item": ("title", "body"),
}
AFTER = {
    "issues_issue": ("plain_title", "search_text"),
    "issues_section": ("search_title", "search_text"),
    "issues_item": ("search_title", "search_text"),
}
BATCH = 1000


def fill(apps, schema_editor):
    Issue, Section, Item = (apps.get_model("issues", name) for name in ("Issue", "Section", "Item"))
    for model, title, text in (
        (Issue, None, "intro"),
        (Section, "title", "text"),
        (Item, "title", "body"),
    ):
        table = model._meta.db_table
        set_title = "search_title = %s, " if title else ""
        # One statement per row, sent in a pipeline (executemany): bulk_update's CASE of a
        # thousand branches per row took minutes over 300,000 items.
        update = f"UPDATE {table} SET {set_title}search_text = %s WHERE id = %s"
        rows = model.objects.values_list("pk", *filter(None, (title, text)))
        batch = []
        for pk, *texts in rows.iterator(chunk_size=BATCH):
            values = [plain_text(texts[0], inline=True)] if title else []
            batch.append((*values, plain_text(texts[-1]), pk))
            if len(batch) == BATCH:
                _write(model, update, batch)
                batch = []
        _write(model, update, batch)


def _write(model, update, batch):
    connection = connections[router.db_for_write(model)]
    with connection.cursor() as cursor:
        cursor.executemany(update, batch)


def _move_indexes(schema_editor, old, new):
    for table in old:
        old_title, old_text = old[table]
        for index in ("search_document", f"search_{old_title}_trgm", f"search_{old_text}_trgm"):
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_{index}")
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_document")
        title, text = new[table]
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN search_document tsvector "
            f"GENERATED ALWAYS AS (digest_search_vector({title}, {text})) STORED"
        )
        schema_editor.execute(
            f"CREATE INDEX {table}_search_document ON {table} USING gin (search_document)"
        )
        for column in (title, text):
            schema_editor.execute(
                f"CREATE INDEX {table}_search_{column}_trgm ON {table} "
                f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
            )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _move_indexes(schema_editor, BEFORE, AFTER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _move_indexes(schema_editor, AFTER, BEFORE)


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0011_report_notification_queued_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="issue",
            name="search_text",
            field=models.TextField(blank=True, editable=False, verbose_name="search text"),
        ),
        migrations.AddField(
            model_name="item",
            name="search_text",
            field=models.TextField(blank=True, editable=False, verbose_name="search text"),
        ),
        migrations.AddField(
            model_name="item",
            name="search_title",
            field=models.TextField(blank=True, editable=False, verbose_name="search title"),
        ),
        migrations.AddField(
            model_name="section",
            name="search_text",
            field=models.TextField(blank=True, editable=False, verbose_name="search text"),
        ),
        migrations.AddField(
            model_name="section",
            name="search_title",
            field=models.TextField(blank=True, editable=False, verbose_name="search title"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(forwards, backwards),
    ]
