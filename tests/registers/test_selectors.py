"""Attendance statistics and the penalty-notice threshold (RULES.md, "Statistics" and
"Penalty-notice national framework"), checked on hand-built registers and, with hypothesis,
against a plain-Python reading of the rules on random registers."""

import datetime as dt
from fractions import Fraction

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from registers.models import AttendanceCode, Enrolment, Mark, SchoolDay
from registers.selectors import (
    AttendanceFigures,
    amended_marks_history,
    attendance_statistics,
    penalty_threshold,
    penalty_window,
    pupil_figures,
    total_figures,
)
from registers.upn import make_upn
from tests.factories import PupilFactory, write

D = dt.date
SUB = Enrolment.Registration.SUBSIDIARY

# RULES.md, "Statistics (DfE definitions)"
PRESENT = {"/", "\\", "L"}
APPROVED = {"K", "V", "P", "W", "B"}
AUTHORISED = {"C1", "M", "J1", "S", "C2", "C", "T", "R", "I", "E"}
UNAUTHORISED = {"G", "N", "O", "U"}
NOT_POSSIBLE = {"#", "X", "D", "Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "Z"}
PENALTY = {"G", "N", "O", "U"}  # "Penalty-notice national framework": L never counts


def school_days(school, start, end):
    return list(SchoolDay.objects.filter(school=school, date__range=(start, end)).values_list("date", flat=True))


def sessions(school, start, end):
    """Every (date, session) the school meets between two dates, in order."""
    return [(day, s) for day in school_days(school, start, end) for s in ("AM", "PM")]


def mark_all(school, pupil, slots, codes):
    """Write `codes` in order into the given sessions (a present code follows the session)."""
    assert len(slots) >= len(codes)
    write(school, pupil, dict(zip(slots, codes, strict=False)))


ALL_YEARS = (D(2023, 9, 1), D(2027, 7, 31))


def figures_for(school, pupil, start=ALL_YEARS[0], end=ALL_YEARS[1], **kwargs) -> AttendanceFigures:
    return pupil_figures(school=school, date_from=start, date_to=end, pupils=[pupil], **kwargs).get(
        pupil.id, AttendanceFigures()
    )


# --- the code table -------------------------------------------------------------------------------


def test_code_table_categories_match_the_rules(db):
    current = [c for c in AttendanceCode.objects.all() if c.valid_on(D(2025, 9, 8))]
    by_category = {}
    for code in current:
        by_category.setdefault(code.category, set()).add(code.code)
    assert by_category == {
        "present": PRESENT,
        "approved_educational_activity": APPROVED,
        "authorised_absence": AUTHORISED,
        "unauthorised_absence": UNAUTHORISED,
        "not_counted": NOT_POSSIBLE,
    }
    assert {c.code for c in current if not c.possible} == NOT_POSSIBLE
    assert {c.code for c in current if c.penalty_threshold} == PENALTY
    assert {c.code for c in current if c.deletion_ground} == {"G", "N", "O"}


def change_roll(pupil, **values):
    """Correct an enrolment as the office would (saved, so it is audited), after marks exist."""
    enrolment = pupil.enrolments.get()
    for key, value in values.items():
        setattr(enrolment, key, value)
    enrolment.save()


# --- counting by the code table ---------------------------------------------------------------


def test_each_code_counts_in_its_category(school):
    pupil = PupilFactory(school=school)
    codes = ["/", "L", "L", "K", "V", "P", "W", "B", "C1", "M", "J1", "S", "C2", "C", "T", "R", "I", "E"]
    codes += ["G", "N", "O", "U", "X", "D", "Q", "Y1", "Y7", "Z"]
    mark_all(school, pupil, sessions(school, D(2025, 9, 4), D(2025, 9, 30)), codes)
    f = figures_for(school, pupil, with_codes=True)
    assert (f.possible, f.present, f.approved_activity, f.authorised, f.unauthorised) == (22, 3, 5, 10, 4)
    assert (f.attended, f.absent) == (8, 14)
    assert f.absence_percent == round(100 * 14 / 22, 2) == 63.64
    assert f.attendance_percent == round(100 - 100 * 14 / 22, 2) == 36.36
    assert f.authorised_percent == 45.45 and f.unauthorised_percent == 18.18
    assert f.by_code["L"] == 2 and "X" not in f.by_code  # not-possible codes are not counted at all


def test_attendance_rate_is_100_minus_absence_rate(school):
    pupil = PupilFactory(school=school)
    mark_all(school, pupil, sessions(school, D(2025, 9, 4), D(2025, 9, 5)), ["/", "I", "B"])
    f = figures_for(school, pupil)
    assert f.absence_percent == 33.33
    assert f.attendance_percent == 66.67  # approved activity counts as attendance
    assert f.attended == 2


def test_no_possible_sessions_has_no_rates(school):
    pupil = PupilFactory(school=school)
    write(school, pupil, {(D(2026, 5, 7), "AM"): "#", (D(2026, 5, 7), "PM"): "#", (D(2026, 5, 8), "AM"): "X"})
    f = figures_for(school, pupil)
    assert f.possible == 0 and f.attendance_percent is None and not f.persistent


def test_not_possible_codes_are_excluded(school):
    pupil = PupilFactory(school=school)
    write(
        school,
        pupil,
        {
            (D(2026, 5, 7), "AM"): "#",
            (D(2026, 5, 7), "PM"): "#",
            (D(2026, 5, 8), "AM"): "X",
            (D(2026, 5, 8), "PM"): "D",
            (D(2026, 5, 11), "AM"): "Y1",
            (D(2026, 5, 11), "PM"): "Q",
            (D(2026, 5, 12), "AM"): "Z",
            (D(2026, 5, 12), "PM"): "\\",
        },
    )
    f = figures_for(school, pupil)
    assert (f.possible, f.present, f.absent, f.attendance_percent) == (1, 1, 0, 100.0)


@pytest.mark.parametrize(
    "absent, possible, persistent, severe",
    [
        (2, 20, True, False),  # exactly 10 %: persistent
        (1, 10, True, False),
        (1, 11, False, False),  # 9.09 %
        (19, 200, False, False),  # 9.5 % would round to 10 %: still not persistent
        (10, 20, True, True),  # exactly 50 %: severe
        (9, 19, True, False),  # 47.4 %
        (5, 5, True, True),
    ],
)
def test_persistent_and_severe_absence_thresholds(absent, possible, persistent, severe):
    f = AttendanceFigures(possible=possible, present=possible - absent, unauthorised=absent)
    assert (f.persistent, f.severe) == (persistent, severe)


def test_persistent_absence_at_exactly_ten_percent_from_marks(school):
    pa, fine = PupilFactory(school=school), PupilFactory(school=school)
    slots = sessions(school, D(2025, 9, 4), D(2025, 9, 30))
    mark_all(school, pa, slots, ["I", "G"] + ["/"] * 18)
    mark_all(school, fine, slots, ["I"] + ["/"] * 10)
    figures = pupil_figures(school=school, date_from=D(2025, 9, 1), date_to=D(2025, 9, 30))
    assert (figures[pa.id].possible, figures[pa.id].persistent) == (20, True)
    assert (figures[fine.id].possible, figures[fine.id].persistent) == (11, False)


def test_late_codes_and_minutes(school):
    pupil = PupilFactory(school=school)
    write(
        school,
        pupil,
        [
            (D(2025, 9, 8), "AM", "L", 10),
            (D(2025, 9, 8), "PM", "U", 25),
            (D(2025, 9, 9), "AM", "L", 5),
            (D(2025, 9, 9), "PM", "/", 99),  # minutes on a present mark are dropped
        ],
    )
    f = figures_for(school, pupil)
    assert (f.late_before_close, f.late_after_close, f.minutes_late) == (2, 1, 40)
    assert (f.present, f.unauthorised) == (3, 1)  # L is present; U is unauthorised absence


def test_total_figures_sum_sessions_over_pupils(school):
    a, b = PupilFactory(school=school), PupilFactory(school=school)
    slots = sessions(school, D(2025, 9, 4), D(2025, 9, 12))
    mark_all(school, a, slots, ["/", "I", "/", "/"])
    mark_all(school, b, slots, ["G", "/"])
    total = total_figures(school=school, date_from=D(2025, 9, 1), date_to=D(2025, 9, 30), pupils=[a, b])
    assert (total.possible, total.authorised, total.unauthorised, total.absence_percent) == (6, 1, 1, 33.33)
    assert total == figures_for(school, a, D(2025, 9, 1), D(2025, 9, 30)) + figures_for(
        school, b, D(2025, 9, 1), D(2025, 9, 30)
    )


# --- the roll ---------------------------------------------------------------------------------------


def test_only_sessions_while_on_roll_count(school):
    """A leaving date entered after the event stops the count at the leaving date; a corrected
    admission date starts it later (the marks stay in the register, but do not count)."""
    leaver, joiner = PupilFactory(school=school), PupilFactory(school=school)
    slots = sessions(school, D(2025, 10, 20), D(2025, 11, 7))  # 10 days across half-term
    mark_all(school, leaver, slots, ["O"] * len(slots))
    mark_all(school, joiner, slots, ["/"] * len(slots))
    change_roll(leaver, leaving_date=D(2025, 10, 24))
    change_roll(joiner, admission_date=D(2025, 11, 3))
    figures = pupil_figures(school=school, date_from=D(2025, 9, 1), date_to=D(2025, 12, 19))
    assert figures[leaver.id].possible == figures[leaver.id].unauthorised == 10
    assert figures[joiner.id].possible == figures[joiner.id].present == 10
    assert Mark.objects.filter(pupil__in=[leaver, joiner]).count() == 40


def test_statistics_list_pupils_on_roll_in_the_range(school):
    present = PupilFactory(school=school, legal_surname="Adams")
    joiner = PupilFactory(school=school, legal_surname="Brown", on_roll=(D(2026, 1, 12), None))
    gone = PupilFactory(school=school, legal_surname="Clark", on_roll=(D(2025, 9, 1), D(2025, 12, 19)))
    returned = PupilFactory(
        school=school, legal_surname="Davis", on_roll=[(D(2025, 9, 1), D(2025, 10, 24)), (D(2026, 2, 23), None)]
    )
    write(school, present, {(D(2026, 1, 12), "AM"): "/"})
    write(school, returned, {(D(2025, 9, 4), "AM"): "I", (D(2026, 2, 23), "AM"): "/", (D(2026, 2, 23), "PM"): "G"})
    rows = attendance_statistics(school=school, date_from=D(2026, 1, 5), date_to=D(2026, 3, 27))
    assert [r.pupil for r in rows] == [present, joiner, returned]
    assert rows[1].figures == AttendanceFigures()  # on roll, no marks yet: zeros
    assert (rows[2].figures.possible, rows[2].figures.unauthorised) == (2, 1)  # the autumn I is outside
    assert gone not in [r.pupil for r in rows]


def test_dual_registration_subsidiary_is_not_in_school_figures(school):
    main = PupilFactory(school=school, on_roll=(D(2025, 9, 1), None, Enrolment.Registration.MAIN))
    subsidiary = PupilFactory(school=school, on_roll=(D(2025, 9, 1), None, SUB))
    for pupil in (main, subsidiary):
        write(school, pupil, {(D(2025, 9, 8), "AM"): "/", (D(2025, 9, 8), "PM"): "D", (D(2025, 9, 9), "AM"): "G"})
    figures = pupil_figures(school=school, date_from=D(2025, 9, 1), date_to=D(2025, 9, 30))
    assert set(figures) == {main.id}
    assert figures[main.id].possible == 2  # D is not a possible session
    rows = attendance_statistics(school=school, date_from=D(2025, 9, 1), date_to=D(2025, 9, 30))
    assert [r.pupil for r in rows] == [main]
    assert total_figures(school=school, date_from=D(2025, 9, 1), date_to=D(2025, 9, 30)).possible == 2
    # the pupil's own page may still show them
    assert figures_for(school, subsidiary, include_subsidiary=True).possible == 2


# --- historic codes keep their meaning ---------------------------------------------------------


def test_historic_codes_keep_the_meaning_they_had(old_school):
    pupil = PupilFactory(school=old_school, on_roll=(D(2023, 9, 1), None))
    write(
        old_school,
        pupil,
        {
            (D(2024, 7, 22), "AM"): "J",  # 2006 regulations: interview = approved educational activity
            (D(2024, 7, 22), "PM"): "H",  # authorised holiday
            (D(2024, 7, 23), "AM"): "Y",  # not a possible session
            (D(2024, 7, 23), "PM"): "\\",
            (D(2024, 9, 3), "AM"): "J1",  # 2024 regulations: interview = authorised absence
            (D(2024, 9, 3), "PM"): "C",
        },
    )
    old = figures_for(old_school, pupil, D(2023, 9, 1), D(2024, 8, 31))
    assert (old.possible, old.approved_activity, old.authorised, old.absent) == (3, 1, 1, 1)
    assert old.attendance_percent == 66.67
    new = figures_for(old_school, pupil, D(2024, 9, 1), D(2024, 9, 30))
    assert (new.possible, new.authorised, new.approved_activity) == (2, 2, 0)


# --- penalty-notice threshold -------------------------------------------------------------------


def unauthorised_in(school, pupil, slots, codes):
    write(school, pupil, dict(zip(slots, codes, strict=True)))


def test_window_is_ten_school_weeks_ending_the_week_of_the_date(school):
    window = penalty_window(school=school, on=D(2026, 7, 22))
    # weeks 31..40: 11 May to 22 July, skipping the summer half-term week
    assert (window.first_week, window.last_week, window.start, window.end) == (31, 40, D(2026, 5, 11), D(2026, 7, 22))
    # in the summer holiday the window ends on the last school day
    assert penalty_window(school=school, on=D(2026, 8, 10)).end == D(2026, 7, 22)


def test_ten_unauthorised_sessions_across_half_term_meet_the_threshold(school):
    pupil = PupilFactory(school=school)
    unauthorised_in(
        school,
        pupil,
        [(D(2026, 5, 11), "AM"), (D(2026, 5, 11), "PM"), (D(2026, 5, 22), "AM")]
        + [(D(2026, 6, 1), "AM"), (D(2026, 6, 1), "PM"), (D(2026, 6, 2), "AM"), (D(2026, 6, 3), "PM")]
        + [(D(2026, 7, 20), "AM"), (D(2026, 7, 21), "PM"), (D(2026, 7, 22), "AM")],
        ["G", "G", "O", "U", "U", "O", "G", "G", "O", "G"],
    )
    [row] = penalty_threshold(school=school, on=D(2026, 7, 22))
    assert (row.pupil_id, row.upn, row.unauthorised_sessions, row.unresolved_n) == (pupil.id, pupil.upn, 10, 0)
    assert (row.window_start, row.window_end) == (D(2026, 5, 11), D(2026, 7, 22))


def test_window_spans_the_summer_holiday_and_the_new_school_year(school):
    pupil = PupilFactory(school=school)
    july = sessions(school, D(2026, 7, 20), D(2026, 7, 22))[:5]
    september = sessions(school, D(2026, 9, 14), D(2026, 9, 16))[:5]
    unauthorised_in(school, pupil, july + september, ["G"] * 10)
    [row] = penalty_threshold(school=school, on=D(2026, 9, 18))
    assert row.unauthorised_sessions == 10
    assert row.window_start == D(2026, 6, 8)  # week 34; 18 Sept 2026 is in week 43


def test_window_spans_christmas(school):
    pupil = PupilFactory(school=school)
    december = sessions(school, D(2025, 12, 15), D(2025, 12, 19))[-5:]
    january = sessions(school, D(2026, 1, 26), D(2026, 1, 28))[:5]
    unauthorised_in(school, pupil, december + january, ["O"] * 10)
    [row] = penalty_threshold(school=school, on=D(2026, 1, 30))
    assert (row.unauthorised_sessions, row.window_start) == (10, D(2025, 11, 10))


def test_nine_sessions_are_not_enough_and_late_never_counts(school):
    pupil = PupilFactory(school=school)
    slots = sessions(school, D(2026, 6, 1), D(2026, 6, 12))
    unauthorised_in(school, pupil, slots[:14], ["G"] * 9 + ["L"] * 5)
    assert penalty_threshold(school=school, on=D(2026, 6, 12)) == []


def test_n_counts_and_is_reported_as_unresolved(school):
    pupil = PupilFactory(school=school)
    slots = sessions(school, D(2026, 6, 1), D(2026, 6, 12))
    unauthorised_in(school, pupil, slots[:10], ["G"] * 7 + ["N"] * 3)
    [row] = penalty_threshold(school=school, on=D(2026, 6, 12))
    assert (row.unauthorised_sessions, row.unresolved_n) == (10, 3)


def test_a_mark_eleven_school_weeks_back_is_outside(school):
    pupil = PupilFactory(school=school)
    week_30 = sessions(school, D(2026, 5, 8), D(2026, 5, 8))  # Friday of week 30
    week_31_40 = sessions(school, D(2026, 5, 11), D(2026, 5, 15))[:8]
    unauthorised_in(school, pupil, week_30 + week_31_40, ["G"] * 10)
    assert penalty_threshold(school=school, on=D(2026, 7, 22)) == []
    # ...but the same marks seen from week 39 are all inside
    [row] = penalty_threshold(school=school, on=D(2026, 7, 17))
    assert row.unauthorised_sessions == 10


def test_marks_after_the_date_are_not_counted(school):
    pupil = PupilFactory(school=school)
    slots = sessions(school, D(2026, 7, 13), D(2026, 7, 17))
    unauthorised_in(school, pupil, slots, ["G"] * 10)  # Monday 13 to Friday 17 July
    assert penalty_threshold(school=school, on=D(2026, 7, 15)) == []  # only 6 known by Wednesday
    [row] = penalty_threshold(school=school, on=D(2026, 7, 17))
    assert (row.unauthorised_sessions, row.window_end) == (10, D(2026, 7, 17))


def test_threshold_ignores_subsidiary_registrations_and_sessions_off_roll(school):
    subsidiary = PupilFactory(school=school, on_roll=(D(2025, 9, 1), None, SUB))
    leaver = PupilFactory(school=school)
    slots = sessions(school, D(2026, 6, 1), D(2026, 6, 12))
    unauthorised_in(school, subsidiary, slots[:10], ["G"] * 10)
    unauthorised_in(school, leaver, slots[:10], ["G"] * 10)
    change_roll(leaver, leaving_date=D(2026, 6, 3))
    assert penalty_threshold(school=school, on=D(2026, 6, 12)) == []


# --- property tests against a plain reading of RULES.md ------------------------------------------

CATEGORY_FIELD = {
    "present": "present",
    "approved_educational_activity": "approved_activity",
    "authorised_absence": "authorised",
    "unauthorised_absence": "unauthorised",
}
REGISTRATIONS = [Enrolment.Registration.SINGLE, Enrolment.Registration.MAIN, SUB]


def reference_figures(marks, enrolments, start, end) -> dict[int, dict]:
    """Per pupil: counts by category of possible sessions in range while on roll (not subsidiary)."""
    result: dict[int, dict] = {}
    for pupil_id, day, code in marks:
        if not (start <= day <= end and code.possible):
            continue
        if not any(a <= day and (b is None or day <= b) for a, b, reg in enrolments[pupil_id] if reg != SUB):
            continue
        counts = result.setdefault(
            pupil_id, {"possible": 0, "present": 0, "approved_activity": 0, "authorised": 0, "unauthorised": 0}
        )
        counts["possible"] += 1
        counts[CATEGORY_FIELD[code.category]] += 1
    return result


def reference_threshold(marks, enrolments, days, on):
    """RULES.md: 10 sessions of G/N/O/U in the 10 school weeks (weeks with a session) up to `on`."""
    known = [d for d in days if d <= on]
    if not known:
        return []
    mondays = sorted({d - dt.timedelta(days=d.weekday()) for d in days})
    last = max(known)
    index = mondays.index(last - dt.timedelta(days=last.weekday()))
    first_monday = mondays[max(0, index - 9)]
    start, end = min(d for d in days if d >= first_monday), min(on, last)
    window_marks = [(p, d, c) for p, d, c in marks if c.code in PENALTY]
    counts = reference_figures(window_marks, enrolments, start, end)
    n_counts = reference_figures([m for m in window_marks if m[2].code == "N"], enrolments, start, end)
    return sorted(
        (p, c["possible"], n_counts.get(p, {"possible": 0})["possible"], start, end)
        for p, c in counts.items()
        if c["possible"] >= 10
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_statistics_match_a_plain_reading_of_the_rules(school, data):
    days = list(SchoolDay.objects.filter(school=school).order_by("date").values_list("date", flat=True))
    codes = list(AttendanceCode.objects.all())
    unauthorised = [c for c in codes if c.code in PENALTY]
    # marks somewhere between the summer term 2026 and the autumn term 2026 (across the summer holiday)
    first = days.index(D(2026, 4, 13))
    begin = data.draw(st.integers(first, days.index(D(2026, 12, 18)) - 30), label="begin")
    span = days[begin : begin + data.draw(st.integers(5, 30), label="length")]
    day_of = st.sampled_from(span)
    with transaction.atomic():
        enrolments, marks, objects = {}, [], []
        for i in range(data.draw(st.integers(1, 4), label="pupils")):
            admission = data.draw(day_of, label="admission")
            leaving = data.draw(st.none() | day_of.filter(lambda d, a=admission: d >= a), label="leaving")
            spans = [(admission, leaving, data.draw(st.sampled_from(REGISTRATIONS), label="registration"))]
            if leaving and data.draw(st.booleans(), label="returns"):
                spans.append((leaving + dt.timedelta(days=data.draw(st.integers(1, 20))), None, spans[0][2]))
            pupil = PupilFactory(
                school=school, upn=make_upn("801", "2000", 30, i), legal_surname=f"P{i}", on_roll=spans
            )
            enrolments[pupil.id] = [(a, b, r) for a, b, r in spans]
            slots = data.draw(
                st.lists(st.tuples(day_of, st.sampled_from(["AM", "PM"])), unique=True, max_size=40), label="slots"
            )
            for day, session in slots:
                valid = [c for c in codes if c.valid_on(day)]
                code = data.draw(st.sampled_from(unauthorised) if data.draw(st.booleans()) else st.sampled_from(valid))
                marks.append((pupil.id, day, code))
                objects.append(
                    Mark(
                        school=school,
                        pupil=pupil,
                        date=day,
                        session=session,
                        code=code,
                        source=Mark.Source.IMPORT,
                        recorded_by_name="hypothesis",
                        recorded_by_position="test",
                        recorded_at=timezone.now(),
                    )
                )
        Mark.objects.bulk_create(objects)

        start = data.draw(day_of, label="from")
        end = data.draw(day_of.filter(lambda d: d >= start), label="to")
        expected = reference_figures(marks, enrolments, start, end)

        actual = pupil_figures(school=school, date_from=start, date_to=end)
        assert {
            pid: {k: getattr(f, k) for k in ("possible", "present", "approved_activity", "authorised", "unauthorised")}
            for pid, f in actual.items()
        } == expected

        on_roll = {
            pid
            for pid, spans in enrolments.items()
            if any(a <= end and (b is None or b >= start) for a, b, reg in spans if reg != SUB)
        }
        rows = attendance_statistics(school=school, date_from=start, date_to=end)
        assert {r.pupil.id for r in rows} == on_roll
        for row in rows:
            counts = expected.get(row.pupil.id)
            possible = counts["possible"] if counts else 0
            absent = counts["authorised"] + counts["unauthorised"] if counts else 0
            assert row.figures.possible == possible
            assert row.figures.persistent == (possible > 0 and Fraction(absent, possible) >= Fraction(1, 10))
            assert row.figures.severe == (possible > 0 and Fraction(absent, possible) >= Fraction(1, 2))
            if possible:
                assert row.figures.attendance_percent == pytest.approx(100 - 100 * absent / possible, abs=0.006)

        on = data.draw(day_of, label="on") + dt.timedelta(days=data.draw(st.integers(0, 3)))
        threshold = penalty_threshold(school=school, on=on)
        event(f"pupils meeting the threshold: {len(threshold)}")
        event(f"pupils with counted sessions: {len(actual)} of {len(enrolments)}")
        assert sorted(
            (r.pupil_id, r.unauthorised_sessions, r.unresolved_n, r.window_start, r.window_end) for r in threshold
        ) == reference_threshold(marks, enrolments, days, on)
        transaction.set_rollback(True)


def test_amended_marks_history_shows_every_version_of_changed_marks_only(school):
    pupil = PupilFactory(school=school)
    write(school, pupil, {(D(2025, 9, 8), "AM"): "N", (D(2025, 9, 8), "PM"): "\\"})
    write(school, pupil, {(D(2025, 9, 8), "AM"): "M"}, reason="orthodontist card seen")
    rows = amended_marks_history(pupil=pupil, date_from=D(2025, 9, 1), date_to=D(2025, 9, 30))
    assert [(r.session, r.code.code, r.version, r.history_change_reason or "") for r in rows] == [
        ("AM", "N", 1, ""),
        ("AM", "M", 2, "orthodontist card seen"),
    ]
