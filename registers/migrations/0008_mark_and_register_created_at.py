"""When each mark and register was made, set by the database: the six-year retention period runs
from it, and (unlike the session date or the time of the latest version) no update can rewrite it.
Existing rows take the time of their first history row, the best record of when they were made."""

import django.db.models.functions.datetime
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registers", "0007_register_deletions_rollovers_retention_runs"),
    ]

    operations = [
        migrations.AddField(
            model_name="mark",
            name="created_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                editable=False,
                help_text="When the entry was made: set by the database, never changed; the retention period runs from it",
            ),
        ),
        migrations.AddField(
            model_name="register",
            name="created_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                editable=False,
                help_text="When the entry was made: set by the database, never changed; the retention period runs from it",
            ),
        ),
        migrations.RunSQL(
            "UPDATE registers_mark SET created_at = COALESCE("
            "(SELECT MIN(h.history_date) FROM registers_historicalmark h WHERE h.id = registers_mark.id), "
            "registers_mark.recorded_at)",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            "UPDATE registers_register SET created_at = COALESCE("
            "(SELECT MIN(h.history_date) FROM registers_historicalregister h WHERE h.id = registers_register.id), "
            "registers_register.taken_at, registers_register.created_at)",
            migrations.RunSQL.noop,
        ),
    ]
