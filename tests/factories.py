"""Test data on real school calendars: 2025/26 and 2026/27 term dates of a typical English
local authority, with England's bank holidays from the `holidays` package."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from registers.imports import import_school
from registers.models import Contact, Enrolment, Pupil, RegistrationGroup, School, Staff
from registers.services import Actor, MarkEntry, record_marks
from registers.upn import make_upn
from tests import school_template

D = dt.date

SCHOOL_DATA = {
    "urn": "100001",
    "name": "Oakfield Primary School",
    "la_number": "801",
    "establishment_number": "2000",
    "phase": "primary",
    "register_times": {
        "primary": {
            "am": {"opens": "08:50", "late_after": "09:00", "closes": "09:20"},
            "pm": {"opens": "13:00", "late_after": "13:10", "closes": "13:30"},
        }
    },
    "terms": [
        {"name": "Autumn", "start": "2025-09-03", "end": "2025-12-19"},
        {"name": "Spring", "start": "2026-01-05", "end": "2026-03-27"},
        {"name": "Summer", "start": "2026-04-13", "end": "2026-07-22"},
        {"name": "Autumn", "start": "2026-09-03", "end": "2026-12-18"},
        {"name": "Spring", "start": "2027-01-04", "end": "2027-03-26"},
        {"name": "Summer", "start": "2027-04-12", "end": "2027-07-21"},
    ],
    "half_term_breaks": [
        {"start": "2025-10-27", "end": "2025-10-31"},
        {"start": "2026-02-16", "end": "2026-02-20"},
        {"start": "2026-05-25", "end": "2026-05-29"},
        {"start": "2026-10-26", "end": "2026-10-30"},
        {"start": "2027-02-15", "end": "2027-02-19"},
        {"start": "2027-05-31", "end": "2027-06-04"},
    ],
    "closures": [
        {"date": "2025-09-03", "session": "both", "reason": "INSET: safeguarding training", "kind": "inset"},
        {"date": "2026-01-05", "session": "both", "reason": "INSET", "kind": "inset"},
        {"date": "2026-05-07", "session": "both", "reason": "Polling station"},
        {"date": "2026-07-01", "session": "PM", "reason": "Year 6 transition afternoon", "year_groups": [6]},
    ],
    "groups": [{"name": f"Year {y}", "year": y, "phase": "primary"} for y in range(1, 7)]
    + [{"name": "Reception", "year": 0, "phase": "primary"}],
}


def make_school(data=None, **overrides) -> School:
    """The school and calendar `import_school` makes of SCHOOL_DATA with `data` and `overrides`;
    after the first import of a payload in a session, a copy of its rows (tests/school_template.py)."""
    payload = {**SCHOOL_DATA, **(data or {}), **overrides}
    return school_template.build(
        payload, import_school, exists=School.objects.filter(urn=str(payload.get("urn", ""))).exists
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Teacher{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    user = factory.SubFactory(UserFactory)
    position = Staff.Position.CLASS_TEACHER
    title = "Ms"


_serial = iter(range(1, 100000))


class PupilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pupil
        skip_postgeneration_save = True

    upn = factory.LazyAttribute(
        lambda o: make_upn(o.school.la_number, o.school.establishment_number, 20, next(_serial) % 1000)
    )
    legal_surname = factory.Sequence(lambda n: f"Pupil{n}")
    legal_forename = "Alex"
    date_of_birth = D(2017, 3, 14)
    sex = "F"
    year = 3

    @factory.lazy_attribute
    def group(self):
        return RegistrationGroup.objects.filter(school=self.school, year=self.year).first()

    @factory.post_generation
    def on_roll(obj, create, extracted, **kwargs):
        """on_roll=(admission, leaving) or a list of such spans; default: from 1 Sept 2025."""
        spans = extracted if extracted is not None else [(D(2025, 9, 1), None)]
        if spans and not isinstance(spans[0], (tuple, list)):
            spans = [spans]
        for admission, leaving, *rest in spans:
            Enrolment.objects.create(
                pupil=obj,
                admission_date=admission,
                leaving_date=leaving,
                registration=rest[0] if rest else Enrolment.Registration.SINGLE,
            )


def make_staff(school, position, username, first_name="Pat", last_name=None, **extra) -> Staff:
    """A member of staff signing in as `username` (surname: the username, unless given)."""
    user = UserFactory(username=username, first_name=first_name, last_name=last_name or username.title())
    return StaffFactory(user=user, school=school, position=position, **extra)


def make_parent(school, username, children, *, email=None, responsibility=True):
    """A parent/carer's account, the first contact of each child (with parental responsibility
    unless told otherwise)."""
    user = UserFactory(username=username, first_name="Jo", last_name="Parent", email=email or f"{username}@example.org")
    for i, child in enumerate(children):
        Contact.objects.create(
            pupil=child,
            priority=1,
            forename="Jo",
            surname="Parent",
            relationship="Mother",
            parental_responsibility=responsibility,
            email=user.email,
            telephone=f"0770090000{i}",
            user=user,
        )
    return user


def year_group(school, year=3) -> RegistrationGroup:
    return RegistrationGroup.objects.get(school=school, year=year)


SYSTEM = Actor(None, "Test suite", "Data import")


def write(school, pupil, marks, *, actor=SYSTEM, source="import", reason=""):
    """Write marks given as {(date, session): code} or [(date, session, code[, minutes])]."""
    items = marks.items() if isinstance(marks, dict) else [((m[0], m[1]), m[2:]) for m in marks]
    entries = []
    for (day, session), value in items:
        code, *minutes = (value,) if isinstance(value, str) else value
        entries.append(
            MarkEntry(
                pupil_id=pupil.id, date=day, session=session, code=code, minutes_late=minutes[0] if minutes else None
            )
        )
    return record_marks(school=school, entries=entries, actor=actor, source=source, reason=reason)
