"""Which lessons happen on a day, and who is in them: the one reading of the timetable that the
lesson registers, the missing-register monitor, truancy checks and the demo share.

A lesson happens on a school day (the school's calendar, `registers.SchoolDay`) when it holds on
that date (`valid_from`/`valid_to`), meets on that weekday and in that week of the cycle. A pupil
is in a lesson when their membership of the teaching group covers the date and they are on roll."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet

from registers.models import Enrolment, Pupil, School, SchoolDay

from .models import Cover, Dated, Lesson, Membership, TimetableSettings


def week_of(school: School, day: dt.date) -> str:
    """ "A"/"B" in a two-week timetable, "" in a one-week one (or a school with no settings yet)."""
    settings = TimetableSettings.objects.filter(school=school).first()
    return settings.week_of(day) if settings else ""


def lessons_on(school: School, day: dt.date) -> QuerySet[Lesson]:
    """The lessons that happen on `day` (none on a day that is not a school day), in period order,
    with their group, period, room and teacher read in the same query."""
    if day.isoweekday() > 5:
        return Lesson.objects.none()
    weeks = {"", week_of(school, day)}
    return (
        Lesson.objects.filter(school=school, weekday=day.isoweekday(), week__in=weeks)
        .filter(Dated.on(day))
        .filter(Exists(SchoolDay.objects.filter(school=school, date=day)))
        .select_related("group", "period", "room", "teacher__user")
        .order_by("period__starts", "group__name")
    )


def lessons_taught_by(staff, day: dt.date) -> QuerySet[Lesson]:
    """A teacher's lessons on `day`: their own (less any another teacher covers) and those they cover."""
    covered = Cover.objects.filter(lesson=OuterRef("pk"), date=day)
    mine = Q(teacher=staff) & ~Q(Exists(covered.exclude(teacher=staff)))
    covering = Q(Exists(covered.filter(teacher=staff)))
    return lessons_on(staff.school, day).filter(mine | covering)


def pupils_in(lesson: Lesson, day: dt.date) -> QuerySet[Pupil]:
    """Pupils in the lesson's teaching group on `day` who are on roll that day, in register order."""
    on_roll = Enrolment.objects.filter(pupil_id=OuterRef("pk"), admission_date__lte=day).filter(
        Q(leaving_date__isnull=True) | Q(leaving_date__gte=day)
    )
    members = Membership.objects.filter(group_id=lesson.group_id, pupil_id=OuterRef("pk")).filter(Membership.on(day))
    return Pupil.objects.filter(school_id=lesson.school_id).filter(Exists(members), Exists(on_roll))
