"""Taking a register (registers/taking.py): the legal rule once, for the register page, the office
taking a register for a teacher, the API and a lesson's register with its own times. The parity
tests drive the same cases through the page (POST) and the API (PUT) and get the same marks and
the same refusals."""

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from registers.models import ApiToken, Mark, Register, SubReason
from registers.register_selectors import Times, register_queryset, roll_with_marks, times_of
from registers.services import Actor, MarkEntry, record_marks
from registers.taking import MarkWish, TakenBy, Taker, Why, take_register
from registers.timing import OFFICE_CORRECTION_REASON, TEACHER_CORRECTION_REASON, at
from tests.factories import SYSTEM, PupilFactory, write
from tests.registers.register_helpers import (
    MONDAY,
    clock,
    make_office,
    make_teacher,
    register_for,
    year3,
)

pytestmark = pytest.mark.django_db
SURNAMES = ["Ashby", "Brook", "Cole"]


@pytest.fixture
def teacher(school):
    return make_teacher(school)


@pytest.fixture
def office(school):
    return make_office(school)


@pytest.fixture
def pupils(school):
    return [PupilFactory(school=school, year=3, legal_surname=name) for name in SURNAMES]


def taking(school, teacher, office, kind=Taker.TEACHER, **kwargs):
    """Take Year 3's Monday AM register now through the service, as the page would."""
    register = register_queryset(teacher).get(pk=register_for(school, year3(school)).pk)
    staff = {Taker.TEACHER: teacher, Taker.OFFICE: office}.get(kind)
    actor = (
        Actor(user=None, name="Reception kiosk", position="Integration: Reception kiosk")
        if kind == Taker.INTEGRATION
        else Actor.for_staff(staff.user, staff)
    )
    return take_register(
        register=register,
        times=kwargs.pop("times", times_of(register)),
        roll=roll_with_marks(register),
        wishes=kwargs.pop("wishes", []),
        taken_by=TakenBy(kind, actor),
        now=kwargs.pop("now", None) or at(MONDAY, dt.time(*kwargs.pop("at", (8, 55)))),
        **kwargs,
    )


def marks_of(pupils, session="AM"):
    found = {m.pupil_id: m for m in Mark.objects.filter(pupil__in=pupils, date=MONDAY, session=session)}
    return [found.get(p.pk) for p in pupils]


def codes(pupils):
    return [m.code.code if m else None for m in marks_of(pupils)]


# --- the service ------------------------------------------------------------------------------


def test_a_teacher_takes_the_whole_register(school, teacher, office, pupils):
    wishes = [MarkWish(pupils[0].pk, "/"), MarkWish(pupils[1].pk, "l"), MarkWish(pupils[2].pk, "N")]
    result = taking(school, teacher, office, wishes=wishes, at=(9, 6))
    assert result.ok and result.taken
    assert (sorted(result.created), result.amended, result.unmarked) == (sorted(p.pk for p in pupils), [], [])
    assert codes(pupils) == ["/", "L", "N"]
    late = marks_of(pupils)[1]
    assert (late.minutes_late, late.source, late.recorded_by_position) == (6, "teacher", "Class teacher")
    register = Register.objects.get(pk=result.register.pk)
    assert register.state == Register.State.TAKEN and register.taken_on_behalf_of is None


def test_nothing_before_the_register_opens_nor_after_its_day(school, teacher, office, pupils):
    early = taking(school, teacher, office, wishes=[MarkWish(pupils[0].pk, "/")], at=(8, 30))
    assert [(r.kind, r.pupil_id) for r in early.refusals] == [(Why.NOT_OPEN, None)]
    assert "opens at 08:50" in early.refusals[0].message
    tomorrow = at(MONDAY + dt.timedelta(days=1), dt.time(8, 55))
    late = taking(school, teacher, office, wishes=[MarkWish(pupils[0].pk, "/")], now=tomorrow)
    assert [r.kind for r in late.refusals] == [Why.CLOSED]
    assert not Mark.objects.exists()
    # the office may write at any time, but presence only once the session has begun (issue 16)
    early = taking(school, teacher, office, Taker.OFFICE, wishes=[MarkWish(pupils[0].pk, "/")], at=(8, 30))
    assert "the register opens at 08:50" in early.refusals[0].message and not Mark.objects.exists()
    assert taking(school, teacher, office, Taker.OFFICE, wishes=[MarkWish(pupils[0].pk, "M")], at=(8, 30)).ok
    assert taking(school, teacher, office, Taker.OFFICE, wishes=[MarkWish(pupils[1].pk, "/")], at=(8, 50)).ok


