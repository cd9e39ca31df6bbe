"""The register service `record_marks`: the one way a mark is written (DESIGN.md principle 1).
Each test states a rule from RULES.md and would fail if the service broke it."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registers.models import Closure, Mark, Staff
from registers.services import (
    Actor,
    MarkValidationError,
    apply_closure,
    record_marks,
)
from tests.factories import SYSTEM, PupilFactory, StaffFactory, UserFactory, make_school
from tests.registers.conftest import audit_counts, entry

D = dt.date
MON = D(2025, 9, 8)  # a Monday in the autumn term 2025
OLD_TERM = D(2024, 7, 23)  # last day of 2023/24, under the 2006 regulations
NEW_TERM = D(2024, 9, 3)  # first day of 2024/25, under the 2024 regulations


def write(school, entries, *, actor=SYSTEM, reason="", source=Mark.Source.TEACHER):
    return record_marks(school=school, entries=entries, actor=actor, source=source, reason=reason)


def refused(school, entries, **kwargs) -> list[str]:
    """The messages for a refused batch, checking nothing was written."""
    before = audit_counts()
    with pytest.raises(MarkValidationError) as exc:
        write(school, entries, **kwargs)
    assert audit_counts() == before
    return [p.message for p in exc.value.problems]


def code_of(pupil, day, session):
    return Mark.objects.select_related("code").get(pupil=pupil, date=day, session=session).code.code


# --- codes --------------------------------------------------------------------------------


def test_unknown_code_is_refused_with_a_clear_message(school):
    pupil = PupilFactory(school=school)
    [message] = refused(school, [entry(pupil, MON, "AM", "Q9")])
    assert "'Q9' is not a national attendance code" in message


@pytest.mark.parametrize("code", ["C1", "J1", "K", "C2", "Q", "Y1", "Y4"])
def test_2024_codes_are_refused_before_19_august_2024(old_school, code):
    pupil = PupilFactory(school=old_school, on_roll=(D(2023, 9, 1), None))
    [message] = refused(old_school, [entry(pupil, OLD_TERM, "AM", code)])
    assert f"code {code} is valid only from 19 Aug 2024" in message
    write(old_school, [entry(pupil, NEW_TERM, "AM", code)])
    assert code_of(pupil, NEW_TERM, "AM") == code


@pytest.mark.parametrize("code, instead", [("H", "C"), ("J", "J1"), ("Y", "Y1-Y7 or Q")])
def test_2006_codes_are_refused_after_18_august_2024_naming_the_replacement(old_school, code, instead):
    pupil = PupilFactory(school=old_school, on_roll=(D(2023, 9, 1), None))
    write(old_school, [entry(pupil, OLD_TERM, "AM", code)])
    assert code_of(pupil, OLD_TERM, "AM") == code
    [message] = refused(old_school, [entry(pupil, NEW_TERM, "AM", code)])
    assert f"code {code} was withdrawn on 18 Aug 2024; use {instead}" in message


def test_two_character_codes_in_any_case(school):
    pupil = PupilFactory(school=school)
    write(
        school,
        [entry(pupil, MON, "AM", "c2"), entry(pupil, MON, "PM", "Y7"), entry(pupil, D(2025, 9, 9), "AM", " j1 ")],
    )
    assert code_of(pupil, MON, "AM") == "C2"
    assert code_of(pupil, MON, "PM") == "Y7"
    assert code_of(pupil, D(2025, 9, 9), "AM") == "J1"


@pytest.mark.parametrize("typed", ["/", "\\"])
def test_present_symbol_follows_the_session(school, typed):
    pupil = PupilFactory(school=school)
    write(school, [entry(pupil, MON, "AM", typed), entry(pupil, MON, "PM", typed)])
    assert code_of(pupil, MON, "AM") == "/"
    assert code_of(pupil, MON, "PM") == "\\"


# --- sessions and the roll ----------------------------------------------------------------


@pytest.mark.parametrize(
    "day, why",
    [
        (D(2025, 9, 6), "Saturday is a weekend"),
        (D(2026, 5, 4), "bank holiday"),
        (D(2025, 10, 28), "half-term"),
        (D(2025, 9, 3), "INSET day"),
        (D(2025, 12, 23), "outside term time"),
    ],
)
def test_non_school_days_are_refused(school, day, why):
    pupil = PupilFactory(school=school)
    [message] = refused(school, [entry(pupil, day, "AM", "/")])
    assert "is not a school session" in message and why in message


def test_session_must_be_am_or_pm(school):
    pupil = PupilFactory(school=school)
    [message] = refused(school, [entry(pupil, MON, "EV", "/")])
    assert "session must be AM or PM" in message


def test_mid_year_joiner_not_on_roll_before_admission(school):
    pupil = PupilFactory(school=school, on_roll=(D(2026, 1, 12), None))
    [message] = refused(school, [entry(pupil, D(2026, 1, 9), "AM", "/")])
    assert "was not on roll on Fri 09 Jan 2026" in message
    write(school, [entry(pupil, D(2026, 1, 12), "AM", "/")])


def test_leaver_not_on_roll_after_leaving_date(school):
    pupil = PupilFactory(school=school, on_roll=(D(2025, 9, 1), D(2025, 10, 24)))
    write(school, [entry(pupil, D(2025, 10, 24), "PM", "/")])  # the leaving date itself is on roll
    [message] = refused(school, [entry(pupil, D(2025, 11, 3), "AM", "/")])
    assert "not on roll" in message


def test_pupil_who_left_and_returned(school):
    pupil = PupilFactory(school=school, on_roll=[(D(2025, 9, 1), D(2025, 10, 24)), (D(2026, 1, 12), None)])
    write(school, [entry(pupil, D(2025, 9, 4), "AM", "/"), entry(pupil, D(2026, 1, 12), "AM", "/")])
    [message] = refused(school, [entry(pupil, D(2025, 11, 3), "AM", "/")])
    assert "not on roll" in message


def test_pupil_of_another_school_is_refused(school):
    other = make_school(urn="100003", name="Beech Hill Primary School", establishment_number="2002")
    stranger = PupilFactory(school=other)
    [message] = refused(school, [entry(stranger, MON, "AM", "/")])
    assert "is not a pupil of Oakfield Primary School" in message


# --- planned closures ---------------------------------------------------------------------

POLLING_DAY = D(2026, 5, 7)
Y6_AFTERNOON = D(2026, 7, 1)


def test_planned_closure_allows_only_hash(school):
    pupil = PupilFactory(school=school)
    [message] = refused(school, [entry(pupil, POLLING_DAY, "AM", "/")])
    assert "planned closure" in message and "the only mark is #" in message
    write(school, [entry(pupil, POLLING_DAY, "AM", "#"), entry(pupil, POLLING_DAY, "PM", "#")])


def test_hash_only_on_a_planned_closure(school):
    pupil = PupilFactory(school=school)
    [message] = refused(school, [entry(pupil, D(2026, 5, 6), "AM", "#")])
    assert "# is for planned closures" in message


def test_year_group_closure_affects_only_that_year(school):
    year6 = PupilFactory(school=school, year=6)
    year3 = PupilFactory(school=school, year=3)
    [message] = refused(school, [entry(year6, Y6_AFTERNOON, "PM", "\\")])
    assert "planned closure" in message
    write(school, [entry(year6, Y6_AFTERNOON, "AM", "/"), entry(year6, Y6_AFTERNOON, "PM", "#")])
    refused(school, [entry(year3, Y6_AFTERNOON, "PM", "#")])
    write(school, [entry(year3, Y6_AFTERNOON, "PM", "\\")])


def test_apply_closure_writes_hash_for_pupils_on_roll_in_its_year_groups(school):
    year6 = PupilFactory(school=school, year=6)
    year6_leaver = PupilFactory(school=school, year=6, on_roll=(D(2025, 9, 1), D(2026, 3, 27)))
    year3 = PupilFactory(school=school, year=3)
    closure = Closure.objects.get(school=school, date=Y6_AFTERNOON)
    result = apply_closure(closure=closure, actor=SYSTEM)
    assert [(m.pupil_id, m.session, m.code.code) for m in result.created] == [(year6.id, "PM", "#")]
    assert not Mark.objects.filter(pupil__in=[year6_leaver, year3]).exists()
    assert Mark.objects.get(pupil=year6).source == Mark.Source.CLOSURE


# --- all or nothing -------------------------------------------------------------------------


def test_a_batch_with_one_bad_entry_writes_nothing(school):
    pupils = [PupilFactory(school=school) for _ in range(4)]
    entries = [entry(p, MON, "AM", "/") for p in pupils[:3]] + [entry(pupils[3], MON, "AM", "ZZ")]
    assert len(refused(school, entries)) == 1
    assert not Mark.objects.filter(pupil__in=pupils).exists()


def test_every_bad_entry_is_reported(school):
    good, joiner = PupilFactory(school=school), PupilFactory(school=school, on_roll=(D(2026, 1, 12), None))
    entries = [
        entry(good, MON, "AM", "/"),
        entry(good, MON, "PM", "?"),
        entry(joiner, MON, "AM", "/"),
        entry(good, D(2025, 9, 6), "AM", "/"),
        entry(good, MON, "AM", "L"),  # the same session twice
    ]
    messages = refused(school, entries)
    assert len(messages) == 4
    assert "appears more than once" in messages[-1]


# --- amendments and history -----------------------------------------------------------------


def test_amendment_without_reason_is_refused(school, teacher_actor, officer_actor):
    pupil = PupilFactory(school=school)
    write(school, [entry(pupil, MON, "AM", "/")], actor=teacher_actor)
    [message] = refused(school, [entry(pupil, MON, "AM", "I")], actor=officer_actor)
    assert "changing / to I needs a reason" in message
    [message] = refused(school, [entry(pupil, MON, "AM", "I")], actor=officer_actor, reason="   ")
    assert "needs a reason" in message
    assert code_of(pupil, MON, "AM") == "/"


def test_amendment_keeps_the_original_and_records_who_why_and_position(school, teacher_actor, officer_actor):
    pupil = PupilFactory(school=school)
    write(school, [entry(pupil, MON, "AM", "N")], actor=teacher_actor)
    result = write(
        school,
        [entry(pupil, MON, "AM", "I", reason="mother phoned: chickenpox")],
        actor=officer_actor,
        source=Mark.Source.OFFICE,
    )
    assert len(result.amended) == 1 and not result.created

    mark = Mark.objects.get(pupil=pupil)
    assert (mark.code.code, mark.version, mark.reason) == ("I", 2, "mother phoned: chickenpox")
    rows = list(Mark.history.filter(id=mark.id).select_related("code").order_by("history_date", "history_id"))
    assert [(r.history_type, r.code.code, r.version) for r in rows] == [("+", "N", 1), ("~", "I", 2)]
    original, amended = rows
    assert (original.recorded_by_name, original.recorded_by_position) == ("Ms Tess Lee", "Class teacher")
    assert original.history_user == teacher_actor.user and original.source == Mark.Source.TEACHER
    assert (amended.recorded_by_name, amended.recorded_by_position) == ("Mrs Jan Patel", "Attendance officer")
    assert amended.history_user == officer_actor.user and amended.source == Mark.Source.OFFICE
    assert amended.history_change_reason == amended.reason == "mother phoned: chickenpox"
    assert amended.history_date is not None


def test_batch_reason_applies_to_entries_without_their_own(school):
    pupil = PupilFactory(school=school)
    write(school, [entry(pupil, MON, "AM", "/"), entry(pupil, MON, "PM", "\\")])
    write(school, [entry(pupil, MON, "AM", "M"), entry(pupil, MON, "PM", "R", reason="Eid")], reason="office check")
    reasons = dict(Mark.objects.filter(pupil=pupil).values_list("session", "reason"))
    assert reasons == {"AM": "office check", "PM": "Eid"}


def test_identical_resubmission_writes_no_history(school, teacher_actor):
    pupils = [PupilFactory(school=school) for _ in range(3)]
    entries = [entry(p, MON, "AM", "L", minutes_late=7) for p in pupils]
    write(school, entries, actor=teacher_actor)
    before = audit_counts()
    result = write(school, entries, actor=teacher_actor)
    assert (len(result.unchanged), result.written) == (3, 0)
    assert audit_counts() == before
    assert set(Mark.objects.filter(pupil__in=pupils).values_list("version", flat=True)) == {1}


def test_conflicting_edit_is_reported_and_nothing_written(school, teacher_actor, officer_actor):
    pupil, other = PupilFactory(school=school), PupilFactory(school=school)
    write(school, [entry(pupil, MON, "AM", "N")], actor=teacher_actor)
    # The teacher loads the register (version 1); the office changes the mark meanwhile.
    write(school, [entry(pupil, MON, "AM", "M")], actor=officer_actor, reason="dentist letter")
    before = audit_counts()
    with pytest.raises(MarkValidationError) as exc:
        write(
            school,
            [entry(pupil, MON, "AM", "/", expected_version=1), entry(other, MON, "AM", "/", expected_version=0)],
            actor=teacher_actor,
            reason="arrived",
        )
    assert audit_counts() == before
    [conflict] = exc.value.conflicts
    assert conflict.entry.pupil_id == pupil.id and "Mrs Jan Patel recorded M" in conflict.message
    assert code_of(pupil, MON, "AM") == "M"
    assert not Mark.objects.filter(pupil=other).exists()


def test_expected_version_zero_means_no_mark_yet(school):
    pupil = PupilFactory(school=school)
    write(school, [entry(pupil, MON, "AM", "/", expected_version=0)])
    with pytest.raises(MarkValidationError) as exc:
        write(school, [entry(pupil, MON, "AM", "I", expected_version=0)], reason="ill")
    assert exc.value.conflicts
    with pytest.raises(MarkValidationError) as exc:
        write(school, [entry(pupil, MON, "PM", "\\", expected_version=1)])
    assert "the mark you saw has gone" in exc.value.conflicts[0].message


def test_marks_record_user_name_position_and_source(school, teacher_actor):
    pupil = PupilFactory(school=school)
    write(school, [entry(pupil, MON, "AM", "/")], actor=teacher_actor, source=Mark.Source.TEACHER)
    mark = Mark.objects.get(pupil=pupil)
    assert mark.recorded_by == teacher_actor.user
    assert (mark.recorded_by_name, mark.recorded_by_position, mark.source) == (
        "Ms Tess Lee",
        "Class teacher",
        "teacher",
    )
    assert mark.version == 1 and mark.recorded_at is not None


def test_actor_position_for_users_without_a_staff_record(school, fast_password_hashing):
    admin = UserFactory(username="root", is_superuser=True)
    assert Actor.for_user(admin).position == "Administrator"
    assert Actor.for_user(UserFactory(username="plain")).position == "User"
    head = StaffFactory(
        school=school, position=Staff.Position.HEADTEACHER, title="Dr", user=UserFactory(username="head")
    )
    assert Actor.for_user(head.user).position == "Headteacher"


# --- minutes late ---------------------------------------------------------------------------


def test_minutes_late_kept_only_for_l_and_u(school):
    pupil = PupilFactory(school=school)
    write(
        school,
        [
            entry(pupil, MON, "AM", "L", minutes_late=12),
            entry(pupil, MON, "PM", "U", minutes_late=45),
            entry(pupil, D(2025, 9, 9), "AM", "/", minutes_late=5),
            entry(pupil, D(2025, 9, 9), "PM", "I", minutes_late=5),
        ],
    )
    minutes = {(m.date, m.session): m.minutes_late for m in Mark.objects.filter(pupil=pupil)}
    assert minutes == {(MON, "AM"): 12, (MON, "PM"): 45, (D(2025, 9, 9), "AM"): None, (D(2025, 9, 9), "PM"): None}


def test_minutes_late_must_be_plausible(school):
    pupil = PupilFactory(school=school)
    [message] = refused(school, [entry(pupil, MON, "AM", "L", minutes_late=301)])
    assert "minutes late must be between 0 and 300" in message


# --- cost -------------------------------------------------------------------------------------


def queries_for_register(school, size, day, code="/", reason=""):
    pupils = [PupilFactory(school=school) for _ in range(size)]
    with CaptureQueriesContext(connection) as ctx:
        write(school, [entry(p, day, "AM", code) for p in pupils], reason=reason)
    with CaptureQueriesContext(connection) as amend:
        write(school, [entry(p, day, "AM", "I") for p in pupils], reason="illness reported")
    return len(ctx.captured_queries), len(amend.captured_queries)


def test_query_count_does_not_grow_with_class_size(school):
    small = queries_for_register(school, 5, MON)
    large = queries_for_register(school, 35, D(2025, 9, 9))
    assert small == large
    assert max(large) <= 15


def test_row_locks_cover_only_the_marks(school):
    """At 08:50 every register writes `/`: locking the joined code rows as well would make
    every teacher's submission wait for the others (PostgreSQL locks all joined tables)."""
    if not connection.features.has_select_for_update:
        pytest.skip("this database has no row locks")
    pupil = PupilFactory(school=school)
    with CaptureQueriesContext(connection) as ctx:
        write(school, [entry(pupil, MON, "AM", "/")])
    [locking] = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locking.endswith('FOR UPDATE OF "registers_mark"')


