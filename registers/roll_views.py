"""The office's pages for the admission register: delete a pupil's name (with its ground), the
deletions and the notifications the local authority is sent (printable, and as CSV). Thin: the
rules are in registers.leaving."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from .leaving import CSV_HEADINGS, DeletionRefused, csv_row, delete_from_register, notifications
from .models import Pupil, RegisterDeletion
from .permissions import require_school, staff_of
from .roll_forms import DeletionForm

NOT_ALLOWED = "The admission register is kept by the office, the data manager, the attendance officer and the head."


def roll_school(request):
    return require_school(request, "registers.manage_roll", message=NOT_ALLOWED)


@login_required
def delete_pupil(request, pk):
    school = roll_school(request)
    pupil = get_object_or_404(Pupil, pk=pk, school=school)
    today = timezone.localdate()
    initial = {"deleted_on": today, "ground": request.GET.get("ground", "")}
    form = DeletionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        staff = staff_of(request.user)
        data = form.cleaned_data
        try:
            deletion = delete_from_register(
                pupil=pupil,
                ground=data["ground"],
                deleted_on=data["deleted_on"],
                destination=data["destination"],
                enquiries=data["enquiries"],
                user=request.user,
                recorded_by_name=(staff.display_name if staff else request.user.get_username()),
                recorded_by_position=(staff.get_position_display() if staff else "Administrator"),
            )
        except DeletionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{pupil.name}'s name is deleted from the admission register.")
            return redirect("roll:deletion", pk=deletion.pk)
    return render(
        request,
        "registers/roll/delete_pupil.html",
        {"school": school, "pupil": pupil, "form": form, "enrolments": pupil.enrolments.all()},
    )


@login_required
def deletions(request):
    school = roll_school(request)
    rows = RegisterDeletion.objects.filter(school=school).select_related("pupil")
    return render(request, "registers/roll/deletions.html", {"school": school, "deletions": rows})


@login_required
def deletion(request, pk):
    """The notification to the local authority, laid out to print (or save as PDF from the browser)."""
    school = roll_school(request)
    record = get_object_or_404(RegisterDeletion.objects.select_related("pupil"), pk=pk, school=school)
    return render(
        request, "registers/roll/deletion.html", {"school": school, "deletion": record, "n": record.notification}
    )


@login_required
def notifications_csv(request):
    school = roll_school(request)
    cme_only = request.GET.get("cme") == "1"
    if request.GET.get("cme") not in (None, "", "0", "1"):
        raise Http404("Unknown filter")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = "cme-notifications" if cme_only else "deletion-notifications"
    response["Content-Disposition"] = f'attachment; filename="{name}-{school.urn}-{timezone.localdate():%Y-%m-%d}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 with a byte-order mark
    writer = csv.writer(response)
    writer.writerow(CSV_HEADINGS)
    for row in notifications(school, cme_only=cme_only):
        writer.writerow([_safe(v) for v in csv_row(row)])
    return response


def _safe(value: str) -> str:
    """A cell a spreadsheet would run as a formula is written as text: one starting with = + - @ (after
    any white space, which spreadsheets skip) or with a tab, carriage return or line feed."""
    value = str(value)
    return "'" + value if value.lstrip()[:1] in ("=", "+", "-", "@") or value[:1] in ("\t", "\r", "\n") else value
