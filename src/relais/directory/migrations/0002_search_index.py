"""On PostgreSQL a GIN index answers the directory's full-text search."""

from django.db import migrations

CREATE = """CREATE INDEX IF NOT EXISTS directory_service_search ON directory_service
USING gin (to_tsvector('simple'::regconfig, COALESCE(search_text, '')))"""
DROP = "DROP INDEX IF EXISTS directory_service_search"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
