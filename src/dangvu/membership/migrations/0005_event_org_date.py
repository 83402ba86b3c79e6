"""The events of an organization by date, for the movements of a subtree in a period
(``reports.movements.since``: the dashboard). It replaces the foreign key's own index.

On PostgreSQL the index also carries what the count reads (kind, other side, id), so the
subtree's events are counted from the index alone (people migration 0002 guards its
PostgreSQL-only index the same way); elsewhere it holds the two keys. The model declares the
two keys, so that SQLite, which rebuilds a table to alter it, builds the index again.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEX = "event_org_date"


def create(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    covering = " INCLUDE (kind, counterpart_id, id)" if postgresql else ""
    schema_editor.execute(
        f"CREATE INDEX {INDEX} ON membership_membershipevent (organization_id, effective_date)"
        + covering
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('membership', '0004_transit_indexes'),
        ('organizations', '0003_succession_takes_records'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='membershipevent',
            name='organization',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organizations.organization', verbose_name='organization'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="membershipevent",
                    index=models.Index(fields=["organization", "effective_date"], name=INDEX),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
