"""Browser journey: the attendance officer works an alert into a case, records a meeting and
starts a 4-week monitoring period; screenshots at desktop and phone sizes."""

import pytest
from django.utils import timezone

from interventions.evaluation.run import run_checks
from interventions.models import Action, Case, MonitoringPeriod
from interventions.services import load_policy_preset
from registers.models import SchoolDay, Staff
from tests.e2e.conftest import login, screenshot, signed_in_like
from tests.factories import PupilFactory, StaffFactory, UserFactory, write

P = Staff.Position


@pytest.fixture
def story(school):
    StaffFactory(
        user=UserFactory(username="officer", first_name="Priya", last_name="Shah"),
        school=school,
        position=P.ATTENDANCE_OFFICER,
        title="Mrs",
    )
    load_policy_preset(school=school, preset="B")
    today = timezone.localdate()
    days = list(
        SchoolDay.objects.filter(school=school, date__lte=today).order_by("-date").values_list("date", flat=True)[:10]
    )[::-1]
    ben = PupilFactory(school=school, year=4, legal_forename="Ben", legal_surname="Okafor")
    marks = {(d, s): ("O" if i >= 4 else "/" if s == "AM" else "\\") for i, d in enumerate(days) for s in ("AM", "PM")}
    write(school, ben, marks)
    ada = PupilFactory(school=school, year=4, legal_forename="Ada", legal_surname="Lovelace", looked_after=True)
    write(school, ada, {(d, s): "/" if s == "AM" else "\\" for d in days[:-1] for s in ("AM", "PM")})
    if days and days[-1] == today:
        write(school, ada, {(today, "AM"): "I"})
    run_checks(school=school, on=today)
    return {"ben": ben}


def test_officer_works_an_alert_into_a_case(page, phone_page, story):
    ben = story["ben"]
    for p in (page, phone_page):
        p.set_default_timeout(30_000)  # the shared 2-core machine can be slow
        p.set_default_navigation_timeout(30_000)
    login(page, "officer", then="/attendance-officer/")
    page.get_by_role("heading", name="What needs doing today").wait_for()
    screenshot(page, "officer-01-dashboard")

    # preset B puts the threshold on the ladder (stage 3): Ben's next step, persistent and severe
    # absence (stage 1) folded into it; its evidence is one click away
    ben_row = page.locator("table.iv-worklist tr", has_text="Ben Okafor")
    assert "Stage 3: Penalty notice considered" in ben_row.inner_text()
    ben_row.get_by_role("link", name="Evidence for Ben Okafor: Stage 3").click()
    page.get_by_role("heading", name="National penalty-notice threshold").wait_for()
    assert page.get_by_text("The sessions behind it").is_visible()
    screenshot(page, "officer-02-alert")

    page.get_by_role("button", name="Accept and add to the case").click()
    page.get_by_role("heading", name="Ben Okafor's attendance case").wait_for()
    assert page.locator(".message.success", has_text="Alert accepted").is_visible()
    screenshot(page, "officer-03-case")

    page.get_by_role("combobox", name="What happened").select_option("meeting")
    page.get_by_role("textbox", name="Summary").fill("Meeting with Ben's mother")
    page.get_by_role("textbox", name="Outcome and next steps").fill(
        "Agreed a morning routine and a breakfast club place."
    )
    page.get_by_role("button", name="Record", exact=True).first.click()
    page.locator(".message.success", has_text="Meeting recorded").wait_for()

    page.get_by_role("combobox", name="Length").select_option("4")
    page.get_by_role("button", name="Start monitoring").click()
    page.locator(".message.success", has_text="4-week monitoring from").wait_for()
    screenshot(page, "officer-04-case-after-meeting-and-monitoring")

    case = Case.objects.get(pupil=ben)
    assert Action.objects.filter(case=case, kind="meeting", description="Meeting with Ben's mother").exists()
    assert MonitoringPeriod.objects.get(case=case).weeks == 4

    signed_in_like(phone_page, page)
    phone_page.goto("/attendance-officer/")
    phone_page.get_by_role("heading", name="What needs doing today").wait_for()
    screenshot(phone_page, "officer-05-dashboard-phone")
