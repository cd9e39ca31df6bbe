"""Build a school's calendar once per test session, then copy its rows for every later test.

`import_school` writes the school, its register times, years, terms, holidays, closures,
groups, about 380 school days and a history row for each (≈ 60 queries and a full_clean per
object). Almost every test starts from the same file, so the first import of a payload in a
session records every row it wrote (the rows whose primary key is above each table's highest
key before the import) and later imports of the same payload, for a school not already in the
database, insert copies of those rows with `bulk_create`: one INSERT per table, foreign keys
(and the `id` column of history rows) pointing at the copies, timestamps taken now.

Anything the recording cannot copy faithfully (a row pointing outside what the import wrote, a
table without an integer key that changed) makes that payload import for real every time.
`TEST_SCHOOL_TEMPLATES=0` turns copying off altogether, to compare a run without it;
tests/test_school_template.py checks a copy against a real import, row by row."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

ENABLED = os.environ.get("TEST_SCHOOL_TEMPLATES", "1") != "0"
_AUTO_KEYS = (models.AutoField, models.BigAutoField, models.SmallAutoField)


@dataclass
class Template:
    # (model, rows as {attname: value}) in an order where every row comes after those it points at
    tables: list[tuple[type[models.Model], list[dict]]]
    root_model: type[models.Model]
    root_pk: int


_templates: dict[str, Template | None] = {}


def payload_key(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, default=str)


def _tracked_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]


def _high_water() -> dict[type[models.Model], int | None]:
    """Each table's highest integer key (or its row count, for tables keyed otherwise)."""
    marks = {}
    for model in _tracked_models():
        manager = model._base_manager
        if isinstance(model._meta.pk, _AUTO_KEYS):
            marks[model] = manager.aggregate(top=models.Max("pk"))["top"] or 0
        else:
            marks[model] = -manager.count() - 1  # negative: a count, not a key
    return marks


def _original_model(model):
    """For a django-simple-history model, the model whose rows it records."""
    return getattr(model, "instance_type", None) if "history_id" in {f.name for f in model._meta.fields} else None


def _record(before, root) -> Template | None:
    written: dict[type[models.Model], list[dict]] = {}
    for model, mark in before.items():
        if mark < 0:
            if model._base_manager.count() != -mark - 1:
                return None  # a table we cannot diff by key changed
            continue
        fields = [f.attname for f in model._meta.concrete_fields]
        rows = list(model._base_manager.filter(pk__gt=mark).order_by("pk").values(*fields))
        if rows:
            written[model] = rows
    keys = {model: {row[model._meta.pk.attname] for row in rows} for model, rows in written.items()}

    # Every foreign key must point at a row the import wrote (or nowhere), else a copy would
    # share or dangle a reference.
    for model, rows in written.items():
        for field in model._meta.concrete_fields:
            if field.is_relation:
                target = field.related_model
                for row in rows:
                    value = row[field.attname]
                    if value is not None and value not in keys.get(target, ()):
                        return None
        original = _original_model(model)
        if original is not None and any(row["id"] not in keys.get(original, ()) for row in rows):
            return None

    ordered, placed = [], set()
    while len(ordered) < len(written):
        ready = [
            m
            for m in written
            if m not in placed
            and all(
                f.related_model in placed or f.related_model not in written or f.related_model is m
                for f in m._meta.concrete_fields
                if f.is_relation
            )
            and (_original_model(m) is None or _original_model(m) in placed)
        ]
        if not ready:
            return None  # a cycle between tables: not worth copying
        for m in ready:
            if any(f.related_model is m for f in m._meta.concrete_fields if f.is_relation):
                return None  # a table pointing at itself
            ordered.append((m, written[m]))
            placed.add(m)
    return Template(ordered, type(root), root.pk)


def _fresh(field) -> Callable[[], object] | None:
    """Values a real import would compute at the time: timestamps and random identifiers."""
    if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
        return timezone.now
    if field.name == "history_date":
        return timezone.now
    if field.has_default() and field.default in (timezone.now, uuid.uuid4):
        return field.default
    return None


def _copy(template: Template):
    new_keys: dict[type[models.Model], dict[int, int]] = {}
    with transaction.atomic():
        for model, rows in template.tables:
            pk = model._meta.pk.attname
            fields = model._meta.concrete_fields
            original = _original_model(model)
            objects = []
            for row in rows:
                values = dict(row)
                values.pop(pk)
                for field in fields:
                    if field.is_relation and values.get(field.attname) is not None:
                        values[field.attname] = new_keys[field.related_model][values[field.attname]]
                    elif (fresh := _fresh(field)) is not None:
                        values[field.attname] = fresh()
                if original is not None:
                    values["id"] = new_keys[original][values["id"]]
                objects.append(model(**values))
            created = model._base_manager.bulk_create(objects)
            if any(obj.pk is None for obj in created):
                raise RuntimeError(f"bulk_create returned no keys for {model._meta.label}")
            new_keys[model] = {row[pk]: obj.pk for row, obj in zip(rows, created, strict=True)}
    return template.root_model._base_manager.get(pk=new_keys[template.root_model][template.root_pk])


def build(payload: dict, importer: Callable[[dict], models.Model], *, exists: Callable[[], bool]):
    """`importer(payload)`, or a copy of what it wrote the first time for this payload."""
    if not ENABLED or exists():
        return importer(payload)
    key = payload_key(payload)
    if key in _templates:
        template = _templates[key]
        return importer(payload) if template is None else _copy(template)
    before = _high_water()
    root = importer(payload)
    _templates[key] = _record(before, root)
    return root
