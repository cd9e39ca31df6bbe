"""The office's first-day calls start from absences no parent/carer has reported."""

import datetime as dt
import uuid

from django.urls import reverse

from absences.services import ReportInput, submit_absence_report
from tests.factories import write

MONDAY = dt.date(2026, 11, 23)


def test_reported_absence_leaves_the_first_day_call_list(school, family, other_family, office, client):
    ada, cy = family["ada"], other_family["cy"]
    for pupil in (ada, cy):
        write(school, pupil, {(MONDAY, "AM"): "N"})
    submit_absence_report(
        user=family["parent"],
        pupils=[ada],
        data=ReportInput(MONDAY, "AM", MONDAY, "PM", "illness", "temperature overnight"),
        submission_key=uuid.uuid4(),
    )
    client.force_login(office.user)
    response = client.get(reverse("absences:office_today"), {"date": MONDAY.isoformat(), "session": "AM"})
    assert response.status_code == 200
    unreported = {m.pupil_id for m in response.context["no_report"]}
    assert unreported == {cy.pk}  # Ada's parent has reported; Cy's has not
    assert {m.pupil_id for m in response.context["n_pupils"]} == {ada.pk, cy.pk}  # both still need a code
