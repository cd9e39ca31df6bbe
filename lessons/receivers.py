"""What lessons does when something happens elsewhere: the internal-truancy check runs when a lesson
register's marks are written, and a late sign-in at the office clears the pupil's open alerts.
Connected by importing this module in `LessonsConfig.ready`."""

from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from registers import timing
from registers.models import Mark
from registers.signals import Waiting, marks_recorded, office_waiting

from .missing import missing_lesson_registers
from .models import LessonRegister
from .signals import lesson_marks_written
from .truancy import check_lesson_register, open_count, resolve_after_sign_in, years_looked_after


@receiver(lesson_marks_written, sender=LessonRegister, dispatch_uid="lessons.truancy_check")
def _check_truancy(sender, *, register, now, **kwargs):
    """Every pupil of the lesson is judged, not only `pupil_ids`: a pupil left unmarked has no mark
    written and is the one most likely to be missing."""
    check_lesson_register(register_id=register.pk, now=now)


@receiver(marks_recorded, sender=Mark, dispatch_uid="lessons.truancy_sign_in")
def _cleared_by_sign_in(sender, *, school, marks, now, **kwargs):
    resolve_after_sign_in(school=school, marks=marks, now=now)


@receiver(office_waiting, dispatch_uid="lessons.office_waiting")
def _office_waiting(sender, *, school, staff=None, **kwargs):
    """The office's (and a head of year's) home page counts today's open alerts and lessons with no
    register, for the years the reader looks after. Nothing for a school with no timetable."""
    if not school.lessons.exists():
        return []
    now = timing.now()
    years = years_looked_after(staff)
    return [
        Waiting(
            "Pupils missing from lessons (internal truancy)",
            open_count(school, timezone.localtime(now).date(), years=years),
            reverse("lessons:truancy"),
            order=5,
        ),
        Waiting(
            "Lesson registers not taken",
            len(missing_lesson_registers(school, now, years=years)),
            reverse("lessons:missing-registers"),
            order=35,
        ),
    ]
