"""The leaders' lesson analysis: attendance by subject, period and class, post-registration
truancy rates, small numbers hidden so that no subtraction gives them back, for leaders only,
at a fixed number of queries. On the second half-term of the autumn term 2026 (from Monday
2 November, after the break of 26–30 October)."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registers.models import Staff
from reports.models import ExportLog
from reports.selectors.lessons import lesson_analysis
from reports.suppression import NOTE
from tests.factories import make_staff

from .lesson_records import alert, lesson, mark, secondary_pupil, teaching_group

D = dt.date
P = Staff.Position
MON, TUE = D(2026, 11, 2), D(2026, 11, 3)
HALF_TERM = "half:2026/27:2"


@pytest.fixture(autouse=True)
def _in_november():
    with time_machine.travel(dt.datetime(2026, 11, 6, 16, 0), tick=False):
        yield


def year_nine(school, n, prefix):
    return [secondary_pupil(school, f"{prefix}{i}", f"{prefix}son", year=9) for i in range(n)]


@pytest.fixture
def timetable(school):
    """Year 9: English for ten pupils (P1 Monday, P2 Tuesday), maths in two sets (ten pupils
    in 9X/Ma1 at P3 Monday, three in 9Y/Ma2 at P5 Monday), science for the ten (P3 Tuesday)."""
    teacher = make_staff(school, P.SUBJECT_TEACHER, "mrsbrown", "Ann", "Brown", title="Mrs")
    ten, three = year_nine(school, 10, "Ten"), year_nine(school, 3, "Three")
    english = teaching_group(school, "9X/En1", "English", 9, ten, teacher)
    maths = teaching_group(school, "9X/Ma1", "Mathematics", 9, ten)
    small = teaching_group(school, "9Y/Ma2", "Mathematics", 9, three)
    science = teaching_group(school, "9X/Sc1", "Science", 9, ten)
    lessons = {
        "en_mon": lesson(english, "P1", 1),
        "en_tue": lesson(english, "P2", 2),
        "ma": lesson(maths, "P3", 1),
        "ma_small": lesson(small, "P5", 1),
        "sc": lesson(science, "P3", 2),
    }
    for i, pupil in enumerate(ten):
        mark(lessons["en_mon"], MON, pupil, "/")
        mark(lessons["en_tue"], TUE, pupil, "O" if i == 0 else "/")
        mark(lessons["ma"], MON, pupil, "L" if i < 2 else "/", 6 if i < 2 else None)
        mark(lessons["sc"], TUE, pupil, "O" if i < 3 else "/")
    for pupil in three:
        mark(lessons["ma_small"], MON, pupil, "O" if pupil is three[0] else "\\")
    alert(lessons["en_tue"], TUE, ten[0])
    alert(lessons["sc"], TUE, ten[1], resolved=True)
    alert(lessons["sc"], TUE, ten[2])
    return {"ten": ten, "three": three, "lessons": lessons, "teacher": teacher}


def rows(table):
    return {r.label: r for r in table}


def test_attendance_by_subject_period_and_class(school, timetable):
    result = lesson_analysis(school, date_from=MON, date_to=D(2026, 11, 6))
    total = result.total
    assert (total.lessons, total.attended, total.absent, total.late, total.alerts) == (43, 38, 5, 2, 3)
    assert total.attendance_percent == 88.4 and total.alert_rate == 6.98
    subjects = rows(result.by_subject)
    assert list(subjects) == ["English", "Mathematics", "Science"]
    english = subjects["English"]
    assert (english.pupils, english.lessons, english.attended, english.alerts) == (10, 20, 19, 1)
    assert english.attendance_percent == 95.0 and english.alert_rate == 5.0
    assert (subjects["Science"].absent, subjects["Science"].alerts, subjects["Science"].alert_rate) == (3, 2, 20.0)
    assert [r.label for r in result.by_period] == ["P1", "P2", "P3", "P5"]  # in the order of the day
    p3 = rows(result.by_period)["P3"]
    assert (p3.pupils, p3.lessons, p3.late, p3.alerts) == (10, 20, 2, 2)
    classes = rows(result.by_group)
    assert classes["9X/En1"].detail == "English · Mrs A Brown"
    assert classes["9X/Ma1"].late_percent == 20.0
    assert result.pupils_with_alerts.shown is None  # three pupils: a dash
    assert [t["alerts"] for t in result.truants] == [1, 1, 1]


def test_a_small_class_cannot_be_had_by_subtraction(school, timetable):
    """9Y/Ma2 has three pupils: hidden, and so is whatever it could be worked out from — its
    subject less the other set, the day's total less the other periods, the classes' total less
    the other classes."""
    result = lesson_analysis(school, date_from=MON, date_to=D(2026, 11, 6))
    classes, subjects, periods = rows(result.by_group), rows(result.by_subject), rows(result.by_period)
    assert classes["9Y/Ma2"].hidden and periods["P5"].hidden
    assert not classes["9X/En1"].hidden and not result.total.hidden
    shown = lambda r: not r.hidden  # noqa: E731
    # mathematics less 9X/Ma1 would be 9Y/Ma2
    assert not (shown(subjects["Mathematics"]) and shown(classes["9X/Ma1"]))
    # the total less every other class, period or subject
    for table in (result.by_group, result.by_period, result.by_subject):
        assert sum(r.hidden for r in table) != 1
    # and the figures that were hidden are not in the page's numbers at all
    for label in ("9Y/Ma2",):
        row = classes[label]
        assert row.cell.shown is None and row.cell.note == NOTE


def test_the_year_filter_and_another_schools_lessons(school, other_school, timetable):
    year_ten = secondary_pupil(school, "Tenth", year=10)
    group = teaching_group(school, "10A/Hi1", "History", 10, [year_ten])
    mark(lesson(group, "P2", 1), MON, year_ten, "/")
    theirs = secondary_pupil(other_school, "Other", year=9)
    other = teaching_group(other_school, "9X/En1", "English", 9, [theirs])
    mark(lesson(other, "P1", 1), MON, theirs, "O")
    nine = lesson_analysis(school, date_from=MON, date_to=D(2026, 11, 6), year=9)
    assert nine.total.lessons == 43 and "History" not in rows(nine.by_subject)
    ten = lesson_analysis(school, date_from=MON, date_to=D(2026, 11, 6), year=10)
    assert ten.total.lessons == 1 and ten.total.hidden  # one pupil: nothing shown
    assert all(r.hidden for r in ten.by_subject + ten.by_period + ten.by_group)


def test_a_fixed_number_of_queries(school, timetable):
    with CaptureQueriesContext(connection) as before:
        lesson_analysis(school, date_from=MON, date_to=D(2026, 11, 6))
    for n in range(4):
        pupils = year_nine(school, 6, f"Extra{n}x")
        group = teaching_group(school, f"9Z/Ar{n}", "Art", 9, pupils, timetable["teacher"])
        art = lesson(group, "P4", 1 + n)
        for pupil in pupils:
            mark(art, MON + dt.timedelta(days=n), pupil, "/")
            alert(art, MON + dt.timedelta(days=n), pupil, resolved=True)
    with CaptureQueriesContext(connection) as after:
        result = lesson_analysis(school, date_from=MON, date_to=D(2026, 11, 6))
    assert len(rows(result.by_group)) == 8
    assert len(after.captured_queries) == len(before.captured_queries)


def test_the_page_and_its_csv_for_leaders(client, school, head, timetable):
    client.force_login(head.user)
    page = client.get(reverse("reports:lessons"), {"period": HALF_TERM})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Lesson attendance" in html and "9X/En1" in html and "95.0%" in html
    assert reverse("reports:lessons") in client.get(reverse("reports:analysis")).content.decode()  # in the menu
    download = client.get(reverse("reports:lessons-csv"), {"period": HALF_TERM, "year": "9"})
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(download.content.decode())))
    by_row = {(r[0], r[1]): r for r in table[1:]}
    assert by_row[("Subject", "English")][6] == "95.0"
    assert by_row[("Class", "9Y/Ma2")][3:12] == [""] * 9 and by_row[("Class", "9Y/Ma2")][12] == NOTE
    assert ExportLog.objects.filter(user=head.user, kind="table_csv", description__startswith="Lesson").exists()


def test_bad_dates_are_refused_with_a_message(client, school, head, timetable):
    client.force_login(head.user)
    page = client.get(reverse("reports:lessons"), {"date_from": "2026-11-05", "date_to": "2026-11-02"})
    assert "The start date must be on or before the end date." in page.content.decode()


@pytest.mark.parametrize("who", ["governor", "teacher", "subject_teacher"])
def test_governors_and_teachers_cannot_reach_it(client, school, governor, teacher, timetable, who):
    user = {"governor": governor, "teacher": teacher, "subject_teacher": timetable["teacher"]}[who].user
    client.force_login(user)
    for name in ("reports:lessons", "reports:lessons-csv"):
        assert client.get(reverse(name), {"period": HALF_TERM}).status_code == 403
    assert reverse("reports:lessons") not in client.get(reverse("reports:governors")).content.decode()
    assert not ExportLog.objects.exists()
