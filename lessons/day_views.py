"""A teacher's lessons today (their own and those they cover), and the office's lessons of a day
with their registers and a form to arrange cover. Each page is a constant number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from registers import timing
from registers.permissions import AGGREGATE_ONLY, require_school, staff_of

from .cover import CoverForm, arrange_cover
from .models import Cover, Lesson, LessonRegister
from .timetable import lessons_on, lessons_taught_by


@dataclass
class LessonItem:
    """One lesson of the day as the pages list it: its register (None until opened), its cover."""

    lesson: Lesson
    day: dt.date
    register: LessonRegister | None
    cover: Cover | None

    @property
    def taken(self) -> bool:
        return self.register is not None and self.register.state != LessonRegister.State.NOT_TAKEN

    @property
    def url(self) -> str:
        if self.register is not None:
            return reverse("lessons:register", args=[self.register.pk])
        return reverse("lessons:register_for", args=[self.lesson.pk, self.day.isoformat()])


def _items(lessons, day: dt.date) -> list[LessonItem]:
    """The lessons with their registers and covers: three queries whatever their number."""
    lessons = list(lessons.select_related("teacher__user"))
    ids = [lesson.pk for lesson in lessons]
    registers = {r.lesson_id: r for r in LessonRegister.objects.filter(lesson_id__in=ids, date=day)}
    covers = {c.lesson_id: c for c in Cover.objects.filter(lesson_id__in=ids, date=day).select_related("teacher__user")}
    return [LessonItem(lesson, day, registers.get(lesson.pk), covers.get(lesson.pk)) for lesson in lessons]


@login_required
def my_lessons(request):
    """The signed-in teacher's lessons today: their own (less any another teacher covers) and
    those they cover, each with its register. Any of a school's staff may teach (a head of year
    does), so only governors and trust leaders are refused."""
    staff = staff_of(request.user)
    if staff is None or staff.school_id is None or staff.position in AGGREGATE_ONLY:
        raise PermissionDenied("Lessons are for the staff who teach them.")
    today = timezone.localtime(timing.now()).date()
    items = _items(lessons_taught_by(staff, today), today)
    return render(request, "lessons/my_lessons.html", {"items": items, "today": today, "staff": staff})


def _day(request) -> dt.date:
    raw = request.GET.get("day") or request.POST.get("day") or ""
    try:
        return dt.date.fromisoformat(raw) if raw else timezone.localtime(timing.now()).date()
    except ValueError:
        return timezone.localtime(timing.now()).date()


@login_required
def office_lessons(request):
    """The office's lessons of a day (today unless `?day=`), with who covers them and their
    registers (any of which the office may take or amend, with a reason), and the cover form."""
    school = require_school(request, "registers.amend_mark", message="Only the office arranges cover.")
    day = _day(request)
    form = CoverForm(request.POST or None, school=school, day=day)
    if request.method == "POST" and form.is_valid():
        cover = arrange_cover(
            lesson=form.cleaned_data["lesson"], day=day, teacher=form.cleaned_data["teacher"], user=request.user
        )
        messages.success(
            request, f"{cover.teacher.display_name} covers {cover.lesson.group.name} {cover.lesson.period.name}."
        )
        return redirect(f"{reverse('lessons:office')}?day={day.isoformat()}")
    items = _items(lessons_on(school, day), day)
    context = {"items": items, "day": day, "form": form, "school": school}
    return render(request, "lessons/office_lessons.html", context, status=400 if form.errors else 200)
