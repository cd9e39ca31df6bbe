"""The national figures in RULES.md as starting data (staff can edit them afterwards)."""

from decimal import Decimal

from django.db import migrations

SOURCE = "DfE, Pupil absence in schools in England (as given in RULES.md)"
# academic year, phase, overall, authorised, unauthorised, PA, severe, approximate
FIGURES = [
    ("2023/24", "all", "7.1", "4.7", "2.4", "20", None, True),
    ("2023/24", "primary", "5.5", "3.9", "1.6", "14.6", "0.85", False),
    ("2023/24", "secondary", "8.9", "5.4", "3.5", "25", None, True),
    ("2018/19", "all", "4.7", "3.3", "1.4", "10.9", None, False),
    ("2018/19", "primary", "4.0", None, None, "8.2", None, False),
    ("2018/19", "secondary", "5.5", None, None, "13.7", None, False),
]


def dec(value):
    return None if value is None else Decimal(value)


def load(apps, schema_editor):
    NationalBenchmark = apps.get_model("reports", "NationalBenchmark")
    for year, phase, overall, authorised, unauthorised, pa, severe, approximate in FIGURES:
        NationalBenchmark.objects.update_or_create(
            academic_year=year,
            phase=phase,
            defaults={
                "overall_absence": dec(overall),
                "authorised_absence": dec(authorised),
                "unauthorised_absence": dec(unauthorised),
                "persistent_absence": dec(pa),
                "severe_absence": dec(severe),
                "approximate": approximate,
                "source": SOURCE,
            },
        )


def unload(apps, schema_editor):
    NationalBenchmark = apps.get_model("reports", "NationalBenchmark")
    NationalBenchmark.objects.filter(source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
