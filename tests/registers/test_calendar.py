"""The school calendar on real 2025/26 and 2026/27 dates: which days have sessions, how school
weeks and half-terms are numbered, and the register-time rules (RULES.md, "Sessions and
registers")."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from registers.calendar import describe_non_school_day, rebuild_school_days
from registers.imports import ImportRejected
from registers.models import RegisterTime, SchoolDay
from tests.factories import SCHOOL_DATA, make_school

D = dt.date


def day_row(school, day):
    return SchoolDay.objects.filter(school=school, date=day).first()


def is_school_day(school, day) -> bool:
    return SchoolDay.objects.filter(school=school, date=day).exists()


NO_SESSIONS = [
    D(2025, 9, 6),  # Saturday
    D(2025, 9, 7),  # Sunday
    D(2026, 5, 4),  # early May bank holiday, inside the summer term
    D(2025, 12, 25),  # Christmas Day
    D(2026, 4, 3),  # Good Friday
    D(2026, 4, 6),  # Easter Monday
    D(2025, 9, 3),  # INSET day, first day of the autumn term
    D(2026, 1, 5),  # INSET day, first day of the spring term
    D(2025, 10, 29),  # autumn half-term
    D(2026, 2, 16),  # spring half-term
    D(2026, 5, 27),  # summer half-term
    D(2025, 12, 22),  # Christmas holiday
    D(2026, 8, 3),  # summer holiday
    D(2026, 8, 31),  # summer bank holiday
]


def test_days_without_sessions(school):
    assert [day for day in NO_SESSIONS if is_school_day(school, day)] == []


SESSIONS = [
    D(2025, 9, 4),  # first day for pupils after the INSET day
    D(2026, 5, 5),  # day after the bank holiday
    D(2026, 5, 7),  # planned closure: still a school day, coded #
    D(2026, 7, 1),  # Year 6 closure in the afternoon only
    D(2026, 7, 22),  # last day of the year
    D(2026, 9, 3),  # first day of 2026/27
]


def test_days_with_sessions(school):
    assert [day for day in SESSIONS if not is_school_day(school, day)] == []


def test_school_days_per_half_term_2025_26(school):
    """Counted by hand from the term dates: 193 days, over the statutory 190."""
    counts = {
        half: SchoolDay.objects.filter(school=school, date__lte=D(2026, 7, 31), half_term=half).count()
        for half in range(1, 7)
    }
    assert counts == {1: 37, 2: 35, 3: 29, 4: 25, 5: 29, 6: 38}
    assert sum(counts.values()) == 193


HALF_TERMS = [
    (D(2025, 9, 4), 1),
    (D(2025, 10, 24), 1),
    (D(2025, 11, 3), 2),
    (D(2025, 12, 19), 2),
    (D(2026, 1, 6), 3),
    (D(2026, 2, 23), 4),
    (D(2026, 4, 13), 5),
    (D(2026, 5, 22), 5),
    (D(2026, 6, 1), 6),
    (D(2026, 7, 22), 6),
    (D(2026, 9, 3), 1),  # numbering starts again each academic year
    (D(2027, 7, 21), 6),
]


def test_half_terms_are_numbered_1_to_6_each_year(school):
    assert [(day, day_row(school, day).half_term) for day, _ in HALF_TERMS] == HALF_TERMS


WEEKS = [
    (D(2025, 9, 4), 1),  # a short first week still counts
    (D(2025, 10, 24), 8),
    (D(2025, 11, 3), 9),  # half-term week is not a school week
    (D(2025, 12, 19), 15),
    (D(2026, 1, 6), 16),  # the week after Christmas is the next number
    (D(2026, 5, 5), 30),  # the bank-holiday week still counts
    (D(2026, 7, 22), 40),
    (D(2026, 9, 3), 41),  # continues across the academic-year boundary
    (D(2026, 9, 7), 42),
]


def test_school_week_numbers_continue_across_holidays_and_years(school):
    assert [(day, day_row(school, day).week_number) for day, _ in WEEKS] == WEEKS


def test_every_day_of_a_calendar_week_shares_its_number(school):
    weeks = set(
        SchoolDay.objects.filter(school=school, date__range=(D(2026, 5, 4), D(2026, 5, 8))).values_list(
            "week_number", flat=True
        )
    )
    assert weeks == {30}


def test_rebuilding_the_calendar_is_idempotent(school):
    before = list(SchoolDay.objects.filter(school=school).values_list("date", "week_number", "half_term"))
    assert rebuild_school_days(school) == len(before)
    after = list(SchoolDay.objects.filter(school=school).values_list("date", "week_number", "half_term"))
    assert after == before


DESCRIPTIONS = [
    (D(2025, 9, 6), "Saturday is a weekend"),
    (D(2026, 5, 4), "04 May 2026 is a bank holiday (May Day)"),
    (D(2025, 12, 25), "25 Dec 2025 is a bank holiday (Christmas Day)"),
    (D(2025, 9, 3), "03 Sep 2025 is an INSET day"),
    (D(2025, 10, 29), "29 Oct 2025 is in the half-term holiday"),
    (D(2025, 12, 22), "22 Dec 2025 is outside term time"),
]


def test_describe_non_school_day(school):
    assert [(day, describe_non_school_day(school, day)) for day, _ in DESCRIPTIONS] == DESCRIPTIONS


# --- register times -------------------------------------------------------------------------


def register_time(school, **times):
    values = {"opens": dt.time(8, 50), "late_after": dt.time(9, 0), "closes": dt.time(9, 20)} | times
    return RegisterTime(school=school, phase="secondary", session="AM", **values)


def test_register_open_thirty_minutes_is_allowed(school):
    rt = register_time(school, closes=dt.time(9, 20))
    rt.save()
    assert rt.open_minutes == 30


def test_register_open_more_than_thirty_minutes_is_refused(school):
    with pytest.raises(ValidationError, match="no more than 30 minutes"):
        register_time(school, closes=dt.time(9, 21)).save()
    assert not RegisterTime.objects.filter(school=school, phase="secondary").exists()


@pytest.mark.parametrize(
    "times",
    [
        {"late_after": dt.time(8, 45)},  # late before the register opens
        {"late_after": dt.time(9, 25)},  # late after it closes
        {"opens": dt.time(9, 25)},  # opens after it closes
    ],
)
def test_register_times_must_run_opens_late_after_closes(school, times):
    with pytest.raises(ValidationError, match="opens ≤ late after ≤ closes"):
        register_time(school, **times).save()


def test_import_school_refuses_a_register_open_too_long(db):
    data = {
        **SCHOOL_DATA,
        "register_times": {"primary": {"am": {"opens": "08:45", "late_after": "09:00", "closes": "09:30"}}},
    }
    with pytest.raises(ImportRejected) as rejected:
        make_school(data)
    assert any("no more than 30 minutes" in p.message for p in rejected.value.problems)
    assert not SchoolDay.objects.exists()


def test_imported_register_times(school):
    times = {(rt.phase, rt.session): rt for rt in RegisterTime.objects.filter(school=school)}
    assert set(times) == {("primary", "AM"), ("primary", "PM")}
    assert times["primary", "AM"].late_after == dt.time(9, 0)
    assert all(rt.open_minutes <= 30 for rt in times.values())


def test_every_register_must_stay_open_the_same_length(db):
    data = {
        **SCHOOL_DATA,
        "register_times": {
            "primary": {
                "am": {"opens": "08:50", "late_after": "09:00", "closes": "09:20"},  # 30 minutes
                "pm": {"opens": "13:00", "late_after": "13:05", "closes": "13:15"},  # 15 minutes
            }
        },
    }
    with pytest.raises(ImportRejected) as rejected:
        make_school(data)
    assert any(
        "same length of time" in p.message and "Primary PM 15 minutes" in p.message for p in rejected.value.problems
    )


def test_changing_one_register_time_must_keep_the_lengths_equal(school):
    """Times already held count: a file changing only the afternoon cannot make it shorter."""
    pm_only = {"primary": {"pm": {"opens": "13:00", "late_after": "13:05", "closes": "13:20"}}}
    with pytest.raises(ImportRejected, match="problem"):
        make_school(register_times=pm_only)
    assert RegisterTime.objects.get(school=school, session="PM").closes == dt.time(13, 30)
    make_school(register_times={"primary": {"pm": {"opens": "13:05", "late_after": "13:15", "closes": "13:35"}}})
    assert RegisterTime.objects.get(school=school, session="PM").opens == dt.time(13, 5)


def test_the_admin_refuses_a_register_time_of_a_different_length(school):
    """The same rule holds when times are edited one at a time in the admin."""
    from registers.admin import RegisterTimeForm
    from registers.models import RegisterTime

    pm = RegisterTime.objects.get(school=school, phase="primary", session="PM")
    shorter = {"school": school.pk, "phase": "primary", "session": "PM", "opens": "13:00", "late_after": "13:05"}
    form = RegisterTimeForm(data={**shorter, "closes": "13:10"}, instance=pm)
    assert not form.is_valid()
    assert "same length of time" in str(form.errors)
    same = RegisterTime.objects.get(school=school, phase="primary", session="AM").open_minutes
    closes = (dt.datetime.combine(dt.date.min, dt.time(13, 0)) + dt.timedelta(minutes=same)).time()
    pm.refresh_from_db()
    assert RegisterTimeForm(data={**shorter, "closes": f"{closes:%H:%M}"}, instance=pm).is_valid()
