"""The timetable CSV contract (docs/timetable-csv.md): the five files import in order; a file with
a bad row writes nothing and says which row and what is wrong; re-importing changes nothing; a
changed timetable is dated (old rows end the day before, lesson registers keep their lesson);
a two-week cycle; the Imports page's preview writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lessons.imports import import_timetable
from lessons.models import Lesson, LessonRegister, Membership, Period, Room, TeachingGroup, TimetableSettings
from lessons.timetable import lessons_on, pupils_in
from registers.imports import ImportRejected, preview_import
from registers.models import ImportRun
from tests.factories import PupilFactory, UserFactory

from .timetable_data import GROUPS, LESSONS, PERIODS, ROOMS, load_timetable, memberships, people

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def tt(school):
    return people(school)


def problems_of(school, text) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        import_timetable(school=school, text=text)
    return [str(p) for p in caught.value.problems]


def test_a_good_timetable_imports_file_by_file_and_the_lessons_happen(school, tt):
    load_timetable(school, tt["pupils"])
    assert Period.objects.filter(school=school).count() == 5
    assert Period.objects.get(name="P4").holds_session == "PM"
    assert set(Room.objects.values_list("code", "name")) == {("S1", "Science lab 1"), ("M2", "Maths room 2")}
    science = TeachingGroup.objects.get(name="10X/Sc1")
    assert (science.subject, science.year, list(science.teachers.all())) == ("Science", 10, [tt["science"]])
    monday = D(2026, 9, 7)
    on_monday = list(lessons_on(school, monday))
    assert [(lesson.group.name, lesson.period.name, lesson.room.code) for lesson in on_monday] == [
        ("10X/Ma1", "P1", "M2"),
        ("10X/Sc1", "P2", "S1"),
    ]
    assert set(pupils_in(on_monday[0], monday)) == set(tt["pupils"])
    # a row with no teacher takes the group's only teacher
    assert Lesson.objects.get(group=science, weekday=2).teacher == tt["science"]


def test_re_importing_the_same_files_changes_nothing(school, tt):
    load_timetable(school, tt["pupils"])
    for text in (PERIODS, ROOMS, GROUPS, memberships(tt["pupils"]), LESSONS):
        report = import_timetable(school=school, text=text)
        assert not report.changes_anything, report.changes


def test_the_preview_writes_nothing_and_shows_each_row(school, tt):
    for text in (PERIODS, ROOMS, GROUPS):
        import_timetable(school=school, text=text)
    user = UserFactory()
    run = preview_import(
        school=school,
        kind=ImportRun.Kind.TIMETABLE,
        data=LESSONS.encode(),
        file_name="lessons.csv",
        options={},
        user=user,
    )
    assert run.status == ImportRun.Status.PREVIEWED
    assert run.counts["lesson"]["created"] == 4
    labels = [c["label"] for c in run.preview["changes"]]
    assert "10X/Ma1 Mon P1" in labels and "10X/Sc1 Tue P3" in labels
    assert "Read as the lessons file of the timetable." in run.preview["notes"]
    assert not Lesson.objects.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Class,Day,Period,Room,Teacher,Valid From\n10X/Zz9,Mon,P1,M2,maths,01/09/2026\n",
            "line 2: there is no teaching group '10X/Zz9'",
        ),
        (
            "Class,Day,Period,Room,Teacher,Valid From\n10X/Ma1,Mon,P9,M2,maths,01/09/2026\n",
            "line 2: there is no period 'P9' on 01/09/2026 (the periods on 01/09/2026 are P1, P2, P3, P4, Reg)",
        ),
        (
            "Class,Day,Period,Room,Teacher,Valid From\n10X/Ma1,Mon,P1,M2,nobody@example.org,01/09/2026\n",
            "line 2: Teacher 'nobody@example.org' is not a member of staff at ",
        ),
        ("Class,Day,Period,Room,Teacher,Valid From\n10X/Ma1,Mon,P1,Z99,maths,01/09/2026\n", "there is no room 'Z99'"),
        ("Class,Day,Period,Room,Teacher,Valid From\n10X/Ma1,Sat,P1,M2,maths,01/09/2026\n", "Monday to Friday"),
        (
            "Class,Day,Period,Week,Valid From\n10X/Ma1,Mon,P1,A,01/09/2026\n",
            "week A: the school's timetable is a one-week",
        ),
        ("Class,Day,Period,Valid From\n10X/Ma1,Mon,P1,31/02/2026\n", "Valid From '31/02/2026' is not a date"),
        (
            "Class,Day,Period,Room,Teacher,Valid From\n10X/Ma1,Mon,P1,M2,maths,01/09/2026\n"
            "10X/Sc1,Mon,P1,S1,maths,01/09/2026\n",
            "line 3: time overlaps: Mr Mo Khan teaches 10X/Ma1 Mon P1 (line 2) and 10X/Sc1 Mon P1 at once",
        ),
        (
            "Class,Day,Period,Room,Teacher,Valid From\n10X/Ma1,Mon,P1,M2,maths,01/09/2026\n"
            "10X/Sc1,Mon,P1,M2,science,01/09/2026\n",
            "line 3: time overlaps: room M2 has 10X/Ma1 Mon P1 (line 2) and 10X/Sc1 Mon P1 at once",
        ),
        ("Class,Day,Room\n10X/Ma1,Mon,M2\n", "line 1: there is no column for the period"),
    ],
)
def test_each_kind_of_bad_lesson_row_is_named_and_nothing_is_written(school, tt, text, expected):
    load_timetable(school, tt["pupils"])
    before = list(Lesson.objects.values_list("pk", "valid_to"))
    problems = problems_of(school, text)
    assert any(expected in p for p in problems), problems
    assert list(Lesson.objects.values_list("pk", "valid_to")) == before


def test_bad_pupil_rows_name_the_pupil_problem(school, tt, other_school):
    load_timetable(school, [])
    left = PupilFactory(school=school, year=10, legal_surname="Gone", on_roll=(D(2025, 9, 1), D(2026, 7, 22)))
    elsewhere = PupilFactory(school=other_school, year=10)
    text = (
        "Class,UPN,From\n"
        f"10X/Ma1,{tt['pupils'][0].upn},01/09/2026\n"
        "10X/Ma1,A123,01/09/2026\n"
        f"10X/Ma1,{elsewhere.upn},01/09/2026\n"
        f"10X/Ma1,{left.upn},01/09/2026\n"
        f"10X/Ma9,{tt['pupils'][1].upn},01/09/2026\n"
    )
    problems = problems_of(school, text)
    assert problems[0].startswith("line 3: ") and "UPN" in problems[0]
    assert problems[1] == f"line 4: no pupil with UPN {elsewhere.upn} at {school.name}: import the pupil file first"
    assert problems[2].startswith(f"line 5: Gone, Alex ({left.upn}) is not on roll on 01/09/2026")
    assert "they were on roll 01/09/2025–22/07/2026" in problems[2]
    assert problems[3].startswith("line 6: there is no teaching group '10X/Ma9'")
    assert not Membership.objects.exists()


def test_bad_period_rows_overlaps_and_two_registers(school, tt):
    text = "Period,Start,End,Register\nP1,09:00,10:00,AM\nP2,09:50,11:00,AM\nP3,12:00,11:00,\nP4,13:00,14:00,Evening\n"
    problems = problems_of(school, text)
    assert problems == [
        "line 3: P2 (09:50–11:00) overlaps P1 (09:00–10:00, line 2): periods of one day cannot overlap",
        "line 3: P2 and P1 (line 2) both hold the AM register: only one period a day can",
        "line 4: P3 starts at 12:00 but ends at 11:00: it must end after it starts",
        "line 5: Register 'Evening' should be AM, PM or blank (blank: no statutory register in it)",
    ]
    assert not Period.objects.exists()


def test_an_unknown_teacher_in_the_groups_file_and_an_unknown_file(school, tt):
    problems = problems_of(school, "Class,Subject,Year,Teacher\n10X/Ma1,Mathematics,10,mr.nobody\n")
    assert problems == [
        f"line 2: 10X/Ma1: teacher 'mr.nobody' is not a member of staff at {school.name}: use their "
        "username or e-mail address as it is on their staff account (Set-up → Staff)"
    ]
    assert problems_of(school, "Name,Colour\nx,y\n")[0].startswith(
        "line 1: these headings are not one of the timetable files"
    )
    assert not TeachingGroup.objects.exists()


def test_a_changed_timetable_is_dated_and_registers_keep_their_lesson(school, tt):
    load_timetable(school, tt["pupils"])
    monday = Lesson.objects.get(group__name="10X/Ma1", weekday=1)
    register = LessonRegister.objects.create(school=school, lesson=monday, date=D(2026, 9, 7), session="AM")
    changed = (
        "Class,Day,Period,Room,Teacher,Valid From\n"
        "10X/Ma1,Mon,P1,S1,science,02/11/2026\n"  # new room and teacher from November
        "10X/Ma1,Wed,P2,M2,maths,02/11/2026\n"  # the same
    )  # 10X/Ma1's Thursday: none; its Wednesday stays; 10X/Sc1 is not in the file, so untouched
    report = import_timetable(school=school, text=changed)
    monday.refresh_from_db()
    assert monday.valid_to == D(2026, 11, 1)
    register.refresh_from_db()
    assert register.lesson_id == monday.pk
    new = Lesson.objects.get(group__name="10X/Ma1", weekday=1, valid_from=D(2026, 11, 2))
    assert (new.room.code, new.teacher, new.valid_to) == ("S1", tt["science"], None)
    assert [lesson.room.code for lesson in lessons_on(school, D(2026, 9, 7)) if lesson.group.name == "10X/Ma1"] == [
        "M2"
    ]
    assert [lesson.room.code for lesson in lessons_on(school, D(2026, 11, 2)) if lesson.group.name == "10X/Ma1"] == [
        "S1"
    ]
    assert report.counts("lesson") == {"created": 0, "changed": 1, "leaving": 0, "unchanged": 1}
    (change,) = report.listed("changed")
    assert change.details == ["room: M2 → S1", "teacher: Mr Mo Khan → Dr Sue Okoro", "from 02/11/2026"]
    assert Lesson.objects.filter(group__name="10X/Sc1", valid_to__isnull=True).count() == 2


def test_a_lesson_dropped_from_the_file_ends_and_one_with_registers_is_never_deleted(school, tt):
    load_timetable(school, tt["pupils"])
    wednesday = Lesson.objects.get(group__name="10X/Ma1", weekday=3)
    LessonRegister.objects.create(school=school, lesson=wednesday, date=D(2026, 9, 9), session="AM")
    only_monday = "Class,Day,Period,Room,Teacher,Valid From\n10X/Ma1,Mon,P1,M2,maths,02/11/2026\n"
    report = import_timetable(school=school, text=only_monday)
    wednesday.refresh_from_db()
    assert wednesday.valid_to == D(2026, 11, 1)
    assert report.listed("leaving")[0].details == ["not in the file: ends on 01/11/2026"]
    # a change from a date before a register on record is refused, naming the earliest date
    late = "Class,Day,Period,Room,Teacher,Valid From\n10X/Ma1,Mon,P1,S1,maths,01/09/2026\n"
    LessonRegister.objects.create(
        school=school, lesson=Lesson.objects.get(group__name="10X/Ma1", weekday=1), date=D(2026, 9, 14), session="AM"
    )
    problems = problems_of(school, late)
    assert problems[0] == (
        "10X/Ma1 Wed P2 already has a lesson register on 09/09/2026, so it cannot change from 01/09/2026: make the "
        "change from 10/09/2026 or later (it is not in the file, so it would end)"
    )
    assert problems[1] == (
        "line 2: 10X/Ma1 Mon P1 already has a lesson register on 14/09/2026, so it cannot change from 01/09/2026: "
        "make the change from 15/09/2026 or later"
    )
    assert Lesson.objects.filter(pk=wednesday.pk).exists()


def test_a_period_whose_times_change_takes_its_lessons_with_it(school, tt):
    load_timetable(school, tt["pupils"])
    old = Lesson.objects.get(group__name="10X/Ma1", weekday=1)
    later = PERIODS.replace("P1,09:00,10:00,,01/09/2026", "P1,09:00,09:55,,04/01/2027").replace(
        "01/09/2026", "04/01/2027"
    )
    report = import_timetable(school=school, text=later)
    assert report.counts("period")["changed"] == 1
    assert "its 1 lesson moves with it" in report.listed("changed")[0].details
    old.refresh_from_db()
    assert old.valid_to == D(2027, 1, 3)
    (january,) = [lesson for lesson in lessons_on(school, D(2027, 1, 4)) if lesson.group.name == "10X/Ma1"]
    assert (january.period.ends, january.room.code) == (dt.time(9, 55), "M2")


def test_a_pupil_who_moves_set_leaves_one_group_the_day_before_joining_another(school, tt):
    load_timetable(school, tt["pupils"])
    adams, brown, _clark = tt["pupils"]
    text = f"Class,UPN,From\n10X/Ma1,{adams.upn},04/01/2027\n10X/Ma1,{brown.upn},04/01/2027\n"
    report = import_timetable(school=school, text=text)
    (leaving,) = report.listed("leaving")
    assert "last day in the group 03/01/2027" in leaving.details[0] and "Clark" in leaving.label
    monday = Lesson.objects.get(group__name="10X/Ma1", weekday=1)
    assert set(pupils_in(monday, D(2026, 12, 14))) == set(tt["pupils"])
    assert set(pupils_in(monday, D(2027, 1, 4))) == {adams, brown}


def test_a_two_week_cycle(school, tt):
    load_timetable(school, tt["pupils"])
    TimetableSettings.objects.filter(school=school).update(cycle_weeks=2, week_a_starts=D(2026, 9, 7))
    text = (
        "Class,Day,Period,Room,Teacher,Valid From\n"
        "10X/Ma1,MonA,P1,M2,maths,01/09/2026\n"
        "10X/Ma1,Mon B,P1,S1,maths,01/09/2026\n"  # same teacher, same time, other week: no clash
        "10X/Ma1,Wed,P2,M2,maths,01/09/2026\n"
    )
    import_timetable(school=school, text=text)
    week_a, week_b = D(2026, 9, 7), D(2026, 9, 14)
    rooms = {
        day: [
            (lesson.period.name, lesson.room.code)
            for lesson in lessons_on(school, day)
            if lesson.group.name == "10X/Ma1"
        ]
        for day in (week_a, week_b)
    }
    assert rooms == {week_a: [("P1", "M2")], week_b: [("P1", "S1")]}
    # the every-week Monday lesson the file replaced by the A and B ones has ended (it never began: removed)
    assert not Lesson.objects.filter(group__name="10X/Ma1", weekday=1, week="").exists()
    clash = (
        "Class,Day,Period,Week,Room,Teacher,Valid From\n"
        "10X/Ma1,Mon,P1,,M2,maths,01/09/2026\n10X/Sc1,Mon,P1,A,S1,maths,01/09/2026\n"
    )
    assert any("time overlaps" in p for p in problems_of(school, clash))


def test_a_windows_1252_file_reads_with_a_note(school, tt):
    run = preview_import(
        school=school,
        kind=ImportRun.Kind.TIMETABLE,
        data="Room,Description\nS1,Laboratoire café\n".encode("cp1252"),
        file_name="rooms.csv",
        options={},
        user=UserFactory(),
    )
    assert run.preview["changes"][0]["details"] == ["Laboratoire café"]
    assert "The file is not UTF-8; it was read as Windows-1252 text." in run.preview["notes"]


def test_a_lessons_file_without_dates_takes_effect_today(school, tt):
    load_timetable(school, tt["pupils"])
    report = import_timetable(
        school=school, text="Class,Day,Period,Room\n10X/Sc1,Fri,P4,S1\n10X/Sc1,Mon,P2,S1\n10X/Sc1,Tue,P3,S1\n"
    )
    assert "The file has no 'Valid from' column: its changes take effect from today." in report.notes
    assert Lesson.objects.get(group__name="10X/Sc1", weekday=5).valid_from == timezone.localdate()
