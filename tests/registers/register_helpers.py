"""Shared set-up for the register page and office tests (a teacher, the office, a class)."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from registers.models import Register, RegistrationGroup, Staff
from tests.factories import PupilFactory, StaffFactory

LONDON = ZoneInfo("Europe/London")
MONDAY = dt.date(2026, 11, 23)
PASSWORD = "correct horse battery"


def clock(hour, minute, second=0, day=MONDAY):
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LONDON), tick=False
    )


def year3(school):
    group = RegistrationGroup.objects.get(school=school, name="Year 3")
    if not group.room:
        group.room = "3B"
        group.save()
    return group


def make_teacher(school, username="teacher", group=None):
    staff = StaffFactory(
        school=school, user__username=username, user__email=f"{username}@school.example", user__last_name="Patel"
    )
    (group or year3(school)).teachers.add(staff)
    return staff


def make_office(school, username="office"):
    return StaffFactory(
        school=school, position=Staff.Position.OFFICE, user__username=username, user__last_name="Office"
    )


def make_pupils(school, n, year=3, **kwargs):
    return [PupilFactory(school=school, year=year, **kwargs) for _ in range(n)]


def register_for(school, group, day=MONDAY, session="AM"):
    register, _ = Register.objects.get_or_create(school=school, group=group, date=day, session=session)
    return register


def full_post(register, pupils, codes=None, versions=None, minutes=None):
    """The form as the page would submit it: one code per pupil (default present)."""
    data = {"action": "save"}
    for pupil in pupils:
        code = (codes or {}).get(pupil.pk, "/" if register.session == "AM" else "\\")
        data[f"version-{pupil.pk}"] = str((versions or {}).get(pupil.pk, 0))
        data[f"was-{pupil.pk}"] = "|"
        if code in ("/", "\\", "L", "N"):
            data[f"mark-{pupil.pk}"] = code
        else:
            data[f"other-{pupil.pk}"] = code
        if minutes and pupil.pk in minutes:
            data[f"minutes-{pupil.pk}"] = str(minutes[pupil.pk])
    return data


def login(client, username):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))
    return client
