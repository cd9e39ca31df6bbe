"""A demo secondary school in the same trust: Years 7 to 11, a form each, a one-week timetable of
five lessons a day, this term's registers marked, and this week's lessons marked by their
teachers — so a form tutor, a subject teacher and a head of year each find their day on first
sign-in, including a pupil who was at morning registration and did not arrive in a lesson.

Everything is written the way the school would write it: the statutory marks through the register
service, the lesson marks through the lesson register service."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from lessons.models import Lesson, Membership, Period, Room, TeachingGroup, TimetableSettings
from lessons.services import open_lesson_register
from lessons.taking import LessonTaker, lesson_roll, take_lesson_register
from lessons.timetable import lessons_on
from lessons.truancy import check_lesson_register
from registers.calendar import typical_english_calendar
from registers.imports import import_school
from registers.models import (
    AM,
    PM,
    Contact,
    Enrolment,
    Mark,
    Pupil,
    Register,
    RegistrationGroup,
    SchoolDay,
    Staff,
    Trust,
)
from registers.services import Actor, MarkEntry, mark_register_taken, record_marks
from registers.taking import MarkWish, TakenBy, Taker
from registers.upn import make_upn

from .names import FORENAMES_F, FORENAMES_M, SURNAMES
from .school import DEMO_PASSWORD, LONDON

SECONDARY_URN = "140417"
DOMAIN = "ashfordgreen.example.sch.uk"
YEARS = [7, 8, 9, 10, 11]
FORM_SIZE = 24

# name, starts, ends, the statutory register it holds
PERIODS = [
    ("Reg", "08:35", "08:55", AM),
    ("P1", "08:55", "09:55", ""),
    ("P2", "09:55", "10:55", ""),
    ("P3", "11:15", "12:15", ""),
    ("P4", "13:00", "14:00", PM),
    ("P5", "14:00", "15:00", ""),
]
TEACHING_PERIODS = ["P1", "P2", "P3", "P4", "P5"]

# subject, code, teacher (username, first, last, title), room
SUBJECTS = [
    ("Mathematics", "Ma", ("subject", "Imran", "Khan", "Mr"), "M4"),
    ("English", "En", ("teacher.english", "Rachel", "Osei", "Ms"), "E2"),
    ("Science", "Sc", ("teacher.science", "Owen", "Hughes", "Dr"), "S1"),
    ("History", "Hi", ("teacher.history", "Claire", "Bennett", "Mrs"), "H3"),
    ("Geography", "Gg", ("teacher.geography", "Marek", "Nowak", "Mr"), "G1"),
    ("Physical Education", "PE", ("teacher.pe", "Jade", "Robinson", "Miss"), "Sports hall"),
]
TUTORS = {
    7: ("tutor.7", "Fiona", "Grant", "Mrs"),
    8: ("tutor.8", "Sam", "Whitfield", "Mr"),
    9: ("tutor.9", "Nadia", "Hussain", "Ms"),
    10: ("tutor", "Peter", "Lowe", "Mr"),
    11: ("tutor.11", "Anita", "Desai", "Mrs"),
}
OTHER_STAFF = [
    ("hoy", "Lorna", "McBride", "Mrs", Staff.Position.HEAD_OF_YEAR),
    ("office.secondary", "Kevin", "Walsh", "Mr", Staff.Position.OFFICE),
    ("head.secondary", "Dominic", "Reid", "Mr", Staff.Position.HEADTEACHER),
]


def subject_in(year: int, weekday: int, period: int) -> int:
    """Which subject a year group has in a period: a Latin square, so at any moment the five year
    groups are in five different subjects and each subject teacher is in one room."""
    return (weekday * len(TEACHING_PERIODS) + period + year) % len(SUBJECTS)


def secondary_school_data(today: dt.date) -> dict:
    start_year = today.year if today.month >= 8 else today.year - 1
    current = typical_english_calendar(start_year)
    return {
        "urn": SECONDARY_URN,
        "name": "Ashford Green Academy",
        "la_number": "888",
        "establishment_number": "4102",
        "phase": "secondary",
        "address": "Ashford Green Academy\nCollege Road\nAshford Green\nAG2 3QT",
        "telephone": "01632 960 802",
        "email": f"office@{DOMAIN}",
        "register_times": {
            "secondary": {
                "am": {"opens": "08:35", "late_after": "08:45", "closes": "09:05"},
                "pm": {"opens": "13:00", "late_after": "13:05", "closes": "13:30"},
            }
        },
        "terms": [
            {"name": t["name"], "start": t["start"].isoformat(), "end": t["end"].isoformat()} for t in current["terms"]
        ],
        "half_term_breaks": [
            {"start": b["start"].isoformat(), "end": b["end"].isoformat()} for b in current["half_term_breaks"]
        ],
        "closures": [
            {"date": d.isoformat(), "session": "both", "reason": "INSET day: staff training", "kind": "inset"}
            for d in current["inset_days"]
        ],
        "groups": [
            {"name": f"{year}G", "year": year, "phase": "secondary", "room": f"Tutor room {year}"} for year in YEARS
        ],
    }


@transaction.atomic
def seed_secondary(
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    form_size: int = FORM_SIZE,
    weeks: int = 6,
    seed: int = 2027,
    log=print,
):
    """Build the demo secondary school; returns counts. The statutory registers are marked for the
    last `weeks` weeks of this half-term up to yesterday, this week's lessons up to the last one
    that has started by `now`."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    now = now or dt.datetime.now(tz=LONDON)
    data = secondary_school_data(today)
    start_year = today.year if today.month >= 8 else today.year - 1
    school = import_school(data)
    school.trust, _ = Trust.objects.get_or_create(name="Ashford Learning Trust")
    school.save()

    User = get_user_model()
    hashed = make_password(DEMO_PASSWORD)

    def staff(username, first, last, title, position) -> Staff:
        account, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@{DOMAIN}"}
        )
        if created:
            account.password = hashed
            account.save()
        member, _ = Staff.objects.get_or_create(
            user=account, defaults={"school": school, "position": position, "title": title}
        )
        return member

    for username, first, last, title, position in OTHER_STAFF:
        staff(username, first, last, title, position)
    forms = {group.year: group for group in RegistrationGroup.objects.filter(school=school)}
    tutors = {}
    for year, (username, first, last, title) in TUTORS.items():
        tutors[year] = staff(username, first, last, title, Staff.Position.FORM_TUTOR)
        forms[year].teachers.add(tutors[year])

    # The timetable: periods from the start of the school year, rooms, a teaching group per
    # subject and year (the whole form), and the week's lessons.
    year_start = dt.date(start_year, 9, 1)
    TimetableSettings.objects.create(school=school, late_after_minutes=5, missing_after_minutes=15)
    periods = {
        name: Period.objects.create(
            school=school,
            name=name,
            starts=dt.time.fromisoformat(starts),
            ends=dt.time.fromisoformat(ends),
            holds_session=holds,
            valid_from=year_start,
        )
        for name, starts, ends, holds in PERIODS
    }
    teachers, rooms = [], []
    for _subject, _code, (username, first, last, title), room in SUBJECTS:
        teachers.append(staff(username, first, last, title, Staff.Position.SUBJECT_TEACHER))
        rooms.append(Room.objects.create(school=school, code=room))

    # Pupils: a form of 24 in each year, on roll since before this school year.
    serial = 0
    pupils: dict[int, list[Pupil]] = {}
    for year in YEARS:
        for _ in range(form_size):
            serial += 1
            sex = rng.choice("FM")
            surname = rng.choice(SURNAMES)
            pupil = Pupil(
                school=school,
                upn=make_upn(school.la_number, school.establishment_number, start_year - 1, serial),
                legal_surname=surname,
                legal_forename=rng.choice(FORENAMES_F if sex == "F" else FORENAMES_M),
                pronoun="she/her" if sex == "F" else "he/him",
                date_of_birth=dt.date(start_year - 5 - year, 9, 1) + dt.timedelta(days=rng.randrange(365)),
                sex=sex,
                year=year,
                group=forms[year],
                fsm=rng.random() < 0.26,
                eal=rng.random() < 0.15,
            )
            pupil._change_reason = "demo school"
            pupil.save()
            Enrolment.objects.create(pupil=pupil, admission_date=dt.date(start_year - (year - 7), 9, 1))
            Contact.objects.create(
                pupil=pupil,
                title="Mrs" if rng.random() < 0.6 else "Mr",
                forename=rng.choice(FORENAMES_F),
                surname=surname,
                relationship="Mother",
                telephone=f"07700 9{rng.randrange(10000, 99999)}",
                email=f"{surname.lower().replace(chr(39), '')}.s{serial}@example.com",
            )
            pupils.setdefault(year, []).append(pupil)

    lessons: dict[tuple[int, int, str], Lesson] = {}
    for year in YEARS:
        for index, (subject, code, _teacher, _room) in enumerate(SUBJECTS):
            group = TeachingGroup.objects.create(school=school, name=f"{year}G/{code}", subject=subject, year=year)
            group.teachers.add(teachers[index])
            Membership.objects.bulk_create(Membership(group=group, pupil=p, starts=year_start) for p in pupils[year])
            for weekday in range(1, 6):
                for p, period in enumerate(TEACHING_PERIODS):
                    if subject_in(year, weekday, p) == index:
                        lessons[(year, weekday, period)] = Lesson.objects.create(
                            school=school,
                            group=group,
                            period=periods[period],
                            weekday=weekday,
                            room=rooms[index],
                            teacher=teachers[index],
                            valid_from=year_start,
                        )

    # The last weeks of this half-term's statutory registers up to yesterday, taken by the form tutors.
    days = list(SchoolDay.objects.filter(school=school, date__gte=year_start, date__lt=today).order_by("date"))
    days = [
        day for day in days if day.half_term == days[-1].half_term and day.date >= today - dt.timedelta(weeks=weeks)
    ]
    absent: set[tuple[int, dt.date]] = set()
    marks = 0
    for day in days:
        for year, form in forms.items():
            tutor = tutors[year]
            actor = Actor.for_staff(tutor.user, tutor)
            for session, (hh, mm) in ((AM, (8, 40)), (PM, (13, 2))):
                entries = []
                for pupil in pupils[year]:
                    if session == AM and rng.random() < 0.05:
                        absent.add((pupil.id, day.date))
                    if (pupil.id, day.date) in absent:
                        code = rng.choice("IIIMO")
                    else:
                        code = "/" if session == AM else "\\"
                        if session == AM and rng.random() < 0.03:
                            code = "L"
                    minutes = rng.choice([3, 6, 9]) if code == "L" else None
                    entries.append(MarkEntry(pupil.id, day.date, session, code, minutes_late=minutes))
                moment = dt.datetime.combine(day.date, dt.time(hh, mm), tzinfo=LONDON)
                register, _ = Register.objects.get_or_create(school=school, group=form, date=day.date, session=session)
                record_marks(
                    school=school,
                    entries=entries,
                    actor=actor,
                    source=Mark.Source.TEACHER,
                    register=register,
                    now=moment,
                )
                mark_register_taken(register=register, actor=actor, now=moment)
                marks += len(entries)

    hoy = Staff.objects.get(user__username="hoy")
    forms[10].teachers.add(hoy)  # the head of year looks after Year 10 (as a teacher of its form)
    week = [day.date for day in days if day.date >= today - dt.timedelta(days=today.isoweekday() - 1)]
    taken = _lessons_this_week(school, week, today, now, tutors, pupils, absent, rng)
    log(
        f"Demo secondary school: {school.name}, {serial} pupils in {len(forms)} forms, "
        f"{len(lessons)} lessons a week, {marks} statutory marks over {len(days)} school days, "
        f"{taken} lesson registers this week."
    )
    return {"school": school, "pupils": serial, "marks": marks, "lessons": len(lessons), "lesson_registers": taken}


