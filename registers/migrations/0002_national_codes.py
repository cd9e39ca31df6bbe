from django.db import migrations


def load(apps, schema_editor):
    from registers.codes import load_codes

    load_codes(apps.get_model("registers", "AttendanceCode"))


class Migration(migrations.Migration):
    dependencies = [("registers", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
