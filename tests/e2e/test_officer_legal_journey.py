"""Browser journey: the attendance officer opens Ben's case from the cases list, agrees a support
plan with two SMART targets, issues a notice to improve with a 4-week period; in January,
with no sufficient improvement, considers a penalty notice (the threshold and the marks), records
it, marks it paid and closes the case. Screenshots at desktop and phone sizes.

The server's clock is set with time_machine (ticking), so "later" is a real later date."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from interventions.models import Case, NoticeToImprove, PenaltyNotice
from interventions.services import load_policy_preset, open_case
from registers.models import Contact, SchoolDay, Staff
from tests.e2e.conftest import login, screenshot, signed_in_like
from tests.factories import PupilFactory, StaffFactory, UserFactory, write

LONDON = ZoneInfo("Europe/London")
D = dt.date


def clock(day, hour=9, minute=30):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON), tick=True)


def school_days(school, start, end):
    return list(SchoolDay.objects.filter(school=school, date__range=(start, end)).values_list("date", flat=True))


def present(school, start, end, absent=()):
    """Present every session from start to end, except unauthorised absence (O) on `absent` days."""
    return {
        (d, s): "O" if d in absent else "/" if s == "AM" else "\\"
        for d in school_days(school, start, end)
        for s in ("AM", "PM")
    }


@pytest.fixture
def story(school):
    officer = StaffFactory(
        user=UserFactory(username="officer", first_name="Priya", last_name="Shah"),
        school=school,
        position=Staff.Position.ATTENDANCE_OFFICER,
        title="Mrs",
    )
    load_policy_preset(school=school, preset="A")
    ben = PupilFactory(school=school, year=4, legal_forename="Ben", legal_surname="Okafor")
    november = [D(2026, 11, 9), D(2026, 11, 10), D(2026, 11, 11), D(2026, 11, 12), D(2026, 11, 13), D(2026, 11, 16)]
    write(school, ben, present(school, D(2026, 9, 7), D(2026, 11, 20), absent=november))
    Contact.objects.create(
        pupil=ben, title="Mrs", forename="Grace", surname="Okafor", relationship="Mother", telephone="07700 900123"
    )
    Contact.objects.create(
        pupil=ben, forename="Ruth", surname="Okafor", relationship="Grandmother", parental_responsibility=False
    )
    others = [("Amelia", "Hughes", 3), ("Kai", "Patel", 5)]
    for forename, surname, year in others:
        pupil = PupilFactory(school=school, year=year, legal_forename=forename, legal_surname=surname)
        open_case(pupil=pupil, on=D(2026, 10, 12), owner=officer)
    case = open_case(pupil=ben, on=D(2026, 10, 5), owner=officer)
    return {"ben": ben, "case": case}


def test_officer_takes_a_case_from_support_to_a_penalty_notice(page, phone_page, story, school):
    ben, case = story["ben"], story["case"]
    for p in (page, phone_page):
        p.set_default_timeout(30_000)  # the shared 2-core machine can be slow
        p.set_default_navigation_timeout(30_000)

    with clock(D(2026, 11, 23)):
        login(page, "officer", then="/attendance-officer/cases/")
        expect(page.get_by_role("heading", name="Open cases")).to_be_visible()
        screenshot(page, "legal-01-cases-list")
        page.get_by_role("link", name="Ben Okafor").click()
        expect(page.get_by_role("heading", name="Ben Okafor's attendance case")).to_be_visible()
        screenshot(page, "legal-02-case")

        # a support plan with two SMART targets
        page.get_by_role("link", name="Add a support plan").click()
        page.get_by_label("The plan in a sentence").fill("Morning routine and breakfast club")
        targets = [
            (
                "Ben arrives by 8:50 every day",
                "No late marks for 4 weeks",
                "Breakfast club place from 8:00",
                "2026-12-18",
            ),
            ("No unauthorised absence", "No O codes on the register", "Weekly check-in with Mrs Shah", "2026-12-18"),
        ]
        for i, (specific, measure, achievable, due) in enumerate(targets):
            page.locator(f'[name="targets-{i}-specific"]').fill(specific)
            page.locator(f'[name="targets-{i}-measure"]').fill(measure)
            page.locator(f'[name="targets-{i}-achievable"]').fill(achievable)
            page.locator(f'[name="targets-{i}-relevant"]').fill("Mornings are when Ben misses school")
            page.locator(f'[name="targets-{i}-due_on"]').fill(due)
        screenshot(page, "legal-03-support-plan-form")
        page.get_by_role("button", name="Save the plan and its targets").click()
        expect(page.locator(".message.success", has_text="Support plan recorded with 2 SMART targets")).to_be_visible()
        expect(page.get_by_text("Ben arrives by 8:50 every day")).to_be_visible()
        screenshot(page, "legal-04-support-plan")

        # a notice to improve, 4 weeks
        page.get_by_role("link", name="← Ben Okafor's case").click()
        page.get_by_role("link", name="Issue a notice to improve").click()
        parent = page.get_by_label("Parent or carer")
        assert parent.locator("option").all_inner_texts() == ["Choose a parent or carer", "Mrs Grace Okafor (Mother)"]
        parent.select_option(label="Mrs Grace Okafor (Mother)")
        expect(page.get_by_label("Improvement period (weeks)")).to_have_value("4")
        page.get_by_label("Further support available").fill("Early help assessment; school nurse")
        page.get_by_label("What sufficient improvement means").fill(
            "No unauthorised absence and no more than two late marks during the improvement period."
        )
        screenshot(page, "legal-05-notice-to-improve-form")
        page.get_by_role("button", name="Record the notice to improve").click()
        expect(
            page.locator(".message.success", has_text="the improvement period ends 21 December 2026")
        ).to_be_visible()
        screenshot(page, "legal-06-notice-to-improve")
    notice_to_improve = NoticeToImprove.objects.get(case=case)
    assert notice_to_improve.improvement_weeks == 4 and notice_to_improve.period_ends_on == D(2026, 12, 21)
    assert case.actions.get(kind="support_plan").targets.count() == 2

    # January: two more days of unauthorised absence in December
    with clock(D(2027, 1, 5), 10):
        write(school, ben, present(school, D(2026, 11, 23), D(2027, 1, 4), absent=[D(2026, 12, 1), D(2026, 12, 8)]))
        login(page, "officer", then=f"/attendance-officer/notices-to-improve/{notice_to_improve.pk}/")
        page.get_by_role("combobox", name="Outcome").select_option("not_improved")
        page.get_by_label("Note").fill("Two more days of unauthorised absence in December.")
        page.get_by_role("button", name="Record the outcome").click()
        expect(page.locator(".message.success", has_text="not sufficient improvement")).to_be_visible()

        page.get_by_role("link", name="Consider a penalty notice to Mrs Grace Okafor (Mother)").click()
        expect(page.get_by_role("heading", name="Consider a penalty notice")).to_be_visible()
        expect(page.get_by_text("12 Oct 2026 to 5 Jan 2027")).to_be_visible()
        threshold = page.locator("#threshold").locator("..")
        expect(threshold.locator(".figure", has_text="Unauthorised sessions in the window")).to_contain_text("16")
        expect(threshold.locator(".figure", has_text="Threshold of 10")).to_contain_text("Met")
        expect(
            page.get_by_text(re.compile(r"A first notice: £80 if paid within 21 days, otherwise £160"))
        ).to_be_visible()
        boxes = page.locator('input[name="marks"]')
        assert boxes.count() == 16 and all(boxes.nth(i).is_checked() for i in range(16))
        page.get_by_label("LA reference").fill("PN/2027/0012")
        screenshot(page, "legal-07-consider-penalty-notice")
        page.get_by_role("button", name="Record the penalty notice").click()
        # the decision must be confirmed (the browser holds the form back; the server refuses it too)
        expect(page.locator('input[name="confirm"]:invalid')).to_be_visible()
        expect(page.get_by_role("heading", name="Consider a penalty notice")).to_be_visible()
        page.get_by_label(re.compile("The headteacher has decided to issue this notice")).check()
        page.get_by_role("button", name="Record the penalty notice").click()
        expect(page.get_by_role("heading", name="First penalty notice: Ben Okafor")).to_be_visible()
        screenshot(page, "legal-08-penalty-notice")

        notice = PenaltyNotice.objects.get(pupil=ben)
        assert notice.marks.count() == 16 and notice.la_reference == "PN/2027/0012" and notice.case_id == case.pk

        page.get_by_role("combobox", name="Status").select_option("paid")
        page.get_by_role("button", name="Record", exact=True).click()
        expect(page.locator(".message.success", has_text="Amount due when paid: £80.")).to_be_visible()
        screenshot(page, "legal-09-penalty-notice-paid")

        page.get_by_role("link", name="← Ben Okafor's case").click()
        page.get_by_role("combobox", name="Outcome").select_option("legal")
        page.get_by_label("Why the case is closing").fill(
            "Penalty notice paid; the family is working with the support plan."
        )
        page.get_by_role("button", name="Close the case").click()
        expect(page.locator(".message.success", has_text="Ben Okafor's case is closed.")).to_be_visible()
        expect(page.get_by_role("button", name="Reopen the case")).to_be_visible()
        screenshot(page, "legal-10-case-closed")

        case.refresh_from_db()
        assert case.status == Case.Status.CLOSED and case.closed_on == D(2027, 1, 5)
        notice.refresh_from_db()
        assert notice.status == "paid" and notice.paid_on == D(2027, 1, 5)

        # the same pages on a phone
        signed_in_like(phone_page, page)
        phone_page.goto("/attendance-officer/cases/?status=all")
        expect(phone_page.get_by_role("heading", name="All cases")).to_be_visible()
        screenshot(phone_page, "legal-11-cases-phone")
        phone_page.goto(f"/attendance-officer/cases/{case.pk}/")
        expect(phone_page.get_by_role("heading", name="Ben Okafor's attendance case")).to_be_visible()
        screenshot(phone_page, "legal-12-case-phone")
        phone_page.goto(
            f"/attendance-officer/cases/{case.pk}/support-plans/{case.actions.get(kind='support_plan').pk}/"
        )
        screenshot(phone_page, "legal-13-support-plan-phone")
        phone_page.goto(f"/attendance-officer/penalty-notices/{notice.pk}/")
        screenshot(phone_page, "legal-14-penalty-notice-phone")
        phone_page.goto(f"/attendance-officer/cases/{case.pk}/penalty-notice/{notice.parent_id}/")
        expect(phone_page.get_by_text("Already relied on by a notice")).to_be_visible()
        screenshot(phone_page, "legal-15-consider-phone")


def test_head_records_legal_steps_on_the_case(page, phone_page, story, school):
    case = story["case"]
    StaffFactory(
        user=UserFactory(username="head", first_name="Helen", last_name="Marsh"),
        school=school,
        position=Staff.Position.HEADTEACHER,
        title="Mrs",
    )
    page.set_default_timeout(30_000)
    with clock(D(2026, 11, 23)):
        login(page, "head", then=f"/attendance-officer/cases/{case.pk}/#legal")
        for kind, reference, notes in (
            ("attendance_contract", "", "Signed with Mrs Okafor; reviewed in 6 weeks"),
            ("prosecution_444_1", "MC/2026/118", "Summons issued by the local authority"),
        ):
            page.get_by_role("combobox", name="Legal intervention").select_option(kind)
            page.get_by_label("Reference").fill(reference)
            page.get_by_label("Notes").fill(notes)
            page.get_by_role("button", name="Record", exact=True).last.click()
            page.locator(".message.success").wait_for()
        legal = page.locator("section", has=page.get_by_role("heading", name="Legal steps"))
        expect(legal.get_by_role("row", name=re.compile("Attendance contract"))).to_contain_text(
            "Signed with Mrs Okafor"
        )
        expect(legal.get_by_role("row", name=re.compile(r"Prosecution, s444\(1\)"))).to_contain_text("MC/2026/118")
        legal.scroll_into_view_if_needed()
        screenshot(page, "legal-16-legal-steps")
        signed_in_like(phone_page, page)
        phone_page.goto(f"/attendance-officer/cases/{case.pk}/")
        screenshot(phone_page, "legal-17-legal-steps-phone")
