"""The national figures' source as a reader can look it up (the DfE's publication), without the
name of a file inside the project, which is printed on the governors' report and its PDF."""

from django.db import migrations

OLD = "DfE, Pupil absence in schools in England (as given in RULES.md)"
NEW = "DfE, Pupil absence in schools in England"


def forwards(apps, schema_editor):
    apps.get_model("reports", "NationalBenchmark").objects.filter(source=OLD).update(source=NEW)


def backwards(apps, schema_editor):
    apps.get_model("reports", "NationalBenchmark").objects.filter(source=NEW).update(source=OLD)


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_alter_historicallocalbenchmark_history_change_reason_and_more")]
    operations = [migrations.RunPython(forwards, backwards)]
