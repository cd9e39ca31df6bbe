"""The register's hand-written statements on PostgreSQL (issue 15): new marks and their history
rows in one INSERT (`registers.mark_rows`), the roll with this session's marks
(`register_selectors.roll_with_marks`), the register with its times and permissions
(`register_selectors.register_for_page`), the register service's validation reads
(`registers.mark_reads`). Each must write or read exactly what the ORM's way does."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from registers.mark_reads import code_table, read_batch, read_by_querysets
from registers.models import AttendanceCode, Closure, Mark, Register
from registers.register_selectors import (
    ROLL_MARK_COLUMNS,
    recent_sessions,
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


def test_the_services_reads_by_hand_are_what_the_querysets_read(school, other_school, django_assert_num_queries):
    closed = dt.date(2026, 7, 1)  # the Year 6 afternoon closure of the test calendar
    Closure.objects.create(school=school, date=closed, session="AM", reason="Boiler", kind=Closure.Kind.CLOSURE)
    moved = PupilFactory(
        school=school, year=6, on_roll=[(dt.date(2025, 9, 1), dt.date(2025, 12, 19)), (dt.date(2026, 1, 5), None)]
    )
    plain = PupilFactory(school=school, year=3)
    never = PupilFactory(school=school, year=3, on_roll=[])
    other = PupilFactory(school=other_school, year=3)
    write(school, plain, {(MONDAY, "AM"): "L", (closed, "PM"): "\\"})
    ids, days = {moved.pk, plain.pk, never.pk, other.pk, 2**40, 2**70}, {MONDAY, closed, dt.date(2026, 11, 22)}

    with transaction.atomic():
        by_hand, by_queryset = read_batch(school, ids, days), read_by_querysets(school, ids - {2**70}, days)

    def fields(obj):
        return [getattr(obj, f.attname) for f in obj._meta.concrete_fields]

    assert {k: fields(p) for k, p in by_hand.pupils.items()} == {k: fields(p) for k, p in by_queryset.pupils.items()}
    assert by_hand.pupils.keys() == {moved.pk, plain.pk, never.pk}
    assert {k: [fields(e) + [str(e)] for e in v] for k, v in by_hand.enrolments.items()} == {
        k: [fields(e) + [str(e)] for e in v] for k, v in by_queryset.enrolments.items()
    }
    assert len(by_hand.enrolments[moved.pk]) == 2
    assert (by_hand.school_days, by_hand.opens) == (by_queryset.school_days, by_queryset.opens)
    assert by_hand.school_days == {MONDAY, closed}
    assert {d: sorted(fields(c) for c in v) for d, v in by_hand.closures.items()} == {
        d: sorted(fields(c) for c in v) for d, v in by_queryset.closures.items()
    }
    assert sorted(c.reason for c in by_hand.closures[closed]) == [
        "Boiler",
        Closure.objects.get(school=school, date=closed, session="PM").reason,
    ]
    assert {k: fields(m) + [m.code.code] for k, m in by_hand.existing.items()} == {
        k: fields(m) + [m.code.code] for k, m in by_queryset.existing.items()
    }
    assert {k: m.code.code for k, m in by_hand.existing.items()} == {
        (plain.pk, MONDAY, "AM"): "L",
        (plain.pk, closed, "PM"): "\\",
    }
    with transaction.atomic(), django_assert_num_queries(0):  # as the querysets, which ask nothing for `IN ()`
        assert read_batch(school, set(), set()).pupils == {}


def test_the_code_table_is_the_database_s():
    by_symbol, by_id = code_table()
    assert sorted(by_id) == sorted(AttendanceCode.objects.values_list("pk", flat=True))
    assert {s: [c.pk for c in rows] for s, rows in by_symbol.items()} == {
        s: list(AttendanceCode.objects.filter(code=s).order_by("pk").values_list("pk", flat=True)) for s in by_symbol
    }


@pytest.mark.parametrize("session", ["AM", "PM"])
def test_the_recent_marks_read_by_hand_are_what_the_querysets_read(school, monkeypatch, session):
    plain, late = PupilFactory(school=school, year=3), PupilFactory(school=school, year=3)
    friday = MONDAY - dt.timedelta(days=3)
    write(school, plain, {(friday, "AM"): "/", (friday, "PM"): "N", (MONDAY, "AM"): "/"})
    write(school, late, {(friday - dt.timedelta(days=14), "AM"): "L", (friday, "AM"): "L"})
    register = Register(school=school, group=year3(school), date=MONDAY, session=session)

    by_hand = recent_sessions(register, [plain.pk, late.pk])
    monkeypatch.setattr(connection, "vendor", "another")  # the querysets, on the same database
    by_queryset = recent_sessions(register, [plain.pk, late.pk])

    assert by_hand == by_queryset
    sessions, found = by_hand
    assert len(sessions) == 10 and sessions[-1] == ((MONDAY, "AM") if session == "PM" else (friday, "PM"))
    assert found[plain.pk][(friday, "PM")] == ("N", "unauthorised_absence")
