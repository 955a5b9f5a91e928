"""On PostgreSQL the search text's tsvector is stored with the row (a generated column,
kept by the database itself) and the GIN index is on it: a search no longer computes
`to_tsvector` for every row it looks at (on a small directory PostgreSQL scans the table
rather than the index, and computing the vectors was most of a search's time). SQLite has
no full-text search of this kind: nothing changes there. A later change of `search_text`'s
type must drop the column first (PostgreSQL refuses to alter a column a generated one
reads)."""

from django.db import migrations

ADD = """ALTER TABLE directory_service ADD COLUMN IF NOT EXISTS search_vector tsvector
GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, COALESCE(search_text, ''))) STORED"""
INDEX = """CREATE INDEX IF NOT EXISTS directory_service_search_vector ON directory_service
USING gin (search_vector)"""
OLD_INDEX = """CREATE INDEX IF NOT EXISTS directory_service_search ON directory_service
USING gin (to_tsvector('simple'::regconfig, COALESCE(search_text, '')))"""


def store(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in (ADD, INDEX, "DROP INDEX IF EXISTS directory_service_search"):
            schema_editor.execute(statement, params=None)


def compute(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in (OLD_INDEX, "ALTER TABLE directory_service DROP COLUMN IF EXISTS "
                                     "search_vector"):
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("directory", "0005_input_limits")]
    operations = [migrations.RunPython(store, compute)]
