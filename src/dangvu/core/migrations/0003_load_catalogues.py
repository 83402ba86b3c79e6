"""Load the reference catalogues (core/data/*.csv) with the historical models."""

from django.db import migrations

from dangvu.core.catalogues import load_catalogues


def load(apps, schema_editor):
    load_catalogues(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_catalogue_codes_and_report_groups"),
    ]

    operations = [
        # Reversing keeps the rows: other apps' rows point at them, and the next forward run
        # updates them in place.
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
