"""The register's hand-written statements on PostgreSQL (issue 15): new marks and their history
rows in one INSERT (`registers.mark_rows`), the roll with this session's marks
(`register_selectors.roll_with_marks`), the register with its times and permissions
(`register_selectors.register_for_page`). Each must write or read exactly what the ORM's way does."""

import datetime as dt

import pytest
from django.utils import timezone

from registers.models import Mark, Register
from registers.register_selectors import (
    ROLL_MARK_COLUMNS,
    register_for_page,
    register_queryset,
    roll_queryset,
    roll_with_marks,
)
from registers.services import Actor, record_marks
from tests.factories import PupilFactory, StaffFactory, write
from tests.registers.conftest import entry
from tests.registers.register_helpers import MONDAY, make_teacher, year3

pytestmark = pytest.mark.django_db


def test_new_marks_get_ids_and_one_history_row_each_with_the_values_the_database_holds(school):
    staff = StaffFactory(school=school)
    actor = Actor.for_user(staff.user)
    pupils = [PupilFactory(school=school, year=3) for _ in range(3)]
    now = timezone.make_aware(dt.datetime(2026, 11, 23, 9, 30))
    entries = [
        entry(pupils[0], MONDAY, "AM", "/"),
        entry(pupils[1], MONDAY, "AM", "L", minutes_late=7, reason="arrived with a note"),
        entry(pupils[2], MONDAY, "AM", "N", comment="no call yet: O'Brien & <Co>"),
    ]
    result = record_marks(school=school, entries=entries, actor=actor, source=Mark.Source.TEACHER, now=now)

    assert sorted(m.pupil_id for m in result.created) == sorted(p.pk for p in pupils)
    tracked = [f.attname for f in Mark.history.model.tracked_fields]
    for made in result.created:
        stored = Mark.objects.get(pupil_id=made.pupil_id, date=MONDAY, session="AM")
        assert made.pk == stored.pk and not made._state.adding
        [history] = Mark.history.filter(id=stored.pk)
        assert {name: getattr(history, name) for name in tracked} == {name: getattr(stored, name) for name in tracked}
        assert (history.history_type, history.history_user_id, history.history_date) == ("+", staff.user.pk, now)
        assert history.history_change_reason == stored.reason
    late = Mark.objects.get(pupil=pupils[1], date=MONDAY, session="AM")
    assert (late.code.code, late.minutes_late, late.reason) == ("L", 7, "arrived with a note")
    assert Mark.objects.get(pupil=pupils[2], date=MONDAY).comment == "no call yet: O'Brien & <Co>"


def test_a_mark_written_in_one_statement_can_be_amended_through_the_guard(school):
    """The database guard accepts a change only with its history row: the first version's row
    written by the single INSERT must be a row the guard and the amendment build on."""
    pupil = PupilFactory(school=school, year=3)
    write(school, pupil, {(MONDAY, "AM"): "N"})
    write(school, pupil, {(MONDAY, "AM"): "I"}, reason="parent rang")
    mark = Mark.objects.get(pupil=pupil, date=MONDAY)
    assert (mark.code.code, mark.version) == ("I", 2)
    assert list(Mark.history.filter(id=mark.pk).order_by("history_id").values_list("history_type", "version")) == [
        ("+", 1),
        ("~", 2),
    ]


def test_the_roll_read_by_hand_is_the_roll_the_queryset_reads(school):
    group = year3(school)
    sunny = PupilFactory(school=school, year=3, preferred_forename="Sunny", pronoun="she/her")
    plain = PupilFactory(school=school, year=3)
    unmarked = PupilFactory(school=school, year=3)
    PupilFactory(school=school, year=3, on_roll=(dt.date(2025, 9, 1), dt.date(2026, 10, 30)))  # left: not on roll
    write(school, sunny, {(MONDAY, "AM"): "L", (MONDAY, "PM"): "/"}, source="teacher")
    write(school, plain, {(MONDAY, "AM"): "C1", (MONDAY - dt.timedelta(days=3), "AM"): "N"}, source="leave_decision")
    register = Register.objects.create(school=school, group=group, date=MONDAY, session="AM")

    by_hand, by_queryset = roll_with_marks(register), list(roll_queryset(register))

    fields = [f.attname for f in by_hand[0]._meta.concrete_fields] + list(ROLL_MARK_COLUMNS)
    assert [[getattr(p, name) for name in fields] for p in by_hand] == [
        [getattr(p, name) for name in fields] for p in by_queryset
    ]
    assert {p.pk for p in by_hand} == {sunny.pk, plain.pk, unmarked.pk}
    marks = {p.pk: (p.mark_code, p.mark_version) for p in by_hand}
    assert marks == {sunny.pk: ("L", 1), plain.pk: ("C1", 1), unmarked.pk: (None, None)}


@pytest.mark.parametrize("who", ["teacher", "someone else", "nobody"])
def test_the_register_read_by_hand_is_the_register_the_queryset_reads(school, who):
    teacher = make_teacher(school)
    staff = {"teacher": teacher, "someone else": StaffFactory(school=school), "nobody": None}[who]
    sunday = MONDAY - dt.timedelta(days=1)
    sunday = Register.objects.create(school=school, group=year3(school), date=sunday, session="PM")
    for register in (Register.objects.create(school=school, group=year3(school), date=MONDAY, session="AM"), sunday):
        by_hand, by_queryset = register_for_page(register.pk, staff), register_queryset(staff).get(pk=register.pk)

        names = [f.attname for f in Register._meta.concrete_fields] + ["rt_opens", "rt_late", "rt_closes"]
        assert [getattr(by_hand, n) for n in names] == [getattr(by_queryset, n) for n in names]
        assert bool(by_hand.is_school_day) == bool(by_queryset.is_school_day) == (register != sunday)
        assert getattr(by_hand, "is_teacher", None) == getattr(by_queryset, "is_teacher", None)
        for related in ("group", "school"):
            mine, theirs = getattr(by_hand, related), getattr(by_queryset, related)
            fields = [f.attname for f in type(theirs)._meta.concrete_fields]
            assert [getattr(mine, f) for f in fields] == [getattr(theirs, f) for f in fields]
    assert register_for_page(sunday.pk + 1000, staff) is None
    assert register_for_page(2**70, staff) is None
