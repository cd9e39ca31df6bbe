"""The test suite's copied schools (tests/school_template.py) are the rows a real import writes."""

import pytest
from django.db import transaction

from registers.imports import import_school
from registers.models import Closure, School, SchoolDay
from tests import school_template
from tests.factories import SCHOOL_DATA, make_school

pytestmark = pytest.mark.django_db
PAYLOAD = {**SCHOOL_DATA, "urn": "100777", "name": "Copy Check Primary School"}


def written_by(action):
    """The rows `action` writes, keys replaced by each row's place in its table, so two imports
    compare equal when they wrote the same things pointing at the same things."""
    before = school_template._high_water()
    root = action()
    template = school_template._record(before, root)
    assert template is not None, "the import wrote something the copy cannot reproduce"
    place = {model: {row[model._meta.pk.attname]: i for i, row in enumerate(rows)} for model, rows in template.tables}
    tables = {}
    for model, rows in template.tables:
        original = school_template._original_model(model)
        normalised = []
        for row in rows:
            values = {}
            for field in model._meta.concrete_fields:
                value = row[field.attname]
                if field.primary_key or school_template._fresh(field):
                    continue
                if field.is_relation and value is not None:
                    value = place[field.related_model][value]
                elif original is not None and field.name == "id":
                    value = place[original][value]
                values[field.attname] = value
            normalised.append(values)
        tables[model._meta.label] = normalised
    return root, tables


@pytest.fixture(autouse=True)
def _copying_on(monkeypatch):
    monkeypatch.setattr(school_template, "ENABLED", True)
    monkeypatch.delitem(school_template._templates, school_template.payload_key(PAYLOAD), raising=False)


def test_a_copied_school_has_every_row_a_real_import_writes(django_assert_max_num_queries):
    with transaction.atomic():
        _, real_rows = written_by(lambda: make_school(PAYLOAD))  # the first: imported, and recorded
        transaction.set_rollback(True)
    assert not School.objects.filter(urn="100777").exists()

    def copied():
        with django_assert_max_num_queries(25):  # one INSERT a table, where the import makes hundreds
            return make_school(PAYLOAD)

    copy, copy_rows = written_by(copied)
    assert copy_rows == real_rows
    assert copy.name == "Copy Check Primary School" and School.objects.filter(urn="100777").count() == 1
    assert {"registers.School", "registers.Term", "registers.SchoolDay", "registers.RegistrationGroup"} <= set(
        copy_rows
    )
    assert "registers.HistoricalTerm" in copy_rows  # the audit trail too
    # what the tests rely on, read back through the ORM
    assert SchoolDay.objects.filter(school=copy).count() == len(real_rows["registers.SchoolDay"]) > 350
    closure = Closure.objects.get(school=copy, reason="Year 6 transition afternoon")
    assert closure.year_groups == [6] and closure.history.count() == 1
    assert sorted(copy.groups.values_list("year", flat=True)) == [0, 1, 2, 3, 4, 5, 6]


def test_a_second_import_of_a_school_already_there_is_a_real_re_import():
    first = make_school(PAYLOAD)
    terms = first.terms.count()
    again = make_school(PAYLOAD, name="Copy Check Primary (renamed)")
    assert again.pk == first.pk and again.terms.count() == terms
    assert School.objects.get(pk=first.pk).name == "Copy Check Primary (renamed)"


def test_with_copying_off_every_school_is_imported(monkeypatch):
    monkeypatch.setattr(school_template, "ENABLED", False)
    calls = []

    def importer(payload):
        calls.append(payload["urn"])
        return import_school(payload)

    for urn in ("100778", "100779"):
        school_template.build({**PAYLOAD, "urn": urn}, importer, exists=lambda: False)
    assert calls == ["100778", "100779"]
