"""A GIN index on the words of ``Person.search_key`` for the name search on PostgreSQL.

It serves ``people.selectors.matching_filter``: ``to_tsvector('simple', search_key) @@
'nguyen:* & hung:*'``. The expression is the one Django writes for
``SearchVector("search_key", config="simple")`` (COALESCE included) so that the planner
recognises it. SQLite has no such index: a whole office's people are read in a few milliseconds.
"""

from django.db import migrations

INDEX = "person_name_words"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON people_person "
        "USING gin (to_tsvector('simple'::regconfig, COALESCE(search_key, '')))"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
