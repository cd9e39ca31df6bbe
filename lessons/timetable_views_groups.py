"""The timetable pages for teaching groups: the list (and a new group), a group's page (its
subject, year and teachers; its pupils, who join and leave on dates; its lessons, changed from
a date), and a lesson's page (changed from a date, or ended). Thin: `timetable_services` writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .imports.dated import holding_from
from .models import Lesson, Membership, TeachingGroup
from .timetable_forms import EndForm, GroupForm, JoinForm, LessonForm
from .timetable_permissions import timetable_school
from .timetable_services import TimetableError, end_lesson, join_group, leave_group, save_lesson


@login_required
def groups(request):
    school = timetable_school(request)
    form = GroupForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        form.instance.school = school
        form.instance._change_reason = "timetable groups page"
        group = form.save()
        messages.success(request, f"{group.name} is added: add its pupils and lessons below.")
        return redirect("lessons:timetable:group", pk=group.pk)
    today = timezone.localdate()
    listed = (
        TeachingGroup.objects.filter(school=school)
        .prefetch_related("teachers__user")
        .annotate(
            pupils=Count("memberships", filter=_members_on(today), distinct=True),
            lesson_count=Count(
                "lessons", filter=Q(lessons__valid_to__isnull=True) | Q(lessons__valid_to__gte=today), distinct=True
            ),
        )
    )
    return render(request, "lessons/timetable/groups.html", {"school": school, "form": form, "groups": listed})


def _members_on(day):
    return Q(memberships__starts__lte=day) & (Q(memberships__ends__isnull=True) | Q(memberships__ends__gte=day))


@login_required
def group(request, pk):
    school = timetable_school(request)
    group = get_object_or_404(TeachingGroup, pk=pk, school=school)
    today = timezone.localdate()
    form = GroupForm(request.POST or None, instance=group, school=school, prefix="group")
    if request.method == "POST" and form.is_valid():
        form.instance._change_reason = "timetable groups page"
        form.save()
        messages.success(request, f"{group.name} is saved.")
        return redirect("lessons:timetable:group", pk=group.pk)
    return render(request, "lessons/timetable/group.html", _group_context(school, group, today, form=form))


def _group_context(school, group, today, **forms):
    members = (
        Membership.objects.filter(group=group)
        .filter(Q(ends__isnull=True) | Q(ends__gte=today))
        .select_related("pupil")
        .order_by("pupil__legal_surname", "pupil__legal_forename")
    )
    lessons = (
        Lesson.objects.filter(group=group)
        .filter(holding_from(today))
        .select_related("period", "room", "teacher__user")
        .order_by("weekday", "period__starts", "valid_from")
    )
    context = {
        "school": school,
        "group": group,
        "members": members,
        "lessons": lessons,
        "today": today,
        "form": GroupForm(instance=group, school=school, prefix="group"),
        "join_form": JoinForm(school=school, prefix="join"),
        "lesson_form": LessonForm(school=school, prefix="lesson"),
    }
    context.update(forms)
    return context


@login_required
@require_POST
def group_join(request, pk):
    school = timetable_school(request)
    group = get_object_or_404(TeachingGroup, pk=pk, school=school)
    form = JoinForm(request.POST, school=school, prefix="join")
    if form.is_valid():
        try:
            join_group(group=group, pupil=form.cleaned_data["pupil"], starts=form.cleaned_data["starts"])
        except TimetableError as exc:
            form.add_error(None, str(exc))
        else:
            pupil = form.cleaned_data["pupil"]
            messages.success(request, f"{pupil.legal_forename} {pupil.legal_surname} joins {group.name}.")
            return redirect("lessons:timetable:group", pk=group.pk)
    context = _group_context(school, group, timezone.localdate(), join_form=form)
    return render(request, "lessons/timetable/group.html", context, status=400)


@login_required
@require_POST
def membership_end(request, pk):
    school = timetable_school(request)
    membership = get_object_or_404(Membership.objects.select_related("group", "pupil"), pk=pk, group__school=school)
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            leave_group(membership=membership, last_day=form.cleaned_data["last_day"])
        except TimetableError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"{membership.pupil.legal_forename} {membership.pupil.legal_surname} leaves "
                f"{membership.group.name} after {membership.ends:%d/%m/%Y}.",
            )
    else:
        messages.error(request, "Give the pupil's last day in the group.")
    return redirect("lessons:timetable:group", pk=membership.group_id)


@login_required
@require_POST
def lesson_add(request, pk):
    school = timetable_school(request)
    group = get_object_or_404(TeachingGroup, pk=pk, school=school)
    form = LessonForm(request.POST, school=school, prefix="lesson")
    if form.is_valid() and _save_lesson(request, form, school, group, None):
        return redirect("lessons:timetable:group", pk=group.pk)
    context = _group_context(school, group, timezone.localdate(), lesson_form=form)
    return render(request, "lessons/timetable/group.html", context, status=400)


@login_required
def lesson(request, pk):
    school = timetable_school(request)
    lesson = get_object_or_404(Lesson.objects.select_related("group", "period"), pk=pk, school=school)
    on = max(lesson.valid_from, timezone.localdate())  # the periods a change can move it to
    form = LessonForm(request.POST or None, instance=lesson, school=school, on=on)
    end_form = EndForm(request.POST if "last_day" in request.POST else None)
    if request.method == "POST" and "last_day" in request.POST:
        if end_form.is_valid():
            try:
                what = end_lesson(lesson=lesson, last_day=end_form.cleaned_data["last_day"])
            except TimetableError as exc:
                end_form.add_error(None, str(exc))
            else:
                messages.success(request, f"{lesson}: {what}.")
                return redirect("lessons:timetable:group", pk=lesson.group_id)
        form = LessonForm(instance=lesson, school=school, on=on)
    elif request.method == "POST" and form.is_valid() and _save_lesson(request, form, school, lesson.group, lesson):
        return redirect("lessons:timetable:group", pk=lesson.group_id)
    registers = lesson.registers.order_by("-date")[:5]
    return render(
        request,
        "lessons/timetable/lesson.html",
        {"school": school, "lesson": lesson, "form": form, "end_form": end_form, "registers": registers},
    )


def _save_lesson(request, form, school, group, lesson) -> bool:
    data = form.cleaned_data
    values = {k: data[k] for k in ("weekday", "period", "week", "room", "teacher")}
    try:
        saved = save_lesson(school=school, group=group, lesson=lesson, values=values, day=data["valid_from"])
    except TimetableError as exc:
        form.add_error(None, str(exc))
        return False
    messages.success(request, f"{saved} is saved, from {saved.valid_from:%d/%m/%Y}.")
    return True
