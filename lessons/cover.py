"""Arranging cover: the office names the teacher who covers one lesson on one date. The cover
teacher then finds the lesson among their own (`timetable.lessons_taught_by`) and may take its
register, recorded as the cover teacher (`lessons.taking`)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db import transaction

from registers.models import Staff
from registers.permissions import AGGREGATE_ONLY

from .models import Cover, Lesson
from .timetable import lessons_on


def cover_staff(school):
    """Who may cover a lesson: the school's staff who are not governors or trust leaders."""
    return (
        Staff.objects.filter(school=school, user__is_active=True)
        .exclude(position__in=AGGREGATE_ONLY)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )


class CoverForm(forms.Form):
    """The office's cover form: a lesson of the day, and the teacher covering it."""

    lesson = forms.ModelChoiceField(queryset=Lesson.objects.none(), label="Lesson", empty_label="Choose a lesson")
    teacher = forms.ModelChoiceField(queryset=Staff.objects.none(), label="Covered by", empty_label="Choose a teacher")

    def __init__(self, *args, school, day: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.day = day
        self.fields["lesson"].queryset = lessons_on(school, day)
        self.fields["lesson"].label_from_instance = lambda lesson: (
            f"{lesson.period.name} {lesson.period.starts:%H:%M} · {lesson.group.name} "
            f"({lesson.teacher.display_name if lesson.teacher else 'no teacher'})"
        )
        self.fields["teacher"].queryset = cover_staff(school)
        self.fields["teacher"].label_from_instance = lambda staff: staff.display_name

    def clean(self):
        data = super().clean()
        lesson, teacher = data.get("lesson"), data.get("teacher")
        if lesson is not None and teacher is not None and lesson.teacher_id == teacher.pk:
            raise forms.ValidationError(f"{teacher.display_name} teaches {lesson.group.name}: choose someone else.")
        return data


def arrange_cover(*, lesson: Lesson, day: dt.date, teacher: Staff, user) -> Cover:
    """Record (or change) who covers `lesson` on `day`, kept in the cover's history."""
    with transaction.atomic():
        cover = Cover.objects.select_for_update().filter(lesson=lesson, date=day).first()
        if cover is None:
            cover = Cover(lesson=lesson, date=day)
        cover.teacher = teacher
        cover.arranged_by = user
        cover._history_user = user
        cover.save()
    return cover