def test_a_late_arrival_is_decided_by_when_the_pupil_arrived_not_when_it_is_typed(school, teacher, office, pupils):
    # 09:40, after the 09:20 close: a pupil who arrived at 09:25 is U, 25 minutes late (not 40)
    result = taking(school, teacher, office, wishes=[MarkWish(pupils[0].pk, "L", arrived=dt.time(9, 25))], at=(9, 40))
    assert result.ok and result.became_u == [(pupils[0].pk, 25)]
    # one who arrived at 09:03 (3 minutes late, given as minutes) is L, though typed in after close
    assert taking(school, teacher, office, wishes=[MarkWish(pupils[1].pk, "L", minutes_late=3)], at=(9, 40)).ok
    # before close, the office's L without a time is the clock's
    assert taking(school, teacher, office, Taker.OFFICE, wishes=[MarkWish(pupils[2].pk, "L")], at=(9, 7)).ok
    assert [(m.code.code, m.minutes_late) for m in marks_of(pupils)] == [("U", 25), ("L", 3), ("L", 7)]


@pytest.mark.parametrize("hour_minute", [(9, 25), (11, 0), (16, 0)])
def test_after_close_a_late_arrival_keeps_its_own_minutes_whatever_the_hour(
    school, teacher, office, pupils, hour_minute
):
    result = taking(
        school, teacher, office, wishes=[MarkWish(pupils[0].pk, "L", arrived=dt.time(9, 22))], at=hour_minute
    )
    assert result.ok, result.refusals
    assert (marks_of(pupils)[0].code.code, marks_of(pupils)[0].minutes_late) == ("U", 22)


def test_after_close_a_late_arrival_needs_its_time_and_a_possible_one(school, teacher, office, pupils):
    no_time = taking(school, teacher, office, wishes=[MarkWish(pupils[0].pk, "L")], at=(16, 0))
    assert [(r.kind, r.pupil_id) for r in no_time.refusals] == [(Why.INVALID, pupils[0].pk)]
    assert "enter the time they arrived" in no_time.refusals[0].message
    office_no_time = taking(school, teacher, office, Taker.OFFICE, wishes=[MarkWish(pupils[0].pk, "L")], at=(16, 0))
    assert [r.kind for r in office_no_time.refusals] == [Why.INVALID]
    future = taking(school, teacher, office, wishes=[MarkWish(pupils[0].pk, "L", arrived=dt.time(10, 0))], at=(9, 40))
    assert "has not happened yet" in future.refusals[0].message
    early = taking(school, teacher, office, wishes=[MarkWish(pupils[0].pk, "L", arrived=dt.time(7, 0))], at=(9, 40))
    assert "before the register opened at 08:50" in early.refusals[0].message
    too_many = taking(school, teacher, office, wishes=[MarkWish(pupils[0].pk, "L", minutes_late=401)], at=(9, 40))
    assert "has not happened yet" in too_many.refusals[0].message
    assert not Mark.objects.exists()
    # an arrival before the late time is present, whatever code was chosen
    assert taking(school, teacher, office, wishes=[MarkWish(pupils[1].pk, "L", arrived=dt.time(8, 58))], at=(9, 40)).ok
    assert marks_of(pupils)[1].code.code == "/"


def test_an_integrations_late_mark_keeps_its_code_and_minutes(school, teacher, office, pupils):
    result = taking(
        school, teacher, office, Taker.INTEGRATION, wishes=[MarkWish(pupils[0].pk, "U", minutes_late=12)], at=(16, 0)
    )
    assert result.ok
    assert (marks_of(pupils)[0].code.code, marks_of(pupils)[0].minutes_late) == ("U", 12)


