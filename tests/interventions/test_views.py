"""The officer's dashboard, the alert page and the case page."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interventions import services
from interventions.evaluation.run import run_checks
from interventions.models import Action, Alert, Case, MonitoringPeriod
from registers.models import SchoolDay
from tests.factories import PupilFactory, StaffFactory, write

D = dt.date
LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 20, 10, 0, tzinfo=LONDON)


def days(school, start, end):
    return list(SchoolDay.objects.filter(school=school, date__range=(start, end)).values_list("date", flat=True))


def populate(school, n):
    """n pupils of every kind the dashboard lists."""
    created = []
    for i in range(n):
        kind = i % 5
        p = PupilFactory(school=school, year=1 + i % 6, child_in_need=(kind == 0), sen="E" if kind == 1 else "N")
        created.append(p)
        marks = {}
        if kind in (0, 1):  # vulnerable, absent today
            marks[(D(2026, 3, 20), "AM")] = "I"
        if kind == 2:  # unexplained today and an old N
            marks[(D(2026, 3, 20), "AM")] = "N"
            marks[(D(2026, 3, 2), "PM")] = "N"
        if kind == 3:  # 10 unauthorised sessions since last Friday: threshold, newly persistent
            for d in days(school, D(2026, 3, 13), D(2026, 3, 19)):
                marks[(d, "AM")] = marks[(d, "PM")] = "O"
        for d in days(school, D(2026, 2, 23), D(2026, 3, 19)):
            for s in ("AM", "PM"):
                marks.setdefault((d, s), "/" if s == "AM" else "\\")
        write(school, p, marks)
    return created


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer.user)
    return client


def test_teachers_cannot_see_the_dashboard(client, school):
    teacher = StaffFactory(school=school, position="class_teacher")
    client.force_login(teacher.user)
    assert client.get(reverse("interventions:dashboard")).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_dashboard_lists_what_needs_doing_in_a_fixed_number_of_queries(officer_client, school, officer):
    services.load_policy_preset(school=school, preset="B")
    url = reverse("interventions:dashboard")
    counts = []
    for n in (5, 15):
        populate(school, n)
        run_checks(school=school, on=D(2026, 3, 20))
        alert = Alert.objects.filter(status="new").first()
        case = services.accept_alert(alert=alert, user=officer.user, on=D(2026, 3, 13))
        services.start_monitoring(case=case, weeks=1, start=D(2026, 3, 9))
        with CaptureQueriesContext(connection) as ctx:
            response = officer_client.get(url)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[1] <= 30, counts
    print("dashboard queries", counts)
    html = response.content.decode()
    for heading in (
        "Unexplained absences today",
        "N codes older than 5 school days",
        "Registers not taken",
        "To decide:",
        "Reviews and tasks due",
        "Newly persistent or severe absence",
        "At the penalty-notice threshold",
        "Vulnerable pupils absent today",
    ):
        assert heading in html
    d = response.context["d"]
    assert len(d.unexplained_today) == 4 and d.overdue_n_count == 4
    assert len(d.vulnerable_absent) == 8
    assert len(d.threshold) == 4 and len(d.newly_persistent) + len(d.newly_severe) >= 4
    assert d.missing_registers and d.reviews_due
    assert reverse("pupil-detail", kwargs={"pk": d.threshold[0].pupil_id}) in html
    assert reverse("interventions:case", kwargs={"pk": Case.objects.first().pk}) in html


@time_machine.travel(NOW, tick=False)
def test_dashboard_filters_by_year_group_and_characteristic(officer_client, school):
    populate(school, 10)
    response = officer_client.get(reverse("interventions:dashboard"), {"characteristic": "child_in_need"})
    d = response.context["d"]
    assert len(d.vulnerable_absent) == 2 and not d.unexplained_today
    response = officer_client.get(reverse("interventions:dashboard"), {"year": "3"})
    d = response.context["d"]
    assert all(m.pupil.year == 3 for m in d.unexplained_today) and len(d.unexplained_today) == 1
    assert all(r.group.year == 3 for r in d.missing_registers)


@time_machine.travel(NOW, tick=False)
def test_work_an_alert_into_a_case(officer_client, school, officer):
    services.load_policy_preset(school=school, preset="A")
    pupil = populate(school, 4)[3]
    run_checks(school=school, on=D(2026, 3, 20))
    alert = Alert.objects.get(pupil=pupil, rule__trigger="penalty_threshold")
    page = officer_client.get(reverse("interventions:alert", kwargs={"pk": alert.pk}))
    assert "Consider whether a penalty notice" in page.content.decode()
    response = officer_client.post(reverse("interventions:alert-accept", kwargs={"pk": alert.pk}), {"proposal": ["0"]})
    case = Case.objects.get(pupil=pupil)
    assert response.status_code == 302 and response["Location"] == reverse("interventions:case", kwargs={"pk": case.pk})
    assert Action.objects.get(case=case).kind == "decision"
    response = officer_client.post(
        reverse("interventions:case-action", kwargs={"pk": case.pk}),
        {"kind": "meeting", "done_on": "2026-03-20", "description": "Meeting with mum", "outcome": "Agreed a plan"},
    )
    assert response.status_code == 302
    response = officer_client.post(
        reverse("interventions:case-monitoring", kwargs={"pk": case.pk}), {"weeks": "4", "start": "2026-03-23"}
    )
    assert response.status_code == 302
    period = MonitoringPeriod.objects.get(case=case)
    assert period.review_on == D(2026, 5, 1)  # four school weeks: the Easter holiday is not counted
    page = officer_client.get(reverse("interventions:case", kwargs={"pk": case.pk})).content.decode()
    assert "Meeting with mum" in page and "4 weeks from 23 Mar 2026" in page
    other = Alert.objects.filter(status="new").exclude(pk=alert.pk).first()
    response = officer_client.post(reverse("interventions:alert-dismiss", kwargs={"pk": other.pk}), {"reason": ""})
    assert response.status_code == 400
    officer_client.post(reverse("interventions:alert-dismiss", kwargs={"pk": other.pk}), {"reason": "Seen; explained"})
    other.refresh_from_db()
    assert other.status == "dismissed"


def test_case_page_shows_the_penalty_position_and_the_head_records_legal_steps(client, school, officer, head):
    from interventions.models import LegalStep
    from registers.models import Contact, Mark

    pupil = PupilFactory(school=school)
    parent = Contact.objects.create(pupil=pupil, forename="Pat", surname="Parent", relationship="Mother")
    slots = [(d, s) for d in days(school, D(2025, 9, 8), D(2025, 10, 17)) for s in ("AM", "PM")][:20]
    write(school, pupil, dict.fromkeys(slots, "O"))
    marks = list(Mark.objects.filter(pupil=pupil).order_by("date", "session"))
    services.issue_penalty_notice(pupil=pupil, parent=parent, issued_on=D(2025, 10, 1), marks=marks[:10])
    services.issue_penalty_notice(pupil=pupil, parent=parent, issued_on=D(2025, 11, 1), marks=marks[10:])
    case = services.open_case(pupil=pupil, on=D(2025, 11, 2))
    url = reverse("interventions:case", kwargs={"pk": case.pk})
    client.force_login(officer.user)
    page = client.get(url).content.decode()
    assert "A third penalty notice cannot be issued within 3 years" in page and "an attendance contract" in page
    assert "Record a legal intervention" not in page
    post = {"kind": "attendance_contract", "date": "2025-11-03", "notes": "Signed with both parents"}
    assert client.post(reverse("interventions:case-legal-step", kwargs={"pk": case.pk}), post).status_code == 403
    client.force_login(head.user)
    assert "Record a legal intervention" in client.get(url).content.decode()
    assert client.post(reverse("interventions:case-legal-step", kwargs={"pk": case.pk}), post).status_code == 302
    assert LegalStep.objects.get(case=case).kind == "attendance_contract"


@time_machine.travel(NOW, tick=False)
def test_the_dsl_reads_alerts_but_cannot_decide_them(client, school):
    """README, "Roles": the designated safeguarding lead reads cases and the policy; deciding is the officer's."""
    services.load_policy_preset(school=school, preset="A")
    pupil = populate(school, 4)[3]
    run_checks(school=school, on=D(2026, 3, 20))
    alert, other = Alert.objects.filter(status="new")[:2]
    dsl = StaffFactory(school=school, position="dsl")
    client.force_login(dsl.user)
    page = client.get(reverse("interventions:alert", kwargs={"pk": alert.pk}))
    assert page.status_code == 200 and "Accept and add to the case" not in page.content.decode()
    assert "Run the checks now" not in client.get(reverse("interventions:dashboard")).content.decode()
    attempts = [
        client.post(reverse("interventions:alert-accept", kwargs={"pk": alert.pk}), {"proposal": ["0"]}),
        client.post(reverse("interventions:alert-dismiss", kwargs={"pk": other.pk}), {"reason": "Not needed"}),
        client.post(
            reverse("interventions:worklist-decide"), {"do": "dismiss", "item": [f"a{alert.pk}"], "reason": "x"}
        ),
        client.post(reverse("interventions:run-checks")),
    ]
    assert [r.status_code for r in attempts] == [403] * 4
    assert set(Alert.objects.filter(pk__in=[alert.pk, other.pk]).values_list("status", flat=True)) == {"new"}
    assert not Case.objects.filter(pupil=pupil).exists()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("day", ["0001-01-01", "1900-03-20", "9999-12-31", "2036-03-20"])
