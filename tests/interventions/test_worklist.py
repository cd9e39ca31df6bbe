"""Issue 13: the officer's worklist. One row per pupil, most urgent first; the ladder proposes
the next step with the lower stages folded in; accepting (one or many) creates the case steps
and tasks once and hands the letters to the letters app as one batch per template; dismissing
needs one reason; snoozing hides until a date. Preset A (a primary trust) on the real calendar."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interventions.evaluation.run import run_checks
from interventions.models import Action, Alert, Case, CaseStep, LadderStage, MonitoringPeriod
from interventions.selectors.dashboard import dashboard
from interventions.services import accept_proposals, load_policy_preset
from letters.models import Batch, Letter
from letters.services import install_starter_templates
from registers.models import Contact, SchoolDay
from tests.factories import PupilFactory, StaffFactory, make_school, write

D = dt.date
LONDON = zoneinfo.ZoneInfo("Europe/London")
FRIDAY = D(2026, 3, 20)
NOW = dt.datetime(2026, 3, 20, 16, 0, tzinfo=LONDON)
URL = "interventions:dashboard"


def days(school, start, end):
    return list(SchoolDay.objects.filter(school=school, date__range=(start, end)).values_list("date", flat=True))


def present(session):
    return "/" if session == "AM" else "\\"


def pupil_with(school, name, absent: dict, **extra):
    """Present every session from 2 to 20 March 2026 (30 sessions) except `absent`; a parent at home."""
    forename, surname = name.split()
    pupil = PupilFactory(school=school, legal_forename=forename, legal_surname=surname, **extra)
    marks = {(d, s): present(s) for d in days(school, D(2026, 3, 2), FRIDAY) for s in ("AM", "PM")}
    marks.update(absent)
    write(school, pupil, marks)
    Contact.objects.create(
        pupil=pupil, forename="Sam", surname=surname, relationship="Mother", address="1 Mill Street", postcode="AG1 1AA"
    )
    return pupil


def whole_days(school, start, end, code):
    return {(d, s): code for d in days(school, start, end) for s in ("AM", "PM")}


@pytest.fixture
def story(school, head):
    """Preset A. Fallen: 2 sessions off last week (93.3 %, down 6.7 in a week): stages 1 and 2.
    Earlier: the same 2 sessions in the first week (rising). Monitored: 4 sessions (86.7 %):
    stages 1 to 3. Truant: a week of unauthorised absence — the penalty threshold, more than 3
    days in a row, and stages 1 to 3. Reached: Fallen's record, but already at stage 3. The
    headteacher signs the letters."""
    policy = load_policy_preset(school=school, preset="A")
    install_starter_templates(school=school)
    pupils = {
        "fallen": pupil_with(school, "Fay Fallen", whole_days(school, D(2026, 3, 19), D(2026, 3, 19), "I")),
        "earlier": pupil_with(school, "Eli Earlier", whole_days(school, D(2026, 3, 3), D(2026, 3, 3), "I")),
        "monitored": pupil_with(school, "Mo Monitored", whole_days(school, D(2026, 3, 18), D(2026, 3, 19), "I")),
        "truant": pupil_with(school, "Tom Truant", whole_days(school, D(2026, 3, 16), FRIDAY, "O")),
        "reached": pupil_with(school, "Rae Reached", whole_days(school, D(2026, 3, 19), D(2026, 3, 19), "I")),
    }
    Case.objects.create(
        school=school,
        pupil=pupils["reached"],
        opened_on=D(2026, 2, 2),
        stage=LadderStage.objects.get(policy=policy, order=3),
    )
    run_checks(school=school, on=FRIDAY)
    return pupils


def board(school, **kwargs):
    return dashboard(school=school, today=FRIDAY, now=NOW, **kwargs)


def test_one_row_per_pupil_most_urgent_first_with_the_ladder_folded(school, story):
    rows = board(school).worklist
    assert [r.pupil_id for r in rows] == [story[k].pk for k in ("truant", "monitored", "fallen", "earlier")]
    truant, monitored, fallen, earlier = rows
    # the threshold first, as its own item beside the ladder's next step
    assert truant.urgent and truant.threshold_sessions == 10 and truant.attendance == 66.7
    assert [p.title for p in truant.proposals][0] == "Stage 3: Monitoring: meeting with the attendance officer"
    assert {p.rule_name for p in truant.proposals[1:]} == {
        "National penalty-notice threshold: 10 unauthorised sessions in 10 school weeks",
        "More than 3 consecutive school days of absence",
    }
    # two rules, one proposal: stage 2's letter and stage 1's call, merged
    [step] = fallen.proposals
    assert step.title == "Stage 2: Concern letter" and len(step.alert_ids) == 2
    assert step.evidence == "93.3 % attendance over the academic year 2025/26"
    assert step.actions == [
        "Letter: Attendance concern",
        "Pastoral conversation with the pupil and a phone call home (Class teacher)",
    ]
    assert step.folded == ["Attendance has fallen to 96 %"] and fallen.attendance == 93.3 and fallen.fall == 6.7
    assert earlier.fall == -3.3  # the same stage, rising: after the one falling
    # stage 3 supersedes 1 and 2: one letter (stage 3's), the meeting, the call, monitoring
    [step] = monitored.proposals
    assert len(step.alert_ids) == 3 and step.actions == [
        "Letter: Now being monitored",
        "Contact parents and hold a formal meeting (Attendance officer)",
        "2-week monitoring period",
        "Pastoral conversation with the pupil and a phone call home (Class teacher)",
    ]
    # a pupil whose case is at stage 3 gets no stage 1 or 2 proposal (nor alert)
    assert not Alert.objects.filter(pupil=story["reached"]).exists()
    assert story["reached"].pk not in {r.pupil_id for r in rows}


@time_machine.travel(NOW, tick=False)
def test_the_page_shows_one_row_per_pupil_with_the_figure_and_one_button(client, school, story, officer):
    client.force_login(officer.user)
    html = client.get(reverse(URL)).content.decode()
    assert "To decide: 4 pupils" in html
    assert html.index("Tom Truant") < html.index("Mo Monitored") < html.index("Fay Fallen") < html.index("Eli Earlier")
    assert "66.7 %" in html and "down 6.7 in a week" in html and "10 unauthorised sessions in 10 school weeks" in html
    assert html.count('name="accept"') == 6  # truant 3, the others 1 each
    assert "Rae Reached" not in html


def post(client, **data):
    return client.post(reverse("interventions:worklist-decide"), data)


def item(rows, name, key=""):
    """The value of `name`'s proposal whose title holds `key` (the first one without)."""
    return next(p.value for r in rows if r.name == name for p in r.proposals if key in p.title)


