"""The office's year rollover page: the preview of what moves, who leaves, the groups and the intake,
then apply in one step. Thin: registers.rollover holds the rules; the intake goes through the pupil
import's own preview (an ImportRun)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from .imports import preview_import
from .imports.headings import decode
from .models import ImportRun, YearRollover
from .permissions import staff_of
from .roll_forms import RolloverFilesForm
from .roll_views import roll_school
from .rollover import RolloverRefused, apply_rollover, plan_rollover


def _intake(request, school) -> ImportRun | None:
    pk = request.POST.get("intake_run", "")
    if not pk.isdigit():
        return None
    return ImportRun.objects.filter(pk=int(pk), school=school, kind=ImportRun.Kind.PUPILS).first()


@login_required
def rollover(request):
    school = roll_school(request)
    form = RolloverFilesForm(request.POST or None, request.FILES or None)
    staying = {int(x) for x in request.POST.getlist("stay") if x.isdigit()}
    groups_text = request.POST.get("groups_text", "")
    intake = _intake(request, school)
    if request.method == "POST" and form.is_valid():
        if upload := form.cleaned_data.get("groups_file"):
            groups_text, _ = decode(upload.read())
        if upload := form.cleaned_data.get("intake_file"):
            intake = preview_import(
                school=school,
                kind=ImportRun.Kind.PUPILS,
                data=upload.read(),
                file_name=upload.name,
                options={},
                user=request.user,
            )
        if request.POST.get("action") == "apply":
            staff = staff_of(request.user)
            try:
                done = apply_rollover(
                    school=school,
                    user=request.user,
                    applied_by_name=staff.display_name if staff else request.user.get_username(),
                    applied_by_position=staff.get_position_display() if staff else "Administrator",
                    groups_file=groups_text,
                    staying=staying,
                    intake=intake,
                )
            except RolloverRefused as exc:
                messages.error(request, f"Nothing was changed: {exc}.")
            else:
                messages.success(request, f"{school.name} is rolled over into {done.to_year}.")
                return redirect("roll:rollover")
    plan = plan_rollover(
        school=school, today=timezone.localdate(), groups_file=groups_text, staying=staying, intake=intake
    )
    return render(
        request,
        "registers/roll/rollover.html",
        {
            "school": school,
            "form": form,
            "plan": plan,
            "groups_text": groups_text,
            "staying": staying,
            "past": YearRollover.objects.filter(school=school),
        },
    )
