"""The data migrations' Python steps, run on a test database whose tables were made from the
models (`--no-migrations`): the national codes, the national benchmarks and their later fix.

Each `RunPython` step of the project's own migrations runs once, app by app in INSTALLED_APPS
order and file by file, with the current models (each step asks `apps.get_model`, which the live
registry answers as the historical one would). `RunSQL` steps are left out: they reshape rows an
older schema held, and a new database has none."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from django.apps import apps
from django.db import connection
from django.db.migrations.operations.special import RunPython

PROJECT = Path(__file__).resolve().parent.parent


def data_steps() -> list[tuple[str, RunPython]]:
    """(migration, step) for every RunPython step of the project's apps, in the order migrate runs them."""
    steps = []
    for config in apps.get_app_configs():
        if not Path(config.path).is_relative_to(PROJECT) or "site-packages" in Path(config.path).parts:
            continue  # Django's and third-party apps: their migrations hold no data steps we rely on
        try:
            package = importlib.import_module(f"{config.name}.migrations")
        except ModuleNotFoundError:
            continue
        for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name[0].isdigit()):
            migration = importlib.import_module(f"{package.__name__}.{module}").Migration
            steps += [(f"{config.label}.{module}", op) for op in migration.operations if isinstance(op, RunPython)]
    return steps


def run_data_migrations() -> list[str]:
    """Run every data step; returns the migrations they came from. Nothing when no test database
    was made (a run of tests that use none)."""
    ran = []
    if "registers_attendancecode" not in connection.introspection.table_names():
        return ran
    with connection.schema_editor(atomic=True) as editor:
        for name, step in data_steps():
            step.code(apps, editor)
            ran.append(name)
    return ran
