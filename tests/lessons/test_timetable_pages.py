"""The timetable pages: the week grid (filtered by teacher, group, room, year; week A/B), settings,
periods, rooms, teaching groups with their pupils and lessons, dated changes from the browser;
the Imports page's preview of a timetable file; who may use them (the data manager, office and
head — not a teacher, a parent or another school's data manager); what people type is escaped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lessons.imports import import_timetable
from lessons.models import Lesson, LessonRegister, Membership, Period, TeachingGroup, TimetableSettings
from registers.models import ImportRun, Staff
from tests.factories import PupilFactory, StaffFactory, make_parent

from .timetable_data import LESSONS, load_timetable, people

D = dt.date
P = Staff.Position
pytestmark = pytest.mark.django_db
GRID = reverse("lessons:timetable:grid")


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def tt(school):
    data = people(school)
    load_timetable(school, data["pupils"])
    return data


def signed_in(client, school, position=P.DATA_MANAGER):
    staff = StaffFactory(school=school, position=position)
    client.force_login(staff.user)
    return staff


def test_the_data_manager_finds_the_timetable_in_the_menu_and_sees_the_week(client, school, tt):
    signed_in(client, school)
    html = client.get(reverse("home"), follow=True).content.decode()
    assert f'<a href="{GRID}">Timetable</a>' in html
    page = client.get(GRID, {"on": "2026-09-07"})
    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="{GRID}" aria-current="page">Timetable</a>' in html
    assert "6 lessons a week" not in html and "4 lessons a week" in html
    assert html.count('class="lesson-chip"') == 4
    assert "<strong>10X/Ma1</strong>" in html and "Mr Mo Khan" in html and "AM register" in html


def test_the_grid_filters_by_teacher_group_room_and_year(client, school, tt):
    signed_in(client, school)
    science = TeachingGroup.objects.get(name="10X/Sc1")
    for query, count in (
        ({"teacher": tt["maths"].pk}, 2),
        ({"group": science.pk}, 2),
        ({"room": science.lessons.first().room_id}, 2),
        ({"year": 10}, 4),
        ({"year": 9}, 0),
    ):
        html = client.get(GRID, {"on": "2026-09-07", **query}).content.decode()
        assert html.count('class="lesson-chip"') == count, query


def test_the_grid_shows_week_a_or_b(client, school, tt):
    TimetableSettings.objects.filter(school=school).update(cycle_weeks=2, week_a_starts=D(2026, 9, 7))
    monday_p1 = Lesson.objects.get(group__name="10X/Ma1", weekday=1)
    Lesson.objects.filter(pk=monday_p1.pk).update(week="B")
    signed_in(client, school)
    week_a = client.get(GRID, {"on": "2026-09-07"}).content.decode()
    week_b = client.get(GRID, {"on": "2026-09-07", "week": "B"}).content.decode()
    assert "<h1>Timetable: week A</h1>" in week_a and week_a.count('class="lesson-chip"') == 3
    assert week_b.count('class="lesson-chip"') == 4 and "week B only" in week_b


@pytest.mark.parametrize("position", [P.CLASS_TEACHER, P.SUBJECT_TEACHER, P.FORM_TUTOR, P.GOVERNOR, P.HEAD_OF_YEAR])
def test_teachers_and_others_are_refused(client, school, tt, position):
    signed_in(client, school, position)
    group = TeachingGroup.objects.first()
    assert client.get(GRID).status_code == 403
    assert client.get(reverse("lessons:timetable:group", args=[group.pk])).status_code == 403
    assert client.post(reverse("lessons:timetable:rooms"), {"code": "X1"}).status_code == 403
    assert f'href="{GRID}"' not in client.get(reverse("home"), follow=True).content.decode()


def test_a_parent_is_refused(client, school, tt):
    parent = make_parent(school, "parent", [tt["pupils"][0]])
    client.force_login(parent)
    assert client.get(GRID).status_code == 403
    assert client.get(reverse("lessons:timetable:settings")).status_code == 403


def test_another_schools_data_manager_gets_404_for_this_schools_timetable(client, school, other_school, tt):
    signed_in(client, other_school)
    group = TeachingGroup.objects.get(name="10X/Ma1")
    lesson = group.lessons.first()
    period = Period.objects.filter(school=school).first()
    for url in (
        reverse("lessons:timetable:group", args=[group.pk]),
        reverse("lessons:timetable:lesson", args=[lesson.pk]),
        reverse("lessons:timetable:period", args=[period.pk]),
        reverse("lessons:timetable:room", args=[lesson.room_id]),
    ):
        assert client.get(url).status_code == 404, url
    member = Membership.objects.filter(group=group).first()
    assert (
        client.post(
            reverse("lessons:timetable:membership-end", args=[member.pk]), {"last_day": "2026-10-01"}
        ).status_code
        == 404
    )
    assert client.post(reverse("lessons:timetable:lesson-add", args=[group.pk]), {}).status_code == 404
    html = client.get(GRID).content.decode()
    assert "10X/Ma1" not in html and "No periods yet" in html


def test_markup_in_every_text_field_is_escaped(client, school, tt):
    signed_in(client, school)
    client.post(reverse("lessons:timetable:rooms"), {"code": "<b>R1", "name": "<script>alert(1)</script>"})
    client.post(
        reverse("lessons:timetable:groups"),
        {"name": "<i>9Z</i>", "subject": "<img src=x onerror=alert(1)>", "year": 9},
    )
    group = TeachingGroup.objects.get(name="<i>9Z</i>")
    pages = [
        client.get(reverse("lessons:timetable:rooms")),
        client.get(reverse("lessons:timetable:groups")),
        client.get(reverse("lessons:timetable:group", args=[group.pk])),
        client.get(GRID),
    ]
    for response in pages:
        html = response.content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html and "<i>9Z</i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0].content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[1].content.decode()


def test_settings_save_and_a_two_week_cycle_needs_a_monday(client, school, tt):
    signed_in(client, school)
    url = reverse("lessons:timetable:settings")
    data = {"cycle_weeks": 2, "week_a_starts": "2026-09-08", "late_after_minutes": 5, "missing_after_minutes": 15}
    html = client.post(url, data).content.decode()
    assert "Week A must start on a Monday; Tuesday 08 September 2026 is not." in html
    client.post(url, {**data, "week_a_starts": "2026-09-07", "prefill_statutory": "on"})
    settings = TimetableSettings.objects.get(school=school)
    assert (settings.cycle_weeks, settings.week_a_starts, settings.prefill_statutory) == (2, D(2026, 9, 7), True)


def test_a_lesson_with_registers_changed_in_the_browser_is_dated(client, school, tt):
    signed_in(client, school)
    lesson = Lesson.objects.get(group__name="10X/Ma1", weekday=1)
    LessonRegister.objects.create(school=school, lesson=lesson, date=D(2026, 9, 7), session="AM")
    url = reverse("lessons:timetable:lesson", args=[lesson.pk])
    page = client.get(url).content.decode()
    assert "It has lesson registers (the latest 07/09/2026)" in page
    form = {"weekday": 1, "period": lesson.period_id, "week": "", "room": lesson.room_id, "teacher": tt["science"].pk}
    refused = client.post(url, {**form, "valid_from": "2026-09-01"}).content.decode()
    assert "already has a lesson register on 07/09/2026" in refused
    clash = client.post(
        url, {**form, "weekday": 1, "period": Period.objects.get(name="P2").pk, "valid_from": "2026-09-14"}
    )
    assert "Dr Sue Okoro already teaches 10X/Sc1 Mon P2 at that time." in clash.content.decode()
    client.post(url, {**form, "valid_from": "2026-09-14"})
    lesson.refresh_from_db()
    assert lesson.valid_to == D(2026, 9, 13) and lesson.registers.count() == 1
    assert Lesson.objects.get(group=lesson.group, weekday=1, valid_from=D(2026, 9, 14)).teacher == tt["science"]


def test_a_period_changed_in_the_browser_and_a_pupil_joining_and_leaving(client, school, tt):
    signed_in(client, school)
    p1 = Period.objects.get(name="P1")
    url = reverse("lessons:timetable:period", args=[p1.pk])
    overlap = {
        "phase": "secondary",
        "name": "P1",
        "starts": "09:00",
        "ends": "10:30",
        "holds_session": "",
        "valid_from": "2027-01-04",
    }
    assert "overlaps P2" in client.post(url, overlap).content.decode()
    client.post(url, {**overlap, "ends": "09:50"})
    assert Period.objects.get(name="P1", valid_from=D(2027, 1, 4)).lessons.count() == 1
    group = TeachingGroup.objects.get(name="10X/Ma1")
    newcomer = PupilFactory(school=school, year=10, legal_surname="Newman")
    join = reverse("lessons:timetable:group-join", args=[group.pk])
    client.post(join, {"join-pupil": newcomer.pk, "join-starts": "2026-10-05"})
    membership = Membership.objects.get(group=group, pupil=newcomer)
    assert membership.starts == D(2026, 10, 5)
    client.post(reverse("lessons:timetable:membership-end", args=[membership.pk]), {"last_day": "2026-12-18"})
    membership.refresh_from_db()
    assert membership.ends == D(2026, 12, 18)
    page = client.get(reverse("lessons:timetable:group", args=[group.pk])).content.decode()
    assert "Newman, Alex" in page and "Pupils (4)" in page


def test_the_imports_page_previews_a_timetable_file(client, school):
    data = people(school)
    load_timetable(school, data["pupils"])
    Lesson.objects.all().delete()
    signed_in(client, school)
    page = client.get(reverse("imports:page"), {"kind": "timetable"}).content.decode()
    assert 'value="timetable" checked' in page or 'value="timetable"' in page
    upload = SimpleUploadedFile("lessons.csv", LESSONS.encode(), content_type="text/csv")
    response = client.post(reverse("imports:page"), {"kind": "timetable", "file": upload}, follow=True)
    html = response.content.decode()
    assert "Check before importing" in html and "Read as the lessons file of the timetable." in html
    assert "10X/Ma1 Mon P1" in html and "room M2" in html
    assert not Lesson.objects.exists()
    run = ImportRun.objects.get(kind="timetable")
    client.post(reverse("imports:confirm", args=[run.pk]), {"confirm": "1"})
    assert Lesson.objects.count() == 4
    fewer = "Class,Day,Period,Room,Teacher,Valid From\n10X/Ma1,Mon,P1,M2,maths,02/11/2026\n"
    upload = SimpleUploadedFile("fewer.csv", fewer.encode(), content_type="text/csv")
    html = client.post(reverse("imports:page"), {"kind": "timetable", "file": upload}, follow=True).content.decode()
    assert '<th scope="col" class="num">Ending</th>' in html and "Leaving" not in html
    assert "10X/Ma1 Wed P2" in html and "not in the file: ends on 01/11/2026" in html


def test_the_grid_reads_in_the_same_number_of_queries_however_many_lessons(client, school, tt):
    signed_in(client, school)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(GRID, {"on": "2026-09-07"}).status_code == 200
        return len(captured)

    before = queries()
    more = "".join(f"10X/Ma1,{day},P3,,M2,maths,01/09/2026\n" for day in ("Mon", "Thu", "Fri"))
    import_timetable(school=school, text=LESSONS + more)
    assert Lesson.objects.count() == 7
    assert queries() == before
