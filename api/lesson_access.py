"""Who may see and take lesson registers and lesson marks through the API, as rules perms and as
the matching querysets (`api.permissions` does the same for the statutory registers).

- An API token: its own school's lessons (a read token reads; a write token may also write).
- The office team: their school's lessons. Administrators: every school's.
- A teacher: the lessons they teach (the lesson's teacher or a teacher of its class) or cover.
- Governors and trust leaders: none — they see figures, never a lesson's pupils (403).
- Parents: none; a pupil's lessons are for staff (the parents' pages show the AM/PM sessions).

Who may write a given register — the lesson's teacher, the teacher covering it, the office — is
the lesson taking service's rule (`lessons.taking.lesson_taker`); a write token writes as its
integration."""

from __future__ import annotations

import rules
from django.db.models import Exists, OuterRef, Q
from rest_framework import permissions

from lessons.models import Cover, Lesson, LessonMark, LessonRegister
from registers.permissions import AGGREGATE_ONLY, OFFICE_TEAM, is_office_team, is_superuser, staff_of

from .authentication import token_of
from .permissions import is_integration, is_writing_integration


@rules.predicate
def teaches_register_lesson(user, register):
    """The lesson's teacher, a teacher of its class, or the teacher covering it that day."""
    staff = staff_of(user)
    if register is None or staff is None or staff.school_id != register.school_id:
        return False
    if _taught(staff).filter(pk=register.lesson_id).exists() or register.cover_teacher_id == staff.pk:
        return True
    return Cover.objects.filter(lesson_id=register.lesson_id, date=register.date, teacher=staff).exists()


rules.add_perm(
    "lessons.api_view_lesson_register", is_office_team | teaches_register_lesson | is_integration | is_superuser
)
rules.add_perm("lessons.api_write_as_integration", is_writing_integration)


class NotAggregateOnly(permissions.BasePermission):
    """Governors and trust leaders read figures (the statistics endpoints), not lessons."""

    message = "Governors and trust leaders see attendance figures, never a lesson's pupils."

    def has_permission(self, request, view):
        staff = staff_of(request.user)
        return staff is None or staff.position not in AGGREGATE_ONLY


def _taught(staff):
    """The lessons a teacher teaches: their own, and their classes'."""
    return Lesson.objects.filter(school_id=staff.school_id).filter(
        pk__in=Lesson.objects.filter(Q(teacher=staff) | Q(group__teachers=staff)).values("pk")
    )


def visible_lessons(user):
    """Lessons whose registers the principal may see on every date (a cover teacher sees a
    lesson's register on the dates they cover it: `visible_lesson_registers`)."""
    token = token_of(user)
    if token is not None:
        return Lesson.objects.filter(school_id=token.school_id)
    if user.is_superuser:
        return Lesson.objects.all()
    staff = staff_of(user)
    if staff is None or staff.position in AGGREGATE_ONLY:
        return Lesson.objects.none()
    if staff.position in OFFICE_TEAM:
        return Lesson.objects.filter(school_id=staff.school_id)
    return _taught(staff)


def covered_by(user):
    """(lesson, date) pairs the principal covers, as a condition on a register or mark."""
    staff = staff_of(user)
    if staff is None or staff.position in AGGREGATE_ONLY or token_of(user) is not None:
        return Q(pk__in=[])
    covers = Cover.objects.filter(lesson_id=OuterRef("lesson_id"), date=OuterRef("date"), teacher=staff)
    return Q(Exists(covers)) | Q(cover_teacher=staff)


def visible_lesson_registers(user):
    return LessonRegister.objects.filter(Q(lesson__in=visible_lessons(user)) | covered_by(user))


def visible_lesson_marks(user):
    return LessonMark.objects.filter(register__in=visible_lesson_registers(user))
