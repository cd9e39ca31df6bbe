"""The letters' records: audited templates and letterheads (history the database will not let
anyone rewrite), batches' progress, and the rules the models hold on their own."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from letters.models import Batch, Letterhead, LetterTemplate
from letters.services.letterhead import save_letterhead
from letters.services.templates import save_template
from registers.audit_triggers import history_tables

ON = dt.date(2026, 11, 23)


def test_template_and_letter_history_tables_are_append_only(letters_school):
    tables = set(history_tables())
    assert {
        "letters_historicallettertemplate",
        "letters_historicalletterhead",
        "letters_historicalletter",
    } <= tables
    template = LetterTemplate.objects.get(school=letters_school, key="concern")
    save_template(
        school=letters_school,
        user=None,
        key="concern",
        title=template.title,
        template=template,
        subject="Edited",
        body=template.body,
    )
    table = LetterTemplate.history.model._meta.db_table
    for sql in (f"UPDATE {table} SET subject = 'rewritten'", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert list(template.history.order_by("history_id").values_list("subject", flat=True)) == [
        "{{ pupil.first_name }}’s attendance",
        "Edited",
    ]


def test_letterhead_edits_are_audited_and_validated(letters_school):
    head = Letterhead.for_school(letters_school)
    before = head.history.count()
    save_letterhead(school=letters_school, user=None, accent_colour="#006400", font="Liberation Serif")
    assert head.history.count() == before + 1
    from letters.errors import LetterError

    with pytest.raises(LetterError) as caught:
        save_letterhead(school=letters_school, user=None, accent_colour="red; background:url(x)")
    assert caught.value.field == "accent_colour"
    with pytest.raises(LetterError):
        save_letterhead(school=letters_school, user=None, font="Comic Sans")
    with pytest.raises(LetterError):
        save_letterhead(school=letters_school, user=None, is_superuser=True)


def test_batch_progress(letters_school):
    template = LetterTemplate.objects.get(school=letters_school, key="concern")
    batch = Batch(school=letters_school, template=template, template_version=1, letter_date=ON, total=10)
    assert batch.progress_percent == 0
    batch.phase, batch.done, batch.failed = Batch.Phase.PREPARING, 4, 1
    assert batch.progress_percent == 45  # the parts are 90 %
    batch.phase = Batch.Phase.SAVING
    assert batch.progress_percent == 92
    batch.status = Batch.Status.DONE
    assert batch.progress_percent == 100 and batch.finished


def test_template_versions_are_one_per_number(letters_school):
    from django.db import IntegrityError

    from letters.models import LetterTemplateVersion

    template = LetterTemplate.objects.get(school=letters_school, key="concern")
    with pytest.raises(IntegrityError), transaction.atomic():
        LetterTemplateVersion.objects.create(
            template=template, version=1, title="x", kind="letter", subject="s", body="b"
        )


def test_urls(letters_school):
    template = LetterTemplate.objects.get(school=letters_school, key="concern")
    batch = Batch.objects.create(school=letters_school, template=template, template_version=1, letter_date=ON)
    assert batch.get_absolute_url() == f"/letters/batches/{batch.pk}/"


def test_letter_delivery_fields_are_the_only_ones_that_change(letters_school):
    from letters.models import Letter

    assert {"delivery", "emailed_to", "sent_at"} == Letter.DELIVERY_FIELDS
    with pytest.raises(ValidationError):
        Letter.objects.update(subject="x")


@pytest.mark.parametrize(
    "position, edit, produce, view",
    [
        ("attendance_officer", True, True, True),
        ("headteacher", True, True, True),
        ("senior_attendance_champion", True, True, True),
        ("office", False, True, True),
        ("dsl", False, False, True),
        ("class_teacher", False, False, False),
        ("governor", False, False, False),
    ],
)
def test_who_may_edit_produce_and_read_letters(letters_school, position, edit, produce, view):
    from tests.factories import StaffFactory, make_school

    user = StaffFactory(school=letters_school, position=position).user
    template = LetterTemplate.objects.get(school=letters_school, key="concern")
    assert user.has_perm("letters.edit_templates", template) is edit
    assert user.has_perm("letters.produce", letters_school) is produce
    assert user.has_perm("letters.view_letter", template) is view
    # never another school's
    other = make_school(urn="100009", name="Another School")
    other_template = LetterTemplate.objects.create(school=other, key="x", title="X", subject="S", body="B")
    assert not user.has_perm("letters.edit_templates", other_template)
    assert not user.has_perm("letters.view_letter", other_template)


def test_parents_have_no_letters_permissions(letters_school):
    from tests.factories import UserFactory

    parent = UserFactory()
    assert not parent.has_perm("letters.view_letter", letters_school)
    assert not parent.has_perm("letters.produce")