@time_machine.travel(NOW, tick=False)
def test_accepting_in_bulk_carries_out_the_merged_proposals_once_and_batches_the_letters(
    client, school, story, officer, django_capture_on_commit_callbacks
):
    client.force_login(officer.user)
    rows = board(school).worklist
    chosen = [item(rows, "Fay Fallen"), item(rows, "Mo Monitored")]
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, do="accept", item=chosen)
    assert response.status_code == 302
    message = [str(m) for m in response.wsgi_request._messages][0]
    assert message.startswith("Accepted 2 proposals for 2 pupils: 3 tasks created. Their letters are being produced")

    fallen = Case.objects.get(pupil=story["fallen"])
    assert fallen.stage.order == 2
    assert sorted(Action.objects.filter(case=fallen).values_list("kind", "letter_template")) == [
        ("call", ""),
        ("letter", "concern"),
    ]
    assert CaseStep.objects.filter(case=fallen, kind="stage").count() == 1  # straight to stage 2
    monitored = Case.objects.get(pupil=story["monitored"])
    assert monitored.stage.order == 3
    assert sorted(Action.objects.filter(case=monitored).values_list("kind", "letter_template")) == [
        ("call", ""),
        ("letter", "now_being_monitored"),
        ("meeting", ""),
    ]
    assert MonitoringPeriod.objects.filter(case=monitored).count() == 1
    assert not Alert.objects.filter(pupil__in=[story["fallen"], story["monitored"]], status="new").exists()

    # one batch per template, each letter tied to its action, which it completes
    batches = {b.template.key: b for b in Batch.objects.all()}
    assert set(batches) == {"concern", "now_being_monitored"}
    assert all(b.status == "done" and b.done == 1 for b in batches.values()), [b.errors for b in batches.values()]
    for letter in Letter.objects.all():
        assert letter.action.letter_template == letter.template.key and letter.action.done_on == FRIDAY
        assert letter.alert_id == letter.action.alert_id

    # a second click, or the checks again: nothing more
    with django_capture_on_commit_callbacks(execute=True):
        post(client, do="accept", item=chosen)
    run_checks(school=school, on=FRIDAY)
    assert Action.objects.count() == 5 and Batch.objects.count() == 2 and Letter.objects.count() == 2
    assert {r.pupil_id for r in board(school).worklist} == {story["truant"].pk, story["earlier"].pk}


