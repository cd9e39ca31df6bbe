"""The rollover's rules one by one: the top year from the school's phase, group names that carry the
year, the groups file, pupils told to stay, and when it may be applied."""

import datetime as dt

import pytest
import time_machine

from registers.models import Enrolment, Pupil, RegisterDeletion, RegistrationGroup, School, YearRollover
from registers.rollover import (
    RolloverRefused,
    apply_rollover,
    next_group_name,
    plan_rollover,
    read_groups_file,
    top_year,
)
from tests.factories import PupilFactory, UserFactory, write

D = dt.date


@pytest.fixture(autouse=True)
def after_the_summer_term():
    with time_machine.travel(dt.datetime(2026, 7, 27, 10, tzinfo=dt.UTC), tick=False):
        yield


@pytest.mark.parametrize(
    ("name", "year", "expected"),
    [
        ("Year 3", 3, "Year 4"),
        ("Y10 Smith", 10, "Y11 Smith"),
        ("3A", 3, "4A"),
        ("10RB", 10, "11RB"),
        ("Reception", 0, "Year 1"),
        ("Reception Robins", 0, "Year 1 Robins"),
        ("Oak", 3, None),
        ("Year 3", 4, None),  # the name does not carry the group's year
        ("Kestrels 2024", 5, None),
    ],
)
def test_group_names_that_carry_the_year(name, year, expected):
    assert next_group_name(name, year) == expected


@pytest.mark.parametrize(
    ("phase", "sixth_form", "expected"),
    [("primary", False, 6), ("secondary", False, 11), ("secondary", True, 13), ("all_through", True, 13)],
)
def test_top_year_from_the_phase(school, phase, sixth_form, expected):
    School.objects.filter(pk=school.pk).update(phase=phase)
    school.refresh_from_db()
    if sixth_form:
        PupilFactory(school=school, year=12)
    assert top_year(school) == expected


def test_a_group_without_the_year_in_its_name_moves_up_with_its_class(school):
    oak = RegistrationGroup.objects.create(school=school, name="Oak", year=3)
    pupil = PupilFactory(school=school, year=3, group=oak)
    user = UserFactory(username="office")
    apply_rollover(school=school, user=user, applied_by_name="Office")
    oak.refresh_from_db()
    pupil.refresh_from_db()
    assert (oak.year, pupil.year, pupil.group) == (4, 4, oak)
    assert oak.history.latest().history_change_reason == "Year rollover 2025/26 → 2026/27"


def test_the_groups_file_reassigns_and_creates_groups(school):
    a = PupilFactory(school=school, year=3)
    b = PupilFactory(school=school, year=3)
    text = f"UPN,Reg Group\n{a.upn},4 Willow\n"
    plan = plan_rollover(school=school, groups_file=text)
    assert plan.can_apply
    moves = {m.pupil: m.new_group for m in plan.moves}
    assert moves[a] == "4 Willow" and moves[b] == "Year 4"
    assert [(g.name, g.change) for g in plan.groups if g.change == "created"] == [("4 Willow", "created")]
    apply_rollover(school=school, user=UserFactory(username="office"), applied_by_name="Office", groups_file=text)
    assert Pupil.objects.get(pk=a.pk).group.name == "4 Willow"
    assert RegistrationGroup.objects.get(school=school, name="4 Willow").year == 4


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Name,Group\nX,Y\n", "needs the headings UPN and Group"),
        ("UPN,Group\nB801200005001,\n", "line 2: give both"),
        ("UPN,Group\nB801200005001,Year 4\nB801200005001,Year 5\n", "line 3: UPN B801200005001 is listed twice"),
    ],
)
def test_a_bad_groups_file_says_what_is_wrong(text, problem):
    _, problems = read_groups_file(text)
    assert any(problem in p for p in problems)


def test_a_groups_file_naming_a_pupil_not_on_roll_is_refused(school):
    plan = plan_rollover(school=school, groups_file="UPN,Group\nB801200005001,Year 4\n")
    assert not plan.can_apply and "not on roll: B801200005001" in plan.problems[0]


def test_a_top_year_pupil_told_to_stay(school):
    leaving, staying = PupilFactory(school=school, year=6), PupilFactory(school=school, year=6)
    apply_rollover(school=school, user=UserFactory(username="office"), applied_by_name="Office", staying={staying.pk})
    assert Enrolment.objects.get(pupil=leaving).leaving_date == D(2026, 8, 31)
    assert Enrolment.objects.get(pupil=staying).leaving_date is None
    assert Pupil.objects.get(pk=staying.pk).year == 6
    assert RegisterDeletion.objects.filter(pupil=staying).count() == 0
    summary = YearRollover.objects.get().summary
    assert (summary["moved"], summary["left"], summary["stayed_on"]) == (0, 1, 1)


def test_the_first_morning_of_the_new_year_is_not_too_late(school):
    PupilFactory(school=school, year=3)
    with time_machine.travel(dt.datetime(2026, 9, 7, 7, tzinfo=dt.UTC), tick=False):
        plan = plan_rollover(school=school)
        assert (plan.from_year.name, plan.to_year.name, plan.problems) == ("2025/26", "2026/27", [])


def test_refused_once_the_new_years_registers_are_taken(school):
    pupil = PupilFactory(school=school, year=3)
    write(school, pupil, {(D(2026, 9, 4), "AM"): "C"})  # leave granted ahead, entered before the year
    plan = plan_rollover(school=school)
    assert any("registers have already been taken in 2026/27" in p for p in plan.problems)
    with time_machine.travel(dt.datetime(2026, 9, 7, 16, tzinfo=dt.UTC), tick=False):
        plan = plan_rollover(school=school)
        assert not plan.can_apply and "2026/27 is not over yet" in plan.problems[0]
        with pytest.raises(RolloverRefused):
            apply_rollover(school=school, user=UserFactory(username="office"), applied_by_name="Office")
    assert Pupil.objects.get(pk=pupil.pk).year == 3


def test_every_pupils_move_is_in_their_history(school):
    pupils = [PupilFactory(school=school, year=y) for y in (0, 2, 5)]
    user = UserFactory(username="office")
    apply_rollover(school=school, user=user, applied_by_name="Office")
    for pupil in pupils:
        latest = Pupil.history.filter(id=pupil.pk).latest()
        assert (latest.year, latest.group.name) == (pupil.year + 1, f"Year {pupil.year + 1}")
        assert (latest.history_user, latest.history_change_reason) == (user, "Year rollover 2025/26 → 2026/27")
