"""The registers app's models, one module per concept; imported here so that Django finds them
and every caller says `from registers.models import X`.

Every record belongs to one school. Marks are written only by `registers.services` (the
register service); their history rows are append-only, enforced by database triggers (see
`registers.audit_triggers`)."""

from .api_tokens import TOKEN_PREFIX, ApiToken, hash_token
from .codes import AttendanceCode, SubReason
from .imports import ImportRun
from .marks import Mark, ProtectedQuerySet, Register
from .notifications import Notification
from .people import Contact, Enrolment, Pupil, RegistrationGroup, Staff
from .retention import RetentionRun
from .roll import CME_GROUNDS, UNNOTIFIED_GROUNDS, Ground, RegisterDeletion, YearRollover
from .school import (
    AM,
    PM,
    PRIMARY,
    REGISTER_PHASES,
    SECONDARY,
    SESSION_CHOICES,
    AcademicYear,
    Closure,
    Holiday,
    RegisterTime,
    School,
    SchoolDay,
    Term,
    Trust,
)

__all__ = [
    "AM",
    "CME_GROUNDS",
    "UNNOTIFIED_GROUNDS",
    "PM",
    "PRIMARY",
    "REGISTER_PHASES",
    "SECONDARY",
    "SESSION_CHOICES",
    "TOKEN_PREFIX",
    "AcademicYear",
    "ApiToken",
    "AttendanceCode",
    "Closure",
    "Contact",
    "Enrolment",
    "Ground",
    "Holiday",
    "ImportRun",
    "Mark",
    "Notification",
    "ProtectedQuerySet",
    "Pupil",
    "Register",
    "RegisterDeletion",
    "RegisterTime",
    "RegistrationGroup",
    "RetentionRun",
    "School",
    "SchoolDay",
    "Staff",
    "SubReason",
    "Term",
    "Trust",
    "YearRollover",
    "hash_token",
]