def test_after_close_a_teacher_adds_first_marks_but_changes_none(school, teacher, office, pupils):
    write(school, pupils[0], {(MONDAY, "AM"): "N"})
    wishes = [MarkWish(pupils[0].pk, "/"), MarkWish(pupils[1].pk, "/")]
    refused = taking(school, teacher, office, wishes=wishes, at=(9, 30))
    assert [(r.kind, r.pupil_id) for r in refused.refusals] == [(Why.CLOSED, pupils[0].pk)]
    assert "only the office can change it" in refused.refusals[0].message
    assert codes(pupils) == ["N", None, None]  # all or nothing
    assert taking(school, teacher, office, wishes=wishes[1:], at=(9, 30)).ok
    assert codes(pupils) == ["N", "/", None]


def test_changes_need_a_reason_after_close_and_get_the_automatic_one_before(school, teacher, office, pupils):
    for pupil in pupils:
        write(school, pupil, {(MONDAY, "AM"): "N"})
    taking(school, teacher, office, wishes=[MarkWish(pupils[0].pk, "/")], at=(9, 5))
    taking(school, teacher, office, Taker.OFFICE, wishes=[MarkWish(pupils[1].pk, "/")], at=(9, 5))
    taking(school, teacher, office, Taker.INTEGRATION, wishes=[MarkWish(pupils[2].pk, "/")], at=(9, 5))
    assert [m.reason for m in marks_of(pupils)] == [
        TEACHER_CORRECTION_REASON,
        OFFICE_CORRECTION_REASON,
        "corrected by Integration: Reception kiosk before the register closed",
    ]
    assert [m.source for m in marks_of(pupils)] == ["teacher", "office", "api"]
    refused = taking(school, teacher, office, Taker.OFFICE, wishes=[MarkWish(pupils[0].pk, "I")], at=(10, 0))
    assert [r.kind for r in refused.refusals] == [Why.INVALID] and "needs a reason" in refused.refusals[0].message
    amended = taking(
        school, teacher, office, Taker.OFFICE, wishes=[MarkWish(pupils[0].pk, "I")], at=(10, 0), reason="phoned: ill"
    )
    assert amended.amended == [pupils[0].pk]
    assert (marks_of(pupils)[0].code.code, marks_of(pupils)[0].reason) == ("I", "phoned: ill")


def test_untouched_and_identical_rows_are_not_written_again(school, teacher, office, pupils):
    write(school, pupils[0], {(MONDAY, "AM"): "C1"}, source="leave_decision")
    write(school, pupils[1], {(MONDAY, "AM"): ("L", 4)})
    wishes = [
        MarkWish(pupils[0].pk, "C1", shown=("C1", None)),  # rows as the page showed them
        MarkWish(pupils[1].pk, "L", minutes_late=4, shown=("L", 4)),
        MarkWish(pupils[2].pk, "N", shown=("", None)),
    ]
    result = taking(school, teacher, office, wishes=wishes, at=(9, 5))
    assert result.ok and result.taken
    assert (result.created, result.amended, sorted(result.unchanged)) == (
        [pupils[2].pk],
        [],
        [pupils[0].pk, pupils[1].pk],
    )
    again = taking(school, teacher, office, wishes=[MarkWish(pupils[2].pk, "N")], at=(9, 6))  # submitted twice
    assert again.ok and again.entries == [] and again.unchanged == [pupils[2].pk]
    assert Mark.history.filter(pupil__in=pupils).count() == 3


def test_all_present_keeps_planned_marks_and_takes_the_register(school, teacher, office, pupils):
    write(school, pupils[0], {(MONDAY, "AM"): "C1"}, source="leave_decision")
    result = taking(school, teacher, office, wishes=[MarkWish(pupils[1].pk, "N")], all_present=True)
    assert result.ok and result.taken and codes(pupils) == ["C1", "N", "/"]


def test_a_partial_register_is_not_taken_and_says_who_is_unmarked(school, teacher, office, pupils):
    result = taking(school, teacher, office, Taker.OFFICE, wishes=[MarkWish(pupils[0].pk, "/")])
    assert result.ok and not result.taken and result.unmarked == [pupils[1].pk, pupils[2].pk]
    done = taking(school, teacher, office, Taker.OFFICE, wishes=[MarkWish(p.pk, "/") for p in pupils[1:]])
    assert done.taken
    register = Register.objects.get(pk=done.register.pk)
    assert register.taken_on_behalf_of == teacher  # the office takes it for the class teacher