def test_the_ladder_only_moves_up_and_one_letter_per_template(school, story, officer):
    """Accepted stage 3 first, then a stale stage 2 proposal: the case stays at stage 3. Two
    items of one pupil proposing the same letter send it once."""
    rows = board(school).worklist
    truant = next(r for r in rows if r.pupil_id == story["truant"].pk)
    accept_proposals(school=school, items=[[pk] for pk in truant.proposals[0].alert_ids[:1]], user=officer.user)
    case = Case.objects.get(pupil=story["truant"])
    assert case.stage.order == 3
    stage_two = Alert.objects.get(pupil=story["truant"], rule__stage__order=2)
    accept_proposals(school=school, items=[[stage_two.pk]], user=officer.user)
    case.refresh_from_db()
    assert case.stage.order == 3
    # preset A: "more than 3 days in a row" and "more than 10 days this term" both ask for an
    # explanation letter; accepted together, one letter
    pupil = pupil_with(school, "Lou Long", whole_days(school, D(2026, 3, 2), FRIDAY, "I"))
    run_checks(school=school, on=FRIDAY)
    items = [[a.pk] for a in Alert.objects.filter(pupil=pupil, rule__stage__isnull=True)]
    assert len(items) == 3  # consecutive days, days this term, and 15 days of illness
    accept_proposals(school=school, items=items, user=officer.user)
    assert Action.objects.filter(case__pupil=pupil, letter_template="explanation_request").count() == 1


@time_machine.travel(NOW, tick=False)
def test_dismiss_with_one_reason_and_snooze_until_a_date(client, school, story, officer):
    client.force_login(officer.user)
    rows = board(school).worklist
    fallen, earlier = item(rows, "Fay Fallen"), item(rows, "Eli Earlier")
    response = post(client, do="dismiss", item=[fallen, earlier], reason="")
    assert "Give the reason for dismissing them." in [str(m) for m in response.wsgi_request._messages]
    assert Alert.objects.filter(status="dismissed").count() == 0
    post(client, do="dismiss", item=[fallen, earlier], reason="Known illness; the family is in touch")
    assert set(Alert.objects.filter(status="dismissed").values_list("dismiss_reason", flat=True)) == {
        "Known illness; the family is in touch"
    }
    assert Alert.objects.filter(status="dismissed").count() == 4

    truant = [p.value for r in board(school).worklist if r.name == "Tom Truant" for p in r.proposals]
    response = post(client, do="snooze", item=truant, until="2026-03-20")
    assert "Snooze until a date after today." in [str(m) for m in response.wsgi_request._messages]
    post(client, do="snooze", item=truant, until="2026-03-27")
    assert [r.name for r in board(school).worklist] == ["Mo Monitored"]
    assert dashboard(school=school, today=D(2026, 3, 27), now=NOW).worklist_total == 2  # back on the date
    assert Alert.objects.filter(pupil=story["truant"], status="new").count() == 5  # still new: nothing decided


@time_machine.travel(NOW, tick=False)
def test_nobody_decides_another_schools_proposals_or_without_the_right(client, school, story, officer):
    other = make_school(urn="100002", name="Another School")
    load_policy_preset(school=other, preset="A")
    theirs = pupil_with(other, "Oli Other", whole_days(other, D(2026, 3, 16), FRIDAY, "O"))
    run_checks(school=other, on=FRIDAY)
    their_alert = Alert.objects.filter(pupil=theirs).first()
    client.force_login(officer.user)
    mine = item(board(school).worklist, "Fay Fallen")
    cases = Case.objects.count()  # Rae's, at stage 3
    response = post(client, do="accept", item=[f"{their_alert.pk}", mine])
    assert "Some of those proposals are not this school's." in [str(m) for m in response.wsgi_request._messages]
    assert Case.objects.count() == cases
    # a proposal spanning two pupils is refused
    truant = Alert.objects.filter(pupil=story["truant"]).first()
    response = post(client, accept=f"{mine}-{truant.pk}")
    assert "A proposal is about one pupil." in [str(m) for m in response.wsgi_request._messages]
    assert Case.objects.count() == cases
    # the office sees the worklist but cannot decide; a teacher cannot even see it
    office = StaffFactory(school=school, position="office")
    client.force_login(office.user)
    html = client.get(reverse(URL)).content.decode()
    assert "Fay Fallen" in html and 'name="accept"' not in html
    assert post(client, accept=mine).status_code == 403
    teacher = StaffFactory(school=school, position="class_teacher")
    client.force_login(teacher.user)
    assert post(client, accept=mine).status_code == 403
    assert Case.objects.count() == cases and not Alert.objects.exclude(status="new").exists()


@time_machine.travel(NOW, tick=False)
def test_the_worklist_takes_the_same_number_of_queries_at_two_school_sizes(client, school, officer):
    load_policy_preset(school=school, preset="A")
    install_starter_templates(school=school)
    client.force_login(officer.user)
    counts = []
    for n in (3, 15):
        for i in range(n):
            pupil_with(school, f"Fay Fallen{n}x{i}", whole_days(school, D(2026, 3, 19), D(2026, 3, 19), "I"))
            pupil_with(school, f"Tom Truant{n}x{i}", whole_days(school, D(2026, 3, 16), FRIDAY, "O"))
        run_checks(school=school, on=FRIDAY)
        accept_proposals(school=school, items=[[Alert.objects.filter(status="new").first().pk]], user=officer.user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(URL))
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
        assert response.context["d"].worklist_total >= 2 * n
    assert counts[0] == counts[1] and counts[1] <= 30, counts
