"""Statistics through the API are the selectors' figures."""

import datetime as dt

import pytest

from registers.selectors import attendance_statistics, pupil_figures, total_figures
from tests.api.conftest import MONDAY
from tests.factories import write

pytestmark = pytest.mark.django_db
PERIOD = {"date_from": "2026-09-01", "date_to": "2026-12-31"}
D_FROM, D_TO = dt.date(2026, 9, 1), dt.date(2026, 12, 31)


@pytest.fixture
def marked(school, pupils):
    days = [MONDAY + dt.timedelta(days=i) for i in range(4)]
    write(school, pupils[0], {(d, s): "/" for d in days for s in ("AM", "PM")})
    write(school, pupils[1], {(days[0], "AM"): "U", (days[0], "PM"): "I", (days[1], "AM"): "/", (days[1], "PM"): "L"})
    write(school, pupils[2], {(days[0], "AM"): "N", (days[0], "PM"): "N"})
    return pupils


def test_pupil_statistics_match_the_selector(school, reader, marked):
    for pupil in marked:
        data = reader.get(f"/api/v1/pupils/{pupil.pk}/statistics/", PERIOD).json()
        expected = pupil_figures(
            school=school, date_from=D_FROM, date_to=D_TO, pupils=[pupil.pk], with_codes=True, include_subsidiary=True
        )[pupil.pk]
        figures = data["figures"]
        assert figures["possible"] == expected.possible
        assert figures["attendance_percent"] == expected.attendance_percent
        assert figures["unauthorised"] == expected.unauthorised
        assert figures["persistent"] == expected.persistent
        assert figures["by_code"] == expected.by_code


def test_statistics_list_matches_attendance_statistics(school, reader, marked):
    data = reader.get("/api/v1/statistics/pupils/", PERIOD).json()
    rows = attendance_statistics(school=school, date_from=D_FROM, date_to=D_TO)
    assert [(r["pupil"], r["figures"]["absent"]) for r in data] == [(r.pupil.pk, r.figures.absent) for r in rows]


def test_cohort_matches_total_figures(school, reader, marked, group):
    data = reader.get("/api/v1/statistics/cohort/", {**PERIOD, "group": group.pk}).json()
    totals = total_figures(school=school, date_from=D_FROM, date_to=D_TO, pupils=marked, with_codes=True)
    assert data["suppressed"] is False and data["pupils"] == 3
    assert data["figures"]["possible"] == totals.possible == 14
    assert data["figures"]["absence_percent"] == totals.absence_percent
    assert data["figures"]["by_code"] == totals.by_code
    assert data["persistent_absentees"] == 2  # 2 of 4 and 2 of 2 sessions missed


def test_date_range_is_validated(reader, marked):
    response = reader.get("/api/v1/statistics/cohort/", {"date_from": "2026-12-31", "date_to": "2026-09-01"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "date_to", "reason": "must be on or after date_from."}]
    missing = reader.get(f"/api/v1/pupils/{marked[0].pk}/statistics/")
    assert {e["field"] for e in missing.json()["errors"]} == {"date_from", "date_to"}