def test_a_stale_version_is_a_conflict_and_nothing_is_written(school, teacher, office, pupils):
    write(school, pupils[0], {(MONDAY, "AM"): "N"})
    wishes = [MarkWish(pupils[0].pk, "/", expected_version=0), MarkWish(pupils[1].pk, "/")]
    result = taking(school, teacher, office, wishes=wishes, at=(9, 5))
    assert [(r.kind, r.pupil_id) for r in result.refusals] == [(Why.CONFLICT, pupils[0].pk)]
    assert result.refusals[0].conflict and codes(pupils) == ["N", None, None]


def test_every_refusal_is_listed_at_once(school, teacher, office, pupils):
    write(school, pupils[0], {(MONDAY, "AM"): "N"})
    outsider = PupilFactory(school=school, year=4)
    wishes = [
        MarkWish(pupils[0].pk, "/", line=0),
        MarkWish(pupils[1].pk, "Q9", line=1),
        MarkWish(outsider.pk, "/", line=2),
        MarkWish(pupils[2].pk, "/", line=3),
    ]
    result = taking(school, teacher, office, wishes=wishes, at=(9, 30))
    assert sorted((r.line, r.kind) for r in result.refusals) == [
        (0, Why.CLOSED),
        (1, Why.INVALID),
        (2, Why.NOT_ON_ROLL),
    ]
    assert not Mark.objects.filter(pupil__in=pupils[1:]).exists()


def test_an_unsaved_register_is_opened_only_when_marks_are_written(school, teacher, office, pupils):
    group = year3(school)
    register = Register(school=school, group=group, date=MONDAY, session="AM")
    args = {
        "register": register,
        "times": Times(dt.time(8, 50), dt.time(9, 0), dt.time(9, 20)),
        "taken_by": TakenBy(Taker.OFFICE, Actor.for_staff(office.user, office)),
        "now": at(MONDAY, dt.time(9, 5)),
    }
    refused = take_register(**args, roll=roll_with_marks(register), wishes=[MarkWish(pupils[0].pk, "QQ")])
    assert refused.refusals and not Register.objects.filter(group=group).exists()
    result = take_register(**args, roll=roll_with_marks(register), wishes=[MarkWish(p.pk, "/") for p in pupils])
    assert result.ok and result.taken and result.register.pk is not None
    assert {m.register_id for m in marks_of(pupils)} == {result.register.pk}


def test_a_lesson_register_brings_its_own_times(school, teacher, office, pupils):
    @dataclass(frozen=True)
    class LessonTimes:  # e.g. period 1, 09:00–10:00, late after 09:05, register closes 09:30
        opens: dt.time = dt.time(9, 0)
        late_after: dt.time = dt.time(9, 5)
        closes: dt.time = dt.time(9, 30)

    before = taking(school, teacher, office, wishes=[MarkWish(pupils[0].pk, "/")], at=(8, 55), times=LessonTimes())
    assert [r.kind for r in before.refusals] == [Why.NOT_OPEN]
    result = taking(school, teacher, office, wishes=[MarkWish(pupils[0].pk, "L")], at=(9, 25), times=LessonTimes())
    assert result.ok and result.became_u == []
    assert (marks_of(pupils)[0].code.code, marks_of(pupils)[0].minutes_late) == ("L", 20)


def test_a_sub_reason_stays_with_its_code(school, teacher, office, pupils):
    bereavement = SubReason.objects.create(school=school, code="C", label="Bereavement")
    entry = MarkEntry(pupil_id=pupils[0].pk, date=MONDAY, session="AM", code="C", sub_reason_id=bereavement.pk)
    record_marks(school=school, entries=[entry], actor=SYSTEM, source="import")
    by_office = {"kind": Taker.OFFICE, "at": (10, 0), "reason": "confirmed by the family"}
    assert taking(school, teacher, office, wishes=[MarkWish(pupils[0].pk, "C", comment="funeral")], **by_office).ok
    mark = marks_of(pupils)[0]
    assert (mark.sub_reason_id, mark.comment) == (bereavement.pk, "funeral")
    assert taking(school, teacher, office, wishes=[MarkWish(pupils[0].pk, "I")], **by_office).ok
    mark = marks_of(pupils)[0]
    assert (mark.code.code, mark.sub_reason_id, mark.comment) == ("I", None, "funeral")


# --- the page and the API: the same cases, the same marks, the same refusals --------------------