def _lessons_this_week(school, week: list[dt.date], today, now, tutors, pupils, absent, rng) -> int:
    """This week's lessons as their teachers took them, twelve minutes in, through the lesson
    register service: absent pupils `N`, a few late. Each day one Year 10 pupil who was at
    morning registration is missing from P3 — the internal-truancy check raises the alert, and
    their present mark in a later lesson clears it. Today: the morning
    registers (taken at 08:40 once that time has passed) and the lessons that have started by `now`."""
    if today.isoweekday() <= 5 and SchoolDay.objects.filter(school=school, date=today).exists():
        if now >= dt.datetime.combine(today, dt.time(8, 40), tzinfo=LONDON):
            for year, tutor in tutors.items():
                _take_statutory(school, tutor, pupils[year], today, absent, rng)
        week = [*week, today]
    taken = 0
    for day in week:
        truant = rng.choice([p for p in pupils[10] if (p.id, day) not in absent])
        for lesson in lessons_on(school, day):
            started = dt.datetime.combine(day, lesson.period.starts, tzinfo=LONDON) + dt.timedelta(minutes=12)
            if started > now:
                continue
            register = open_lesson_register(lesson=lesson, day=day, user=lesson.teacher.user)
            roll = lesson_roll(register)
            wishes = []
            for pupil in roll:
                code = "N" if (pupil.pk, day) in absent else "/"
                if pupil.pk == truant.pk and lesson.period.name == "P3":
                    code = "N"
                elif code == "/" and rng.random() < 0.02:
                    wishes.append(MarkWish(pupil.pk, "L", arrived=(started - dt.timedelta(minutes=4)).time()))
                    continue
                wishes.append(MarkWish(pupil.pk, code))
            actor = Actor.for_staff(lesson.teacher.user, lesson.teacher)
            result = take_lesson_register(
                register=register,
                taker=LessonTaker(TakenBy(Taker.TEACHER, actor)),
                roll=roll,
                wishes=wishes,
                now=started,
            )
            if not result.ok:
                raise RuntimeError(f"demo lesson register {register}: {result.refusals}")
            check_lesson_register(register_id=result.register.pk, now=started)  # as after commit
            taken += 1
    return taken


def _take_statutory(school, tutor, members, day, absent, rng) -> None:
    """Today's morning register of a form, taken by its tutor at 08:40."""
    for pupil in members:
        if rng.random() < 0.05:
            absent.add((pupil.id, day))
    entries = [MarkEntry(p.id, day, AM, "N" if (p.id, day) in absent else "/") for p in members]
    moment = dt.datetime.combine(day, dt.time(8, 40), tzinfo=LONDON)
    actor = Actor.for_staff(tutor.user, tutor)
    register, _ = Register.objects.get_or_create(school=school, group=members[0].group, date=day, session=AM)
    record_marks(school=school, entries=entries, actor=actor, source=Mark.Source.TEACHER, register=register, now=moment)
    mark_register_taken(register=register, actor=actor, now=moment)
