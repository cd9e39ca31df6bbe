"""Browser journey (issue 13): the attendance officer's worklist at desktop and phone sizes. One
row per pupil, most urgent first; tick two proposals and accept them (the letters go out as one
batch per template), dismiss one with a reason, accept one with its own button; the registers
not taken link to each register. axe reports no serious or critical violation."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from interventions.evaluation.run import run_checks
from interventions.models import Action, Alert, Case
from interventions.services import load_policy_preset
from letters.models import Batch, Letter
from letters.services import install_starter_templates
from registers.models import Contact, Enrolment, SchoolDay, Staff
from tests.e2e.conftest import login, screenshot, serious_violations, signed_in_like
from tests.factories import PupilFactory, StaffFactory, UserFactory, write

P = Staff.Position


@pytest.fixture
def story(school):
    """Preset A over the last 15 school days: Tom a week of unauthorised absence (the penalty
    threshold), Mo 4 sessions of illness (stage 3), Fay 2 sessions yesterday (stage 2, falling),
    Eli 2 sessions at the start (stage 2, rising); Lee met the threshold but left yesterday."""
    StaffFactory(
        user=UserFactory(username="officer", first_name="Priya", last_name="Shah"),
        school=school,
        position=P.ATTENDANCE_OFFICER,
        title="Mrs",
    )
    StaffFactory(user=UserFactory(username="head"), school=school, position=P.HEADTEACHER, title="Mrs")
    load_policy_preset(school=school, preset="A")
    install_starter_templates(school=school)
    today = timezone.localdate()
    days = list(
        SchoolDay.objects.filter(school=school, date__lt=today).order_by("-date").values_list("date", flat=True)[:15]
    )[::-1]

    def pupil(forename, surname, absent):
        child = PupilFactory(school=school, year=4, legal_forename=forename, legal_surname=surname)
        marks = {(d, s): ("/" if s == "AM" else "\\") for d in days for s in ("AM", "PM")}
        marks.update(absent)
        write(school, child, marks)
        Contact.objects.create(
            pupil=child, forename="Sam", surname=surname, relationship="Mother", address="1 Mill St", postcode="AG1 1AA"
        )
        return child

    def off(day_indexes, code):
        return {(days[i], s): code for i in day_indexes for s in ("AM", "PM")}

    pupils = {
        "tom": pupil("Tom", "Truant", off(range(10, 15), "O")),
        "mo": pupil("Mo", "Monitored", off([13, 14], "I")),
        "fay": pupil("Fay", "Fallen", off([14], "I")),
        "eli": pupil("Eli", "Earlier", off([1], "I")),
        "lee": pupil("Lee", "Leaver", off(range(10, 15), "O")),
    }
    enrolment = Enrolment.objects.get(pupil=pupils["lee"])
    enrolment.leaving_date = days[-1]
    enrolment.save()
    run_checks(school=school, on=today)
    return pupils


def test_officer_works_the_worklist(page, phone_page, story):
    for p in (page, phone_page):
        p.set_default_timeout(60_000)  # the shared 2-core machine can be slow (a batch renders PDFs)
        p.set_default_navigation_timeout(60_000)
    login(page, "officer", then="/attendance-officer/")
    page.get_by_role("heading", name="To decide: 4 pupils").wait_for()
    rows = page.locator("table.iv-worklist tbody tr")
    names = [rows.nth(i).locator("th").inner_text().split("\n")[0].replace(" case", "") for i in range(rows.count())]
    assert [n.strip() for n in names] == ["Tom Truant", "Mo Monitored", "Fay Fallen", "Eli Earlier"]
    assert "Lee Leaver" not in page.content()  # left yesterday: nothing is proposed
    fay = rows.filter(has_text="Fay Fallen")
    assert "Stage 2: Concern letter" in fay.inner_text() and "Letter: Attendance concern" in fay.inner_text()
    assert "includes “Attendance has fallen to 96 %”" in fay.inner_text()
    screenshot(page, "worklist-01-desktop")
    assert serious_violations(page) == []

    # "tick every proposal shown" (JavaScript) ticks and unticks them all
    page.get_by_label("Tick every proposal shown").check()
    assert page.locator("[data-item]:checked").count() == 6
    page.get_by_label("Tick every proposal shown").uncheck()
    assert page.locator("[data-item]:checked").count() == 0

    # tick Fay's and Mo's next steps and accept them together
    fay.get_by_label("Stage 2: Concern letter").check()
    rows.filter(has_text="Mo Monitored").get_by_label("Stage 3").check()
    page.get_by_role("button", name="Accept ticked").click()
    message = page.locator(".message.success", has_text="Accepted 2 proposals for 2 pupils")
    message.wait_for()
    assert "3 tasks created" in message.inner_text() and "Their letters are being produced" in message.inner_text()
    screenshot(page, "worklist-02-accepted")
    assert Case.objects.get(pupil=story["fay"]).stage.order == 2
    assert Case.objects.get(pupil=story["mo"]).stage.order == 3
    assert {b.template.key for b in Batch.objects.all()} == {"concern", "now_being_monitored"}

    # the batch of letters, one click away
    message.get_by_role("link", name="1 × Attendance concern").click()
    page.get_by_role("heading", name="Attendance concern").first.wait_for()
    assert Letter.objects.filter(pupil=story["fay"], template__key="concern").exists()
    screenshot(page, "worklist-03-letters-batch")

    # dismiss Eli's with one reason; accept Tom's penalty-threshold prompt with its own button
    page.goto("/attendance-officer/")
    page.get_by_role("heading", name="To decide: 2 pupils").wait_for()
    page.locator("tr", has_text="Eli Earlier").get_by_label("Stage 2: Concern letter").check()
    page.get_by_label("Reason for dismissing").fill("Illness with a hospital letter; the family is in touch")
    page.get_by_role("button", name="Dismiss ticked").click()
    page.locator(".message.success", has_text="Dismissed 2 alerts").wait_for()
    tom = page.locator("tr", has_text="Tom Truant")
    tom.get_by_role("button", name="Accept National penalty-notice threshold").click()
    page.locator(".message.success", has_text="Accepted 1 proposal for 1 pupil: 1 task created").wait_for()
    assert Action.objects.get(case__pupil=story["tom"]).kind == "decision"
    assert Alert.objects.filter(pupil=story["eli"], status="dismissed").count() == 2
    screenshot(page, "worklist-04-after-decisions")
    assert serious_violations(page) == []

    signed_in_like(phone_page, page)
    phone_page.goto("/attendance-officer/")
    phone_page.get_by_role("heading", name="To decide: 1 pupil").wait_for()
    screenshot(phone_page, "worklist-05-phone")
    assert serious_violations(phone_page) == []


def test_registers_not_taken_link_to_each_register(page, school):
    """At 11:00 on a school day no register has been taken: the dashboard links to each, and
    the officer opens one to take it for the teacher (or goes on to remind the teachers)."""
    StaffFactory(user=UserFactory(username="officer"), school=school, position=P.ATTENDANCE_OFFICER)
    PupilFactory(school=school, year=4)
    day = SchoolDay.objects.filter(school=school, date__lte=timezone.localdate()).order_by("-date").first().date
    eleven = dt.datetime.combine(day, dt.time(11, 0), tzinfo=zoneinfo.ZoneInfo("Europe/London"))
    with time_machine.travel(eleven, tick=True):
        login(page, "officer", then="/attendance-officer/")
        section = page.locator("section", has_text="Registers not taken")
        assert section.get_by_role("link", name="Remind the teachers").is_visible()
        section.get_by_role("link", name="morning register").first.click()
        page.get_by_role("button", name="Save", exact=False).first.wait_for()
        assert f"/{day.isoformat()}/" not in page.url and "/registers/" in page.url  # the register, by its id
        screenshot(page, "worklist-06-register-from-dashboard")
