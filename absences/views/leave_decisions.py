"""Leave requests for the head (or the school's named delegate) to decide, with the facts to weigh,
and for the office to record refused leave that was taken anyway."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from ..forms import GrantForm, RefuseForm, TakenForm
from ..models import LeaveRequest
from ..permissions import can_decide_leave
from ..selectors.leave import leave_facts, leave_requests_decided, leave_requests_waiting, marks_during
from ..services.errors import AbsenceError
from ..services.leave import grant_leave, record_refused_leave_taken, refuse_leave
from .access import leave_access_required


@leave_access_required
def office_leave_list(request):
    return render(
        request,
        "absences/office_leave_list.html",
        {
            "waiting": leave_requests_waiting(request.school),
            "decided": leave_requests_decided(request.school),
            "can_decide": can_decide_leave(request.user, request.school),
        },
    )


@leave_access_required
def office_leave(request, pk):
    leave = get_object_or_404(LeaveRequest.objects.select_related("pupil", "school"), pk=pk, school=request.school)
    can_decide = can_decide_leave(request.user, request.school)
    initial = {
        "start_date": leave.start_date,
        "start_session": leave.start_session,
        "end_date": leave.end_date,
        "end_session": leave.end_session,
    }
    grant_form, refuse_form, taken_form = GrantForm(initial=initial), RefuseForm(), TakenForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "grant":
                grant_form = GrantForm(request.POST)
                if grant_form.is_valid():
                    d = grant_form.cleaned_data
                    marks = grant_leave(
                        leave_request=leave,
                        user=request.user,
                        start_date=d["start_date"],
                        start_session=d["start_session"],
                        end_date=d["end_date"],
                        end_session=d["end_session"],
                        reason=d["reason"],
                    )
                    messages.success(
                        request, f"Leave granted: {len(marks)} sessions recorded as {leave.CODES[leave.circumstance]}."
                    )
                    return redirect("absences:office_leave", pk=leave.pk)
            elif action == "refuse":
                refuse_form = RefuseForm(request.POST)
                if refuse_form.is_valid():
                    refuse_leave(leave_request=leave, user=request.user, reason=refuse_form.cleaned_data["reason"])
                    messages.success(request, "Leave refused; the parent has been told.")
                    return redirect("absences:office_leave", pk=leave.pk)
            elif action == "taken":
                taken_form = TakenForm(request.POST)
                if taken_form.is_valid():
                    marks = record_refused_leave_taken(
                        leave_request=leave, user=request.user, code=taken_form.cleaned_data["code"]
                    )
                    messages.success(request, f"{len(marks)} sessions coded {taken_form.cleaned_data['code']}.")
                    return redirect("absences:office_leave", pk=leave.pk)
        except AbsenceError as exc:
            messages.error(request, exc.message)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or "You can't decide leave requests.")
    return render(
        request,
        "absences/office_leave.html",
        {
            "leave": leave,
            "facts": leave_facts(leave),
            "can_decide": can_decide,
            "grant_form": grant_form,
            "refuse_form": refuse_form,
            "taken_form": taken_form,
            "marks": marks_during(leave),
        },
    )
