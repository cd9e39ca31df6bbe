"""The officer's case pages: the cases list, closing and reopening, owners, support plans with
SMART targets, notices to improve, penalty notices and legal steps — with who may do what."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interventions import services
from interventions.models import (
    Action,
    Case,
    CaseStep,
    LegalStep,
    MonitoringPeriod,
    NoticeToImprove,
    PenaltyNotice,
    SupportTarget,
)
from registers.models import Contact, Mark, SchoolDay
from tests.factories import PupilFactory, StaffFactory, UserFactory, make_school, write

D = dt.date
LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)  # Monday, autumn term 2026/27
TODAY = NOW.date()
clock = time_machine.travel(NOW, tick=False)


def school_days(school, start, end):
    return list(SchoolDay.objects.filter(school=school, date__range=(start, end)).values_list("date", flat=True))


def url(name, **kwargs):
    return reverse(f"interventions:{name}", kwargs=kwargs)


def text(response):
    return response.content.decode()


@pytest.fixture
def family(school):
    """Ben, present this term apart from 12 unauthorised sessions (9–16 November): over the
    national threshold. His mother has parental responsibility; his grandmother does not."""
    ben = PupilFactory(school=school, year=4, legal_forename="Ben", legal_surname="Okafor")
    marks = {
        (d, s): "/" if s == "AM" else "\\" for d in school_days(school, D(2026, 9, 7), TODAY) for s in ("AM", "PM")
    }
    for d in school_days(school, D(2026, 11, 9), D(2026, 11, 13)):
        marks[(d, "AM")] = marks[(d, "PM")] = "O"
    marks[(D(2026, 11, 16), "AM")] = marks[(D(2026, 11, 16), "PM")] = "O"
    del marks[(TODAY, "PM")]
    write(school, ben, marks)
    mother = Contact.objects.create(pupil=ben, forename="Grace", surname="Okafor", relationship="Mother", title="Mrs")
    gran = Contact.objects.create(
        pupil=ben, forename="Ruth", surname="Okafor", relationship="Grandmother", parental_responsibility=False
    )
    return ben, mother, gran


@pytest.fixture
def case(family, officer):
    return services.open_case(pupil=family[0], on=D(2026, 10, 5), owner=officer, user=officer.user)


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer.user)
    return client


def as_staff(client, school, position, **kwargs):
    staff = StaffFactory(school=school, position=position, **kwargs)
    client.force_login(staff.user)
    return staff


def unauthorised(pupil):
    return list(Mark.objects.filter(pupil=pupil, code__code="O").order_by("date", "session"))


# --- the cases list ------------------------------------------------------------------------------


@clock
def test_cases_list_puts_overdue_first_and_filters(officer_client, school, officer, head):
    services.load_policy_preset(school=school, preset="A")
    stage = school.attendance_policies.get(active=True).stages.get(order=2)
    overdue, upcoming, quiet = (
        PupilFactory(school=school, year=y, legal_surname=n) for y, n in ((3, "Zed"), (4, "Amy"), (5, "Bea"))
    )
    c_overdue = services.open_case(pupil=overdue, on=D(2026, 10, 1), owner=officer)
    MonitoringPeriod.objects.create(case=c_overdue, start=D(2026, 10, 5), weeks=4, review_on=D(2026, 11, 13))
    c_upcoming = services.open_case(pupil=upcoming, on=D(2026, 10, 1), owner=head)
    services.record_action(case=c_upcoming, kind="call", due_on=D(2026, 11, 27), description="Call mum")
    services.set_stage(case=c_upcoming, stage=stage, on=D(2026, 10, 2))
    c_quiet = services.open_case(pupil=quiet, on=D(2026, 10, 1))
    closed = services.open_case(pupil=PupilFactory(school=school, legal_surname="Old"), on=D(2026, 9, 10))
    services.close_case(case=closed, on=D(2026, 10, 1), outcome="improved", reason="Back to 98 %")

    response = officer_client.get(url("cases"))
    assert response.status_code == 200
    assert [c.pk for c in response.context["cases"]] == [c_overdue.pk, c_upcoming.pk, c_quiet.pk]
    html = text(response)
    assert "overdue since 13 Nov" in html and "monitoring review" in html and "Fri 27 Nov 2026" in html
    assert response.context["overdue_count"] == 1

    def listed(**params):
        return [c.pk for c in officer_client.get(url("cases"), params).context["cases"]]

    assert listed(year="4") == [c_upcoming.pk]
    assert listed(stage=str(stage.pk)) == [c_upcoming.pk]
    assert listed(owner=str(head.pk)) == [c_upcoming.pk]
    assert listed(owner="none") == [c_quiet.pk]
    assert listed(status="closed") == [closed.pk]
    assert set(listed(status="all")) == {c_overdue.pk, c_upcoming.pk, c_quiet.pk, closed.pk}
    assert "Closed cases" in text(officer_client.get(url("cases"), {"status": "closed"}))


@clock
def test_cases_list_costs_the_same_for_5_and_30_cases(officer_client, school, officer, django_assert_max_num_queries):
    counts = []
    for total in (5, 30):
        while Case.objects.filter(school=school).count() < total:
            i = Case.objects.count()
            c = services.open_case(pupil=PupilFactory(school=school, year=1 + i % 6), on=D(2026, 10, 1), owner=officer)
            MonitoringPeriod.objects.create(
                case=c, start=D(2026, 10, 5), weeks=2, review_on=D(2026, 10, 16) + dt.timedelta(days=i)
            )
            services.record_action(case=c, kind="call", due_on=D(2026, 12, 1))
        with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as ctx:
            response = officer_client.get(url("cases"))
        assert len(response.context["cases"]) == total
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("position", ["class_teacher", "governor", "office"])
def test_teachers_governors_and_the_office_cannot_see_cases(client, school, case, position):
    as_staff(client, school, position)
    assert client.get(url("cases")).status_code == 403
    assert client.get(url("case", pk=case.pk)).status_code == 403


def test_a_parent_cannot_see_cases_and_anonymous_users_sign_in(client, school, family, case):
    ben, mother, _ = family
    mother.user = UserFactory(username="grace")
    mother.save()
    assert client.get(url("cases")).status_code == 302  # to the sign-in page
    client.force_login(mother.user)
    assert client.get(url("cases")).status_code == 403
    assert client.get(url("case", pk=case.pk)).status_code == 403
    assert client.get(url("penalty-consider", pk=case.pk, parent=mother.pk)).status_code == 403


def test_another_schools_case_is_not_found(client, case, family):
    other = make_school(urn="100002", name="Riverside Primary", establishment_number="2001")
    as_staff(client, other, "attendance_officer")
    _, mother, _ = family
    notice = services.issue_penalty_notice(
        pupil=case.pupil, parent=mother, issued_on=TODAY, marks=unauthorised(case.pupil)[:10], case=case
    )
    nti = services.issue_notice_to_improve(
        case=case,
        parent=mother,
        issued_on=TODAY,
        weeks=4,
        record_summary="",
        support_offered="Meetings",
        sufficient_improvement="No unauthorised absence",
    )
    assert client.get(url("cases")).context["cases"] == []
    for path in (
        url("case", pk=case.pk),
        url("support-plan-new", pk=case.pk),
        url("notice-to-improve-new", pk=case.pk),
        url("penalty-consider", pk=case.pk, parent=mother.pk),
        url("notice-to-improve", pk=nti.pk),
        url("penalty-notice", pk=notice.pk),
    ):
        assert client.get(path).status_code == 404, path
    post = {"outcome": "improved", "on": "2026-11-23", "reason": "x"}
    assert client.post(url("case-close", pk=case.pk), post).status_code == 404
    assert (
        client.post(url("penalty-notice-status", pk=notice.pk), {"status": "paid", "on": "2026-11-23"}).status_code
        == 404
    )
    case.refresh_from_db()
    assert case.status == "open"


# --- the case page: read-only for the DSL, close, reopen, owner ------------------------------------


@clock
def test_the_dsl_reads_the_case_but_cannot_change_it(client, school, case, family):
    as_staff(client, school, "dsl")
    page = client.get(url("case", pk=case.pk))
    assert page.status_code == 200
    html = text(page)
    assert "Ben Okafor's attendance case" in html and "The figures at each step" in html
    assert (
        "Close the case" not in html and "Record what happened" not in html and "Consider a penalty notice" not in html
    )
    assert client.get(url("cases")).status_code == 200
    post = {"outcome": "improved", "on": "2026-11-23", "reason": "Better"}
    assert client.post(url("case-close", pk=case.pk), post).status_code == 403
    assert client.post(url("case-action", pk=case.pk), {"kind": "call", "done_on": "2026-11-23"}).status_code == 403
    assert client.get(url("support-plan-new", pk=case.pk)).status_code == 403
    assert client.get(url("notice-to-improve-new", pk=case.pk)).status_code == 403
    assert client.get(url("penalty-consider", pk=case.pk, parent=family[1].pk)).status_code == 403
    assert client.post(url("case-owner", pk=case.pk), {"owner": ""}).status_code == 403
    assert client.post(url("case-reopen", pk=case.pk), {"reason": "x"}).status_code == 403
    # plans and notices: read, never changed
    plan = services.add_support_plan(
        case=case, on=TODAY, description="Plan", targets=[{"specific": "x", "measure": "y", "due_on": TODAY}]
    )
    target = plan.targets.get()
    nti = services.issue_notice_to_improve(
        case=case,
        parent=family[1],
        issued_on=D(2026, 10, 12),
        weeks=3,
        record_summary="",
        support_offered="Meetings",
        sufficient_improvement="No unauthorised absence",
    )
    plan_page = client.get(url("support-plan", pk=case.pk, plan=plan.pk))
    assert plan_page.status_code == 200 and "Change the result" not in text(plan_page)
    assert (
        client.post(
            url("support-target-result", pk=case.pk, target=target.pk), {f"t{target.pk}-result": "met"}
        ).status_code
        == 403
    )
    assert client.post(url("support-plan-targets", pk=case.pk, plan=plan.pk), targets_post(TARGET_2)).status_code == 403
    nti_page = client.get(url("notice-to-improve", pk=nti.pk))
    assert nti_page.status_code == 200 and "Record the outcome" not in text(nti_page)
    outcome = {"outcome": "improved", "on": "2026-11-23"}
    assert client.post(url("notice-to-improve-outcome", pk=nti.pk), outcome).status_code == 403
    case.refresh_from_db()
    target.refresh_from_db()
    nti.refresh_from_db()
    assert case.status == "open" and case.owner is not None and target.met is None and nti.outcome == ""


@clock
def test_close_and_reopen_a_case_with_reasons_kept(officer_client, case, officer):
    response = officer_client.post(
        url("case-close", pk=case.pk), {"outcome": "improved", "on": "2026-11-23", "reason": ""}
    )
    assert response.status_code == 400 and "This field is required" in text(response)
    response = officer_client.post(
        url("case-close", pk=case.pk), {"outcome": "improved", "on": "2026-10-01", "reason": "Better"}
    )
    assert response.status_code == 400 and "cannot close before it opened" in text(response)
    response = officer_client.post(
        url("case-close", pk=case.pk), {"outcome": "improved", "on": "2026-11-23", "reason": "Above 95 % for six weeks"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_on == TODAY
    step = CaseStep.objects.get(case=case, kind="closed")
    assert step.note == "Attendance improved: Above 95 % for six weeks" and step.created_by == officer.user
    assert step.figures["possible"] > 0
    assert case.history.order_by("-history_id").first().history_user == officer.user  # audited, with who
    html = text(officer_client.get(url("case", pk=case.pk)))
    assert "Reopen the case" in html and "Attendance improved: Above 95 % for six weeks" in html
    assert "Record what happened" not in html

    assert officer_client.post(url("case-reopen", pk=case.pk), {"reason": "  "}).status_code == 400
    assert officer_client.post(url("case-reopen", pk=case.pk), {"reason": "Absent again"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "open" and case.closed_on is None
    assert CaseStep.objects.filter(case=case, kind="opened", note="Reopened: Absent again").exists()


@clock
def test_a_case_cannot_reopen_while_the_pupil_has_another_open_case(officer_client, case):
    services.close_case(case=case, on=TODAY, outcome="other", reason="Merged")
    newer = services.open_case(pupil=case.pupil, on=TODAY)
    response = officer_client.post(url("case-reopen", pk=case.pk), {"reason": "Again"})
    assert response.status_code == 400 and "already has an open case" in text(response)
    assert newer.status == "open"
    with pytest.raises(ValidationError, match="already closed"):
        services.close_case(case=case, on=TODAY, outcome="other", reason="twice")


@clock
def test_change_the_owner(officer_client, school, case, head):
    hoy = StaffFactory(school=school, position="head_of_year")
    teacher = StaffFactory(school=school, position="class_teacher")
    page = text(officer_client.get(url("case", pk=case.pk)))
    assert hoy.display_name in page
    assert officer_client.post(url("case-owner", pk=case.pk), {"owner": str(hoy.pk)}).status_code == 302
    case.refresh_from_db()
    assert case.owner == hoy
    assert officer_client.post(url("case-owner", pk=case.pk), {"owner": str(teacher.pk)}).status_code == 400
    assert officer_client.post(url("case-owner", pk=case.pk), {"owner": ""}).status_code == 302
    case.refresh_from_db()
    assert case.owner is None
    with pytest.raises(ValidationError, match="attendance team"):
        services.set_case_owner(case=case, owner=teacher)
    assert case.history.count() == 3


@clock
def test_the_case_page_shows_the_figures_at_each_step_and_the_change(officer_client, school, case, officer):
    # the case opened on 5 Oct at 100 %; a meeting on 20 Nov after the unauthorised week
    services.record_action(case=case, kind="meeting", done_on=D(2026, 11, 20), description="Met mum")
    page = officer_client.get(url("case", pk=case.pk))
    timeline = page.context["timeline"]
    assert [r.what for r in timeline] == ["Case opened", "Meeting: Met mum"]
    assert timeline[0].figures["attendance_percent"] == 100.0
    assert timeline[1].figures["unauthorised"] == 12 and timeline[1].change < 0
    html = text(page)
    assert "Missed of possible" in html and f"{timeline[1].magnitude}" in html and "down" in html


# --- support plans with SMART targets ----------------------------------------------------------------


def targets_post(*rows, description="Morning routine plan", on="2026-11-23"):
    data = {
        "description": description,
        "on": on,
        "targets-TOTAL_FORMS": "3",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "10",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"targets-{i}-{key}"] = value
    return data


TARGET_1 = {
    "specific": "Ben arrives by 8:50 every day",
    "measure": "No late marks for 4 weeks",
    "achievable": "Breakfast club place",
    "relevant": "Late arrivals lead to missed mornings",
    "due_on": "2026-12-18",
}
TARGET_2 = {"specific": "No unauthorised absence", "measure": "Register: no O codes", "due_on": "2026-12-18"}


@clock
def test_add_a_support_plan_with_smart_targets_and_record_results(officer_client, case, officer):
    assert officer_client.get(url("support-plan-new", pk=case.pk)).status_code == 200
    response = officer_client.post(url("support-plan-new", pk=case.pk), targets_post())
    assert response.status_code == 400 and "Add at least one target" in text(response)
    early = {**TARGET_2, "due_on": "2026-11-01"}
    response = officer_client.post(url("support-plan-new", pk=case.pk), targets_post(TARGET_1, early))
    assert response.status_code == 400 and "before the plan was made" in text(response)
    assert not Action.objects.filter(kind="support_plan").exists()  # nothing half-saved

    response = officer_client.post(url("support-plan-new", pk=case.pk), targets_post(TARGET_1, TARGET_2))
    plan = Action.objects.get(case=case, kind="support_plan")
    assert response.status_code == 302 and response["Location"] == url("support-plan", pk=case.pk, plan=plan.pk)
    assert plan.figures["unauthorised"] == 12 and plan.assigned_to == officer
    first, second = plan.targets.order_by("pk")
    assert (first.specific, first.achievable, first.due_on, first.met) == (
        TARGET_1["specific"],
        "Breakfast club place",
        D(2026, 12, 18),
        None,
    )
    html = text(officer_client.get(url("support-plan", pk=case.pk, plan=plan.pk)))
    assert "Ben arrives by 8:50 every day" in html and "Attendance when the plan was agreed" in html

    response = officer_client.post(
        url("support-target-result", pk=case.pk, target=first.pk), {f"t{first.pk}-result": "met"}
    )
    assert response.status_code == 302
    officer_client.post(url("support-target-result", pk=case.pk, target=second.pk), {f"t{second.pk}-result": "not_met"})
    first.refresh_from_db(), second.refresh_from_db()
    assert first.met is True and second.met is False
    officer_client.post(
        url("support-target-result", pk=case.pk, target=second.pk), {f"t{second.pk}-result": "in_progress"}
    )
    second.refresh_from_db()
    assert second.met is None and second.history.count() == 3

    more = targets_post({"specific": "Attend the Friday club", "measure": "Club register", "due_on": "2027-01-15"})
    assert officer_client.post(url("support-plan-targets", pk=case.pk, plan=plan.pk), more).status_code == 302
    assert plan.targets.count() == 3
    case_page = text(officer_client.get(url("case", pk=case.pk)))
    assert "Morning routine plan" in case_page and "Attend the Friday club" in case_page


def test_targets_belong_to_support_plans_only(case):
    call = services.record_action(case=case, kind="call", done_on=D(2026, 11, 2))
    with pytest.raises(ValidationError, match="support plan"):
        services.add_support_targets(action=call, targets=[{"specific": "x", "measure": "y", "due_on": D(2026, 12, 1)}])
    with pytest.raises(ValidationError, match="how it will be measured"):
        services.add_support_plan(
            case=case,
            on=D(2026, 11, 2),
            description="Plan",
            targets=[{"specific": "x", "measure": " ", "due_on": D(2026, 12, 1)}],
        )


@clock
def test_recording_what_happened_as_a_support_plan_leads_to_its_targets(officer_client, case):
    response = officer_client.post(
        url("case-action", pk=case.pk), {"kind": "support_plan", "done_on": "2026-11-23", "description": "Plan"}
    )
    plan = Action.objects.get(case=case, kind="support_plan")
    assert response["Location"] == url("support-plan", pk=case.pk, plan=plan.pk)


# --- notices to improve ----------------------------------------------------------------------------


def nti_post(parent, weeks="4", **extra):
    return {
        "parent": str(parent.pk),
        "issued_on": "2026-11-23",
        "weeks": weeks,
        "record_summary": "94 % this year; 12 unauthorised sessions in November",
        "support_offered": "Meeting on 2 November; support plan; breakfast club",
        "further_support": "Early help assessment",
        "sufficient_improvement": "No unauthorised absence and no more than two late marks",
        **extra,
    }


@clock
def test_issue_a_notice_to_improve_and_record_its_outcome(officer_client, case, family, officer):
    _, mother, gran = family
    services.record_action(case=case, kind="meeting", done_on=D(2026, 11, 2), description="With mum")
    page = officer_client.get(url("notice-to-improve-new", pk=case.pk))
    form = page.context["form"]
    assert list(form.fields["parent"].queryset) == [mother]  # parental responsibility only
    assert "12 of them unauthorised" in form.initial["record_summary"]
    assert "Meeting (02 Nov 2026): With mum" in form.initial["support_offered"]

    for weeks in ("2", "7"):
        response = officer_client.post(url("notice-to-improve-new", pk=case.pk), nti_post(mother, weeks))
        assert response.status_code == 400
        assert f"The improvement period is 3 to 6 weeks; {weeks} weeks is outside it." in text(response)
    response = officer_client.post(url("notice-to-improve-new", pk=case.pk), nti_post(gran))
    assert response.status_code == 400 and not NoticeToImprove.objects.exists()
    response = officer_client.post(
        url("notice-to-improve-new", pk=case.pk), nti_post(mother, sufficient_improvement="")
    )
    assert response.status_code == 400

    response = officer_client.post(url("notice-to-improve-new", pk=case.pk), nti_post(mother))
    notice = NoticeToImprove.objects.get(case=case)
    assert response.status_code == 302 and response["Location"] == url("notice-to-improve", pk=notice.pk)
    assert notice.period_ends_on == D(2026, 12, 21) and notice.parent == mother
    html = text(officer_client.get(url("notice-to-improve", pk=notice.pk)))
    assert "No unauthorised absence and no more than two late marks" in html
    assert "on or after 21 December 2026" in html and "Record the outcome" not in html

    early = {"outcome": "not_improved", "on": "2026-12-01", "note": ""}
    response = officer_client.post(url("notice-to-improve-outcome", pk=notice.pk), early)
    assert response.status_code == 400 and "runs until 21 Dec 2026" in text(response)
    with time_machine.travel(dt.datetime(2027, 1, 5, 10, tzinfo=LONDON), tick=False):
        officer_client.force_login(officer.user)  # weeks later: a new session
        page = text(officer_client.get(url("notice-to-improve", pk=notice.pk)))
        assert "Record the outcome" in page
        late = {"outcome": "not_improved", "on": "2027-01-05", "note": "Two more unauthorised days"}
        assert officer_client.post(url("notice-to-improve-outcome", pk=notice.pk), late).status_code == 302
        page = text(officer_client.get(url("notice-to-improve", pk=notice.pk)))
    notice.refresh_from_db()
    assert notice.outcome == "not_improved" and notice.outcome_on == D(2027, 1, 5)
    assert "Consider a penalty notice to" in page


@clock
def test_heads_of_year_work_cases_but_do_not_issue_notices(client, school, case, family):
    as_staff(client, school, "head_of_year")
    assert client.get(url("case", pk=case.pk)).status_code == 200
    assert client.get(url("support-plan-new", pk=case.pk)).status_code == 200
    assert client.get(url("notice-to-improve-new", pk=case.pk)).status_code == 403
    assert client.post(url("notice-to-improve-new", pk=case.pk), nti_post(family[1])).status_code == 403
    assert client.get(url("penalty-consider", pk=case.pk, parent=family[1].pk)).status_code == 403


# --- penalty notices ----------------------------------------------------------------------------


def pn_post(marks, **extra):
    return {
        "marks": [str(m.pk) for m in marks],
        "issued_on": "2026-11-23",
        "la_reference": "LA/2026/0042",
        "confirm": "on",
        **extra,
    }


@clock
def test_consider_and_issue_a_penalty_notice(officer_client, case, family, officer):
    ben, mother, gran = family
    sessions = unauthorised(ben)
    assert officer_client.get(url("penalty-consider", pk=case.pk, parent=gran.pk)).status_code == 404
    page = officer_client.get(url("penalty-consider", pk=case.pk, parent=mother.pk))
    assert page.status_code == 200
    ctx = page.context
    assert ctx["unauthorised"] == 12 and ctx["available"] == 12 and ctx["meets_threshold"]
    assert ctx["terms"]["sequence"] == 1 and ctx["form"].initial["marks"] == [m.pk for m in sessions]
    html = text(page)
    assert "£40" not in html and "£80" in html and "£160" in html and "Mon 9 Nov 2026 AM" in html

    response = officer_client.post(url("penalty-consider", pk=case.pk, parent=mother.pk), pn_post(sessions, confirm=""))
    assert response.status_code == 400 and "Confirm that the headteacher has decided" in text(response)
    response = officer_client.post(url("penalty-consider", pk=case.pk, parent=mother.pk), pn_post(sessions[:9]))
    assert response.status_code == 400 and "at least 10 sessions" in text(response)
    response = officer_client.post(
        url("penalty-consider", pk=case.pk, parent=mother.pk), pn_post(sessions, issued_on="2026-11-30")
    )
    assert response.status_code == 400 and "cannot be in the future" in text(response)
    assert not PenaltyNotice.objects.exists()

    response = officer_client.post(url("penalty-consider", pk=case.pk, parent=mother.pk), pn_post(sessions))
    notice = PenaltyNotice.objects.get()
    assert response.status_code == 302 and response["Location"] == url("penalty-notice", pk=notice.pk)
    assert (notice.sequence, notice.amount_pence, notice.reduced_amount_pence) == (1, 16000, 8000)
    assert notice.case == case and notice.created_by == officer.user and notice.la_reference == "LA/2026/0042"
    assert set(notice.marks.all()) == set(sessions)

    # the sessions are now used: nothing is left to rely on for another notice
    page = officer_client.get(url("penalty-consider", pk=case.pk, parent=mother.pk))
    assert page.context["used_count"] == 12 and page.context["available"] == 0 and not page.context["meets_threshold"]
    assert "used for the notice of 23 Nov 2026" in text(page) and page.context["terms"]["sequence"] == 2
    response = officer_client.post(url("penalty-consider", pk=case.pk, parent=mother.pk), pn_post(sessions[:10]))
    assert response.status_code == 400 and PenaltyNotice.objects.count() == 1


@clock
def test_a_third_notice_within_3_years_is_refused_with_the_alternatives(officer_client, school, case, family):
    ben, mother, _ = family
    old = [(d, s) for d in school_days(school, D(2025, 9, 8), D(2025, 10, 17)) for s in ("AM", "PM")][:20]
    write(school, ben, dict.fromkeys(old, "O"))
    marks = list(Mark.objects.filter(pupil=ben, date__lt=D(2026, 1, 1)).order_by("date", "session"))
    services.issue_penalty_notice(pupil=ben, parent=mother, issued_on=D(2025, 10, 1), marks=marks[:10])
    services.issue_penalty_notice(pupil=ben, parent=mother, issued_on=D(2025, 11, 1), marks=marks[10:])
    page = officer_client.get(url("penalty-consider", pk=case.pk, parent=mother.pk))
    html = text(page)
    assert "A third penalty notice cannot be issued within 3 years of the first (01 Oct 2025)" in html
    for alternative in (
        "An attendance contract",
        "An education supervision order",
        "Prosecution under s444(1)",
        "A parenting order",
    ):
        assert alternative in html
    assert "Record the penalty notice" not in html
    response = officer_client.post(
        url("penalty-consider", pk=case.pk, parent=mother.pk), pn_post(unauthorised(ben)[-12:])
    )
    assert response.status_code == 400 and PenaltyNotice.objects.count() == 2


@clock
def test_penalty_notice_page_payment_status_and_prosecution(officer_client, client, school, case, family, officer):
    ben, mother, _ = family
    notice = services.issue_penalty_notice(
        pupil=ben,
        parent=mother,
        issued_on=D(2026, 11, 16),
        marks=unauthorised(ben)[:10],
        case=case,
        la_reference="LA/7",
    )
    page = officer_client.get(url("penalty-notice", pk=notice.pk))
    html = text(page)
    assert "£80" in html and "7 Dec 2026" in html and "£160" in html and "14 Dec 2026" in html
    assert len(page.context["marks"]) == 10 and "Mon 9 Nov 2026" in html

    status = url("penalty-notice-status", pk=notice.pk)
    response = officer_client.post(status, {"status": "unpaid", "on": "2026-11-23"})
    assert response.status_code == 400 and "has until 14 Dec 2026 to pay" in text(response)
    response = officer_client.post(status, {"status": "paid", "on": "2026-11-10"})
    assert response.status_code == 400 and "cannot be paid before it was issued" in text(response)
    response = officer_client.post(status, {"status": "paid", "on": "2026-11-23"}, follow=True)
    assert "Amount due when paid: £80." in text(response)
    notice.refresh_from_db()
    assert notice.status == "paid" and notice.paid_on == D(2026, 11, 23)
    assert "Due when paid on 23 Nov 2026" in text(officer_client.get(url("penalty-notice", pk=notice.pk)))
    officer_client.post(status, {"status": "paid", "on": "2026-12-10"})  # a correction: paid later, full amount
    notice.refresh_from_db()
    assert services.amount_due(notice, notice.paid_on) == 16000

    # unpaid after 28 days, then referred for prosecution (once)
    with time_machine.travel(dt.datetime(2026, 12, 16, 10, tzinfo=LONDON), tick=False):
        officer_client.force_login(officer.user)  # weeks later: a new session
        assert officer_client.post(status, {"status": "unpaid", "on": "2026-12-15"}).status_code == 302
        notice.refresh_from_db()
        assert notice.status == "unpaid" and notice.paid_on is None
        assert "Record the referral for prosecution" in text(officer_client.get(url("penalty-notice", pk=notice.pk)))
        prosecution = url("penalty-notice-prosecution", pk=notice.pk)
        assert officer_client.post(prosecution, {"on": "2026-12-16"}).status_code == 302
        assert officer_client.post(prosecution, {"on": "2026-12-16"}).status_code == 400
    notice.refresh_from_db()
    assert notice.prosecution_referred_on == D(2026, 12, 16)

    # the DSL reads the notice; a head of year cannot change it
    as_staff(client, school, "dsl")
    assert client.get(url("penalty-notice", pk=notice.pk)).status_code == 200
    assert "Payment and status" not in text(client.get(url("penalty-notice", pk=notice.pk)))
    as_staff(client, school, "head_of_year")
    assert client.post(status, {"status": "withdrawn", "on": "2026-11-23"}).status_code == 403


@clock
def test_a_withdrawn_notice_does_not_count_and_cannot_change_again(officer_client, case, family):
    ben, mother, _ = family
    notice = services.issue_penalty_notice(
        pupil=ben, parent=mother, issued_on=TODAY, marks=unauthorised(ben)[:10], case=case
    )
    assert (
        officer_client.post(
            url("penalty-notice-status", pk=notice.pk), {"status": "withdrawn", "on": "2026-11-23"}
        ).status_code
        == 302
    )
    html = text(officer_client.get(url("penalty-notice", pk=notice.pk)))
    assert "does not count towards the limit" in html and "Payment and status" not in html
    assert officer_client.get(url("penalty-consider", pk=case.pk, parent=mother.pk)).context["terms"]["sequence"] == 1
    with pytest.raises(ValidationError, match="withdrawn"):
        services.set_penalty_notice_status(notice=notice, status="paid", on=TODAY)


def test_a_notice_relies_on_sessions_within_10_school_weeks_before_its_issue(school, family):
    ben, mother, _ = family
    autumn_2025 = [(d, s) for d in school_days(school, D(2025, 9, 8), D(2025, 9, 12)) for s in ("AM", "PM")][:6]
    write(school, ben, dict.fromkeys(autumn_2025, "O"))
    old = list(Mark.objects.filter(pupil=ben, date__lt=D(2026, 1, 1), code__code="O"))
    recent = unauthorised(ben)[-6:]
    with pytest.raises(ValidationError, match="more than 10 school weeks"):
        services.issue_penalty_notice(pupil=ben, parent=mother, issued_on=TODAY, marks=old + recent)
    with pytest.raises(ValidationError, match="after the notice's issue date"):
        services.issue_penalty_notice(
            pupil=ben, parent=mother, issued_on=D(2026, 11, 12), marks=unauthorised(ben)[-12:]
        )


# --- legal steps ----------------------------------------------------------------------------------


@clock
def test_the_head_records_legal_steps_and_they_show_on_the_case(client, school, case, head):
    client.force_login(head.user)
    page = text(client.get(url("case", pk=case.pk)))
    assert "Record a legal intervention" in page and "s444(1A): knowing the child is failing to attend" in page
    for kind, ref, notes in (
        ("attendance_contract", "", "Signed with both parents"),
        ("education_supervision_order", "ESO/12", "Applied for by the LA"),
        ("prosecution_444_1", "MC/44", "Summons issued"),
        ("prosecution_444_1a", "MC/45", "Aggravated offence"),
    ):
        post = {"kind": kind, "date": "2026-11-23", "reference": ref, "notes": notes}
        assert client.post(url("case-legal-step", pk=case.pk), post).status_code == 302
    assert LegalStep.objects.filter(case=case).count() == 4
    html = text(client.get(url("case", pk=case.pk)))
    for label in (
        "Attendance contract",
        "Education supervision order",
        "Prosecution, s444(1)",
        "Prosecution, s444(1A)",
        "ESO/12",
        "Summons issued",
    ):
        assert label in html
    response = client.post(url("case-legal-step", pk=case.pk), {"kind": "caution", "date": "2026-11-23"})
    assert response.status_code == 400


def test_support_targets_are_kept_with_the_plan(case, family):
    plan = services.add_support_plan(
        case=case,
        on=D(2026, 11, 2),
        description="Plan",
        targets=[{"specific": "x", "measure": "y", "due_on": D(2026, 12, 1)}],
    )
    services.record_target_outcome(target=plan.targets.get(), met=True)
    assert SupportTarget.objects.get().met is True
    services.close_case(case=case, on=D(2026, 11, 20), outcome="improved", reason="Done")
    with pytest.raises(ValidationError, match="closed"):
        services.add_support_plan(case=case, on=D(2026, 11, 21), description="Another", targets=[])
    case.refresh_from_db()
    ben, mother, _ = family
    with pytest.raises(ValidationError, match="closed"):
        services.issue_penalty_notice(pupil=ben, parent=mother, issued_on=TODAY, marks=unauthorised(ben), case=case)
    with pytest.raises(ValidationError, match="parental responsibility"):
        services.issue_penalty_notice(pupil=ben, parent=family[2], issued_on=TODAY, marks=unauthorised(ben))
