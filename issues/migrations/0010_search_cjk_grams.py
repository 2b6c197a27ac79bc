"""Chinese, Japanese and Korean words in the stored search vector, as single characters and
pairs of characters (PostgreSQL only, like 0008).

PostgreSQL's parser does not split these scripts into words: 0008's vector holds a whole run
(`预训练模型`) as one lexeme, and a Latin word glued to one (`NLP简报`) as one with it, so search
found `预训练` and `NLP` there only by the substring match. The trigram index serves that match
for three characters or more, not for one or two (`模型`, `研究`), which were checked row by row:
a rare one read all 300,000 items (1.3 s, bench/search.py). Here the English parse sees each run
apart from the Latin text around it, and each run also adds its characters and its pairs of
neighbouring characters, so a word of any length is found through the GIN index: one or two
characters exactly, longer ones as all their pairs (issues.selectors.search then checks the
whole word on the rows found).

The functions are IMMUTABLE (a generated column may only call such functions) and use regular
expressions only: about 0.2 ms for an item of Chinese text. Migrating 300,000 items (a tenth in
Chinese) took 3.5 minutes on the shared machine: the column is rebuilt, and with it each table's
indexes, the trigram ones included.
"""

from django.db import migrations

TABLES = {  # as in 0008
    "issues_issue": ("title", "intro"),
    "issues_section": ("title", "text"),
    "issues_item": ("title", "body"),
}
CONFIG = "english"
# Han (with the compatibility ideographs), kana, Hangul: issues.selectors.search.UNSPLIT.
SCRIPTS = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"

# A tsvector holds at most 1 MB: 200,000 characters of Chinese (issues.text.limits'
# MAX_FIELD_CHARS) make up to 200,000 distinct pairs, 1.2 MB. The first 20,000 characters of
# such runs in a field are indexed (about 220 kB at most); a word only past them is not found.
MAX_GRAM_CHARS = 20_000

# digest_cjk_grams: the runs of such characters (the first MAX_GRAM_CHARS), spaces between;
# then every character, every pair from each run's first character and every pair from its
# second, as distinct lexemes.
# digest_search_vector: the English vector of the text with each run set apart by spaces
# (weight A for the title, B for the text), and the runs' characters and pairs.
FUNCTIONS = [
    rf"""
CREATE OR REPLACE FUNCTION digest_cjk_grams(content text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT array_to_tsvector(array_remove(string_to_array(
    regexp_replace(runs, '(\S)', '\1 ', 'g') || ' ' ||
    regexp_replace(runs, '(\S\S)', '\1 ', 'g') || ' ' ||
    regexp_replace(regexp_replace(runs, '(^| )\S', '\1', 'g'), '(\S\S)', '\1 ', 'g'),
    ' '), ''))
  FROM (SELECT left(regexp_replace(content, '[^{SCRIPTS}]+', ' ', 'g'), {MAX_GRAM_CHARS}) AS runs)
    AS r
$$""",
    rf"""
CREATE OR REPLACE FUNCTION digest_search_vector(title text, content text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector('{CONFIG}'::regconfig,
           regexp_replace(COALESCE(title, ''), '([{SCRIPTS}]+)', ' \1 ', 'g')), 'A')
      || setweight(to_tsvector('{CONFIG}'::regconfig,
           regexp_replace(COALESCE(content, ''), '([{SCRIPTS}]+)', ' \1 ', 'g')), 'B')
      || digest_cjk_grams(COALESCE(title, '') || ' ' || COALESCE(content, ''))
$$""",
]


def _vector(title, text, *, grams):
    if grams:
        return f"digest_search_vector({title}, {text})"
    return (  # 0008's
        f"setweight(to_tsvector('{CONFIG}'::regconfig, COALESCE({title}, '')), 'A') || "
        f"setweight(to_tsvector('{CONFIG}'::regconfig, COALESCE({text}, '')), 'B')"
    )


def _replace_vector(schema_editor, *, grams):
    for table, (title, text) in TABLES.items():
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_document")
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_document")
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN search_document tsvector "
            f"GENERATED ALWAYS AS ({_vector(title, text, grams=grams)}) STORED"
        )
        schema_editor.execute(
            f"CREATE INDEX {table}_search_document ON {table} USING gin (search_document)"
        )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for function in FUNCTIONS:
        schema_editor.execute(function)
    _replace_vector(schema_editor, grams=True)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _replace_vector(schema_editor, grams=False)
    schema_editor.execute("DROP FUNCTION IF EXISTS digest_search_vector(text, text)")
    schema_editor.execute("DROP FUNCTION IF EXISTS digest_cjk_grams(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0009_rerender_with_commonmark"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
