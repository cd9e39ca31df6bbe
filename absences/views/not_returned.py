"""The office's list of pupils who meet the ground "not back within 10 school days after granted leave
ended": the prompt for joint enquiries with the LA, with a link to delete the pupil from the register."""

from __future__ import annotations

from django.shortcuts import render

from ..selectors.not_returned import SCHOOL_DAYS_TO_RETURN, not_returned_after_leave
from .access import office_required


@office_required
def office_not_returned(request):
    return render(
        request,
        "absences/office_not_returned.html",
        {
            "rows": not_returned_after_leave(request.school),
            "days": SCHOOL_DAYS_TO_RETURN,
            "can_delete": request.user.has_perm("registers.manage_roll"),
        },
    )
