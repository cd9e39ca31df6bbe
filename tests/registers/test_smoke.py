import datetime as dt

from registers.models import Mark, SchoolDay
from registers.selectors import attendance_statistics
from tests.factories import PupilFactory, write

D = dt.date


def test_school_calendar_and_a_mark(school):
    assert SchoolDay.objects.filter(school=school).count() > 370
    pupil = PupilFactory(school=school)
    write(school, pupil, {(D(2025, 9, 4), "AM"): "/", (D(2025, 9, 4), "PM"): "I"})
    assert Mark.objects.count() == 2
    assert Mark.history.count() == 2
    rows = attendance_statistics(school=school, date_from=D(2025, 9, 1), date_to=D(2025, 9, 30))
    assert rows[0].figures.possible == 2 and rows[0].figures.authorised == 1