@dataclass
class Case:
    """One register situation: marks already there (by pupil index), who takes it and when, and
    what they ask for: (pupil index or "outsider", code, expected version or None)."""

    who: str
    at: tuple[int, int]
    wishes: list[tuple] = field(default_factory=list)
    before: dict[int, str] = field(default_factory=dict)
    reason: str = ""
    all_present: bool = False
    status: tuple[int, int] = (200, 200)  # (page, API); 200 for the page means saved (302)
    refused: set = field(default_factory=set)  # pupil indices (or "outsider") refused one by one
    says: str = ""


CASES = {
    "before open": Case("teacher", (8, 40), [(0, "/", None)], status=(403, 403), says="opens at 08:50"),
    "after close for teacher": Case(
        "teacher",
        (9, 30),
        [(0, "/", None), (1, "/", None)],
        before={0: "N"},
        status=(403, 400),
        refused={0},
        says="only the office can change it",
    ),
    "L after close needs the arrival time": Case(
        "teacher",
        (9, 40),
        [(0, "L", None), (1, "/", None), (2, "N", None)],
        status=(400, 400),
        refused={0},
        says="enter the time they arrived",
    ),
    "office amendment needs a reason after close": Case(
        "office",
        (10, 0),
        [(0, "I", None)],
        before={0: "/", 1: "/", 2: "/"},
        status=(400, 400),
        refused={0},
        says="needs a reason",
    ),
    "office amendment with a reason": Case(
        "office", (10, 0), [(0, "I", None)], before={0: "/", 1: "/", 2: "/"}, reason="parent phoned: ill"
    ),
    "teacher corrects before close": Case("teacher", (9, 10), [(0, "/", None), (1, "L", None)], before={0: "N"}),
    "conflicting version": Case(
        "teacher",
        (9, 5),
        [(0, "/", 0), (1, "/", None)],
        before={0: "N"},
        status=(409, 409),
        refused={0},
        says="after you loaded",
    ),
    "unknown pupil": Case(
        "teacher",
        (9, 5),
        [(0, "/", None), ("outsider", "/", None)],
        status=(400, 400),
        refused={"outsider"},
        says="is not on the",
    ),
    "all present": Case("teacher", (8, 55), [(1, "N", None)], before={0: "C1"}, all_present=True),
}


@pytest.fixture
def world(school, client):
    """Two identical classes, one driven through the page and one through the API, with one
    teacher and the office; and a pupil of neither (Year 5)."""
    teacher = make_teacher(school)
    office = make_office(school)
    groups = {"page": year3(school), "api": school.groups.get(name="Year 4")}
    groups["api"].teachers.add(teacher)
    classes = {
        side: [PupilFactory(school=school, year=group.year, legal_surname=name) for name in SURNAMES]
        for side, group in groups.items()
    }
    outsider = PupilFactory(school=school, year=5, legal_forename="Robin")
    return {"teacher": teacher, "office": office, "groups": groups, "classes": classes, "outsider": outsider}


def _pupil(world, side, index):
    return world["outsider"] if index == "outsider" else world["classes"][side][index]


def _before(school, world, case):
    for side in ("page", "api"):
        for index, code in case.before.items():
            source = "leave_decision" if code == "C1" else "import"
            write(school, world["classes"][side][index], {(MONDAY, "AM"): code}, source=source)


def _through_the_page(client, world, case):
    staff = world[case.who]
    client.force_login(staff.user)
    register = register_for(world["teacher"].school, world["groups"]["page"])
    current = {m.pupil_id: m for m in Mark.objects.filter(date=MONDAY, session="AM")}
    data = {"action": "all_present" if case.all_present else "save", "reason": case.reason}
    for index, code, version in case.wishes:
        pupil = _pupil(world, "page", index)
        mark = current.get(pupil.pk)
        data[f"mark-{pupil.pk}" if code in ("/", "\\", "L", "N") else f"other-{pupil.pk}"] = code
        data[f"version-{pupil.pk}"] = str(version if version is not None else (mark.version if mark else 0))
        data[f"was-{pupil.pk}"] = (
            f"{mark.code.code}|{'' if mark.minutes_late is None else mark.minutes_late}" if mark else "|"
        )
    response = client.post(reverse("registers:register", args=[register.pk]), data)
    if response.status_code == 302:
        return 200, set(), ""
    context = response.context
    refused = {row.pupil.pk for row in context["rows"] if row.errors or row.conflict}
    text = " ".join(context["general_errors"] + [e for row in context["rows"] for e in row.errors])
    text += " ".join(row.conflict for row in context["rows"])
    if world["outsider"].name in text:
        refused.add(world["outsider"].pk)
    return response.status_code, refused, text


