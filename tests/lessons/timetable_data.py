"""A small secondary timetable for the timetable tests: the five CSV files as a data manager would
export them, for the test school (tests/conftest.py), two teachers and three Year 10 pupils."""

from __future__ import annotations

import datetime as dt

from lessons.imports import import_timetable
from lessons.models import TimetableSettings
from registers.models import Staff
from tests.factories import PupilFactory, make_staff

D = dt.date
P = Staff.Position

PERIODS = """Phase,Period,Start Time,End Time,Register,Valid From
Secondary,Reg,08:40,09:00,AM,01/09/2026
Secondary,P1,09:00,10:00,,01/09/2026
Secondary,P2,10:00,11:00,,01/09/2026
Secondary,P3,11:20,12:20,,01/09/2026
Secondary,P4,13:20,14:20,PM,01/09/2026
"""
ROOMS = """Room,Description
S1,Science lab 1
M2,Maths room 2
"""
GROUPS = """Class,Subject,Year,Teacher
10X/Ma1,Mathematics,Year 10,maths
10X/Sc1,Science,10,science@example.org
"""
LESSONS = """Class,Day,Period,Week,Room,Teacher,Valid From
10X/Ma1,Mon,P1,,M2,maths,01/09/2026
10X/Ma1,Wed,P2,,M2,maths,01/09/2026
10X/Sc1,Mon,P2,,S1,science,01/09/2026
10X/Sc1,Tue,P3,,S1,,01/09/2026
"""


def memberships(pupils) -> str:
    lines = ["Class,UPN,From"]
    for pupil in pupils:
        lines += [f"10X/Ma1,{pupil.upn},01/09/2026", f"10X/Sc1,{pupil.upn},01/09/2026"]
    return "\n".join(lines) + "\n"


def people(school) -> dict:
    maths = make_staff(school, P.SUBJECT_TEACHER, "maths", "Mo", "Khan", title="Mr")
    science = make_staff(school, P.SUBJECT_TEACHER, "science", "Sue", "Okoro", title="Dr")
    science.user.email = "science@example.org"
    science.user.save()
    pupils = [
        PupilFactory(school=school, year=10, legal_surname=name, legal_forename="Sam", group=None)
        for name in ("Adams", "Brown", "Clark")
    ]
    TimetableSettings.objects.get_or_create(school=school)
    return {"maths": maths, "science": science, "pupils": pupils}


def load_timetable(school, pupils) -> None:
    """The whole timetable, imported file by file as the contract says."""
    for text in (PERIODS, ROOMS, GROUPS, memberships(pupils), LESSONS):
        import_timetable(school=school, text=text, source_name="test")
