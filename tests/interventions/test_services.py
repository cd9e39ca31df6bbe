"""Accepting and dismissing alerts, cases, monitoring, notices to improve and penalty notices."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from interventions import services
from interventions.evaluation.run import run_checks
from interventions.models import Action, Alert, Case, CaseStep, MonitoringPeriod, PenaltyNotice
from interventions.services import PenaltyNoticeRefused
from registers.models import Contact, Mark, SchoolDay
from tests.factories import PupilFactory, write

D = dt.date


def days(school, start, end):
    return list(SchoolDay.objects.filter(school=school, date__range=(start, end)).values_list("date", flat=True))


@pytest.fixture
def below_90(school):
    """Preset A and a pupil at 80 % this year: the 96 %, below-96 % and below-90 % rules meet her."""
    services.load_policy_preset(school=school, preset="A")
    pupil = PupilFactory(school=school)
    spring = days(school, D(2026, 3, 2), D(2026, 3, 13))
    write(
        school,
        pupil,
        {(d, s): ("I" if i < 2 else "/" if s == "AM" else "\\") for i, d in enumerate(spring) for s in ("AM", "PM")},
    )
    run_checks(school=school, on=D(2026, 3, 13))
    return pupil


def test_accepting_an_alert_opens_a_case_and_carries_out_its_proposals_once(school, officer, below_90):
    alert = Alert.objects.get(pupil=below_90, rule__name="Attendance below 90 %")
    assert [p["type"] for p in alert.proposals] == ["stage", "letter", "task", "monitoring"]
    case = services.accept_alert(alert=alert, user=officer.user, on=D(2026, 3, 16), owner=officer)
    assert case.stage.order == 3 and case.owner == officer
    task = Action.objects.get(case=case, kind="meeting")
    assert task.role == "attendance_officer" and task.assigned_to == officer and task.due_on == D(2026, 3, 23)
    letter = Action.objects.get(case=case, kind="letter")
    assert letter.letter_template == "now_being_monitored"
    period = MonitoringPeriod.objects.get(case=case)
    assert period.weeks == 2 and period.review_on == D(2026, 3, 27)
    assert period.baseline["attendance_percent"] == 80.0
    step = CaseStep.objects.get(case=case, kind="alert")
    assert step.figures["attendance_percent"] == 80.0  # the figures at each step
    # accepting again, or another alert for the same pupil, reuses the case and duplicates nothing
    assert services.accept_alert(alert=alert, user=officer.user, on=D(2026, 3, 17)) == case
    assert Action.objects.filter(case=case).count() == 2 and MonitoringPeriod.objects.count() == 1
    other = Alert.objects.get(pupil=below_90, rule__name="Attendance below 96 %")
    assert services.accept_alert(alert=other, user=officer.user, on=D(2026, 3, 17)) == case
    assert Case.objects.count() == 1
    # re-running the checks after accepting never duplicates the alert
    assert run_checks(school=school, on=D(2026, 3, 13)).created == 0


def test_only_the_chosen_proposals_are_carried_out(school, officer, below_90):
    alert = Alert.objects.get(pupil=below_90, rule__name="Attendance below 90 %")
    case = services.accept_alert(alert=alert, user=officer.user, on=D(2026, 3, 16), choose=[2])
    assert case.stage is None and list(case.actions.values_list("kind", flat=True)) == ["meeting"]


def test_dismissing_needs_a_reason(school, officer, below_90):
    alert = Alert.objects.filter(pupil=below_90).first()
    with pytest.raises(ValidationError, match="reason"):
        services.dismiss_alert(alert=alert, reason="  ", user=officer.user)
    services.dismiss_alert(alert=alert, reason="Known hospital stay; medical evidence seen", user=officer.user)
    alert.refresh_from_db()
    assert alert.status == "dismissed" and alert.decided_by == officer.user
    with pytest.raises(ValidationError):
        services.accept_alert(alert=alert, user=officer.user)
    assert alert.history.count() == 2  # audited


def test_monitoring_review_alert_after_the_period(school, officer, below_90):
    alert = Alert.objects.get(pupil=below_90, rule__name="Attendance below 90 %")
    case = services.accept_alert(alert=alert, user=officer.user, on=D(2026, 3, 16))
    spring = days(school, D(2026, 3, 16), D(2026, 3, 27))
    write(school, below_90, {(d, s): "/" if s == "AM" else "\\" for d in spring for s in ("AM", "PM")})
    run_checks(school=school, on=D(2026, 3, 27))
    review = Alert.objects.get(pupil=below_90, rule__trigger="monitoring_review")
    assert review.rule.name == "Improvement after 2 weeks' monitoring"
    assert review.evidence["figures"]["attendance_percent"] == 100.0
    services.accept_alert(alert=review, user=officer.user, on=D(2026, 3, 27))
    period = MonitoringPeriod.objects.get(case=case, weeks=2, alert=alert)
    assert period.outcome == "improved" and period.reviewed_on == D(2026, 3, 27)
    assert Action.objects.filter(case=case, letter_template="congratulations").exists()


def test_notice_to_improve_runs_3_to_6_weeks(school, below_90):
    case = services.open_case(pupil=below_90, on=D(2026, 3, 16))
    parent = Contact.objects.create(pupil=below_90, forename="Pat", surname="Parent", relationship="Mother")
    common = {
        "case": case,
        "parent": parent,
        "issued_on": D(2026, 3, 16),
        "record_summary": "80 % this year",
        "support_offered": "Meetings, a support plan and a morning club place",
        "sufficient_improvement": "No unauthorised absence",
    }
    for weeks in (2, 7):
        with pytest.raises(ValidationError, match="3 to 6 weeks"):
            services.issue_notice_to_improve(weeks=weeks, **common)
    notice = services.issue_notice_to_improve(weeks=4, **common)
    assert notice.period_ends_on == D(2026, 4, 13)
    with pytest.raises(ValidationError, match="runs until"):
        services.record_notice_outcome(notice=notice, outcome="improved", on=D(2026, 4, 1))
    services.record_notice_outcome(notice=notice, outcome="improved", on=D(2026, 4, 13))


@pytest.fixture
def family(school):
    pupil = PupilFactory(school=school)
    parent = Contact.objects.create(pupil=pupil, forename="Pat", surname="Parent", relationship="Mother")
    slots = [(d, s) for d in days(school, D(2025, 9, 8), D(2025, 11, 28)) for s in ("AM", "PM")][:60]
    write(school, pupil, dict.fromkeys(slots, "O"))
    return pupil, parent, list(Mark.objects.filter(pupil=pupil).order_by("date", "session"))


def test_penalty_notice_amounts_the_3_year_limit_and_marks_not_reused(school, family):
    pupil, parent, marks = family
    first = services.issue_penalty_notice(
        pupil=pupil, parent=parent, issued_on=D(2025, 10, 1), marks=marks[:10], la_reference="LA/1"
    )
    assert (first.sequence, first.reduced_amount_pence, first.amount_pence) == (1, 8000, 16000)
    assert services.amount_due(first, D(2025, 10, 22)) == 8000
    assert services.amount_due(first, D(2025, 10, 23)) == 16000
    assert services.amount_due(first, D(2025, 10, 30)) is None
    with pytest.raises(ValidationError, match="already used"):
        services.issue_penalty_notice(pupil=pupil, parent=parent, issued_on=D(2025, 11, 1), marks=marks[5:15])
    second = services.issue_penalty_notice(pupil=pupil, parent=parent, issued_on=D(2025, 11, 1), marks=marks[10:20])
    assert (second.sequence, second.amount_pence, second.reduced_amount_pence) == (2, 16000, None)
    assert services.amount_due(second, D(2025, 11, 5)) == 16000
    with pytest.raises(PenaltyNoticeRefused) as refused:
        services.issue_penalty_notice(pupil=pupil, parent=parent, issued_on=D(2025, 12, 1), marks=marks[20:30])
    assert "third" in str(refused.value) and "an attendance contract" in refused.value.alternatives
    # a withdrawn notice does not count towards the limit
    services.set_penalty_notice_status(notice=second, status=PenaltyNotice.Status.WITHDRAWN, on=D(2025, 11, 20))
    third = services.issue_penalty_notice(pupil=pupil, parent=parent, issued_on=D(2025, 12, 1), marks=marks[20:30])
    assert third.sequence == 2
    # three years after the first, a notice is a first notice again
    terms = services.penalty_notice_terms(pupil=pupil, parent=parent, on=D(2028, 10, 2))
    assert terms["sequence"] == 2  # the December 2025 notice still counts
    terms = services.penalty_notice_terms(pupil=pupil, parent=parent, on=D(2028, 12, 2))
    assert terms["sequence"] == 1
    assert set(first.marks.all()) == set(marks[:10])


def test_a_notice_cannot_rely_on_unresolved_n_or_other_codes(school, family):
    pupil, parent, marks = family
    write(school, pupil, {(D(2025, 12, 1), "AM"): "N", (D(2025, 12, 1), "PM"): "I"})
    n, illness = Mark.objects.filter(pupil=pupil, date=D(2025, 12, 1)).order_by("session")
    with pytest.raises(ValidationError) as err:
        services.issue_penalty_notice(pupil=pupil, parent=parent, issued_on=D(2025, 12, 5), marks=[n, illness])
    assert "still coded N" in str(err.value) and "not unauthorised" in str(err.value)


def test_prosecution_referral_and_legal_steps(school, family, head):
    pupil, parent, marks = family
    notice = services.issue_penalty_notice(pupil=pupil, parent=parent, issued_on=D(2025, 10, 1), marks=marks[:10])
    with pytest.raises(ValidationError):
        services.refer_for_prosecution(notice=notice, on=D(2025, 11, 1))
    services.set_penalty_notice_status(notice=notice, status="unpaid", on=D(2025, 10, 30))
    services.refer_for_prosecution(notice=notice, on=D(2025, 11, 1))
    case = services.open_case(pupil=pupil, on=D(2025, 11, 1))
    step = services.record_legal_step(case=case, kind="prosecution_444_1a", on=D(2025, 11, 2), user=head.user)
    assert step.get_kind_display() == "Prosecution, s444(1A)"
    services.record_legal_step(case=case, kind="attendance_contract", on=D(2025, 11, 3))
    services.record_legal_step(case=case, kind="education_supervision_order", on=D(2025, 11, 4))


def test_siblings_share_a_family_on_their_cases(school):
    older, younger = PupilFactory(school=school, year=5), PupilFactory(school=school, year=2)
    first = services.open_case(pupil=older, on=D(2026, 3, 2))
    family = services.link_siblings(pupils=[older, younger], name="The Okafor family")
    first.refresh_from_db()
    assert first.family == family
    assert services.open_case(pupil=younger, on=D(2026, 3, 3)).family == family
    with pytest.raises(ValidationError):
        services.link_siblings(pupils=[older], name="Alone")