def test_a_case_action_on_an_implausible_date_is_refused_with_a_message(officer_client, school, day):
    services.load_policy_preset(school=school, preset="A")
    pupil = populate(school, 4)[3]
    run_checks(school=school, on=D(2026, 3, 20))
    alert = Alert.objects.get(pupil=pupil, rule__trigger="penalty_threshold")
    officer_client.post(reverse("interventions:alert-accept", kwargs={"pk": alert.pk}), {"proposal": ["0"]})
    case = Case.objects.get(pupil=pupil)
    before = Action.objects.filter(case=case).count()
    response = officer_client.post(
        reverse("interventions:case-action", kwargs={"pk": case.pk}),
        {"kind": "meeting", "done_on": day, "description": "Meeting with mum", "outcome": ""},
    )
    assert response.status_code == 400
    assert "cannot be right for a case: choose a date between 20 March 2016 and 20 March 2028" in (
        response.content.decode()
    )
    assert Action.objects.filter(case=case).count() == before


@time_machine.travel(NOW, tick=False)
def test_ids_that_are_not_ascii_digits_are_ignored_not_a_server_error(officer_client, school):
    services.load_policy_preset(school=school, preset="A")
    pupil = populate(school, 4)[3]
    run_checks(school=school, on=D(2026, 3, 20))
    alert = Alert.objects.get(pupil=pupil, rule__trigger="penalty_threshold")
    accept = officer_client.post(
        reverse("interventions:alert-accept", kwargs={"pk": alert.pk}), {"proposal": ["\u00b2"]}
    )
    assert accept.status_code == 302
    for item in ["\u00b2", "1" + "0" * 30]:
        decided = officer_client.post(reverse("interventions:worklist-decide"), {"do": "dismiss", "item": [item]})
        assert decided.status_code == 302