def _through_the_api(world, case):
    client = APIClient()
    client.force_login(world[case.who].user)
    group = world["groups"]["api"]
    pupils = world["classes"]["api"]
    marks = [
        {"pupil": _pupil(world, "api", index).pk, "code": code}
        | ({"expected_version": version} if version is not None else {})
        for index, code, version in case.wishes
    ]
    if case.all_present:  # the API has no switch for it: the client lists every unmarked pupil
        listed = {m["pupil"] for m in marks}
        marked = set(Mark.objects.filter(pupil__in=pupils, date=MONDAY).values_list("pupil_id", flat=True))
        marks += [{"pupil": p.pk, "code": "/"} for p in pupils if p.pk not in listed | marked]
    url = f"/api/v1/groups/{group.pk}/registers/{MONDAY.isoformat()}/AM/"
    response = client.put(url, {"marks": marks, "reason": case.reason}, format="json", HTTP_IF_MATCH="*")
    body = response.json()
    if response.status_code == 200:
        return 200, set(), ""
    refused = {e["pupil"] for e in body["errors"] if e.get("pupil") is not None}
    return response.status_code, refused, " ".join([body["message"]] + [e["reason"] for e in body["errors"]])


def _outcome(world, side):
    """Each pupil's mark as the register records it, and whether the register is taken."""
    group = world["groups"][side]
    marks = marks_of(world["classes"][side])
    rows = [
        None if m is None else (m.code.code, m.minutes_late, m.version, m.source, m.reason, m.recorded_by_position)
        for m in marks
    ]
    register = Register.objects.filter(group=group, date=MONDAY, session="AM").first()
    return rows, register.state if register else None


@pytest.mark.parametrize("name", list(CASES))
def test_the_page_and_the_api_take_a_register_alike(school, client, world, name):
    case = CASES[name]
    _before(school, world, case)
    register_for(school, world["groups"]["api"])  # both registers exist (the page's always does)
    with clock(*case.at):
        page = _through_the_page(client, world, case)
        api = _through_the_api(world, case)
    assert (page[0], api[0]) == case.status
    indices = {
        side: {
            ("outsider" if pid == world["outsider"].pk else [p.pk for p in world["classes"][side]].index(pid))
            for pid in found
        }
        for side, found in (("page", page[1]), ("api", api[1]))
    }
    assert indices["page"] == indices["api"] == case.refused
    assert case.says in page[2] and case.says in api[2]
    assert _outcome(world, "page") == _outcome(world, "api")


def test_the_parity_cases_leave_the_expected_marks(school, client, world):
    """The shared outcome is the rule's, not just the same on both sides: all or nothing."""
    case = CASES["L after close needs the arrival time"]
    register_for(school, world["groups"]["api"])
    with clock(*case.at):
        _through_the_page(client, world, case)
        _through_the_api(world, case)
    for side in ("page", "api"):
        rows, state = _outcome(world, side)
        assert rows == [None, None, None]
        assert state != Register.State.TAKEN


def test_an_integration_takes_a_register_as_itself(school, world):
    token, raw = ApiToken.issue(school=school, name="MIS sync", scope="write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    pupils = world["classes"]["api"]
    write(school, pupils[0], {(MONDAY, "AM"): "N"})
    url = f"/api/v1/groups/{world['groups']['api'].pk}/registers/{MONDAY.isoformat()}/AM/"
    with clock(9, 10):
        body = {"marks": [{"pupil": p.pk, "code": "/"} for p in pupils]}
        response = client.put(url, body, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 200, response.json()
    assert (response.json()["created"], response.json()["amended"]) == (2, 1)
    first = marks_of(pupils)[0]
    assert (first.source, first.reason) == ("api", "corrected by Integration: MIS sync before the register closed")
    register = Register.objects.get(group=world["groups"]["api"], date=MONDAY, session="AM")
    assert register.taken_on_behalf_of == world["teacher"]