# --- a register is taken when every pupil on its roll has a mark -------------------------------


def _group_register(school, teacher):
    from registers.models import Register, RegistrationGroup

    group = RegistrationGroup.objects.filter(school=school).first()
    group.teachers.add(teacher)
    return Register.objects.create(school=school, group=group, date=MON, session="AM")


def test_register_not_taken_while_a_pupil_on_roll_has_no_mark(school, teacher_actor):
    from registers.services import take_register_if_complete

    register = _group_register(school, StaffFactory(school=school))
    assert not take_register_if_complete(
        register=register, roll=[1, 2, 3], marked={1, 2}, actor=teacher_actor, by_teacher=True
    )
    register.refresh_from_db()
    assert register.state == register.State.NOT_TAKEN


def test_office_takes_a_complete_register_on_the_first_teachers_behalf(school, officer_actor):
    from registers.services import take_register_if_complete

    teacher = StaffFactory(school=school)
    register = _group_register(school, teacher)
    assert take_register_if_complete(
        register=register, roll=[1, 2], marked={1, 2, 9}, actor=officer_actor, by_teacher=False
    )
    register.refresh_from_db()
    assert (register.state, register.taken_on_behalf_of) == (register.State.TAKEN, teacher)
    # Taken once: a second device finishing the same register changes nothing.
    assert not take_register_if_complete(
        register=register, roll=[1, 2], marked={1, 2}, actor=officer_actor, by_teacher=False
    )


# --- sub-reasons --------------------------------------------------------------------------------


def test_sub_reason_must_be_the_schools_own_and_under_the_marks_code(school):
    from registers.models import SubReason

    pupil = PupilFactory(school=school)
    bereavement = SubReason.objects.create(school=school, code="C", label="Bereavement")
    elsewhere = SubReason.objects.create(school=make_school(urn="140001"), code="C", label="Bereavement")
    [wrong_code] = refused(school, [entry(pupil, MON, "AM", "I", sub_reason_id=bereavement.pk)])
    assert "belongs under code C, not I" in wrong_code
    [foreign] = refused(school, [entry(pupil, MON, "AM", "C", sub_reason_id=elsewhere.pk)])
    assert "not one of" in foreign
    write(school, [entry(pupil, MON, "AM", "c", sub_reason_id=bereavement.pk)])
    assert Mark.objects.get(pupil=pupil, date=MON, session="AM").sub_reason == bereavement
