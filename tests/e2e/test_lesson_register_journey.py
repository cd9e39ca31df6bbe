"""A subject teacher taking a lesson register in a real browser, on a laptop and on a phone: Mr Khan
opens "My lessons" at 10:03 on Tuesday 8 December 2026, takes P2 Maths for 10X/Ma1 by keyboard
(Ada absent, Ben late with his arrival time, the rest present in one go), saves, and is told the
register is taken and that Ada — at the morning register — raised an internal-truancy alert. On
the phone the same lesson is amended by touch before it ends. Lesson marks never touch the
statutory marks. Axe on each page; screenshots in test-artifacts/screenshots/."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from lessons.models import LessonMark, LessonRegister, TruancyAlert
from registers.models import Mark
from tests.e2e.conftest import PHONE, click_and_load, login, screenshot, serious_violations, signed_in_like
from tests.lessons.truancy_school import make_secondary, moment


@pytest.fixture(autouse=True)
def _live_db(transactional_db):
    """The live server's requests see the data the test writes."""
    yield


def look(page, name):
    screenshot(page, name)
    assert serious_violations(page) == [], name


def test_a_subject_teacher_takes_a_lesson_register_on_a_laptop_then_amends_it_on_a_phone(page, browser, monkeypatch):
    clock = {"now": moment("10:03")}
    monkeypatch.setattr("registers.timing.now", lambda: clock["now"])
    sec = make_secondary()
    for pupil in ("Ada", "Ben"):
        sec.statutory(pupil, "AM", "/")
    khan = sec.teachers["khan"].user
    khan.set_password("correct horse battery")
    khan.save()
    statutory_before = list(Mark.objects.order_by("pk").values_list("pk", "code__code", "version"))
    ada, ben = sec.pupils["Ada"], sec.pupils["Ben"]

    login(page, khan.username)
    page.get_by_role("link", name="My lessons").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("My lessons · Tuesday 8 December")
    click_and_load(page, page.get_by_role("link", name=re.compile(r"Take register\W+10X.Ma1 P2")))
    expect(page.get_by_role("heading", level=1)).to_contain_text("10X/Ma1")

    # by keyboard: Ada absent, Ben late (arrived 10:08), everyone else present in one go
    page.locator(f"input[name='mark-{ada.pk}'][value='N']").focus()
    page.keyboard.press("n")
    page.locator(f"input[name='mark-{ben.pk}'][value='L']").focus()
    page.keyboard.press("l")
    page.locator(f"input[name='arrived-{ben.pk}']").fill("10:08")
    page.get_by_role("button", name=re.compile("Mark all unmarked present")).click()
    look(page, "lesson-register-laptop")
    clock["now"] = moment("10:10")
    page.get_by_role("button", name="Save register").click()
    messages = page.locator(".messages")
    expect(messages).to_contain_text("is taken")
    expect(messages).to_contain_text("Ada Year10 was seen earlier today but not in this lesson")
    look(page, "lesson-register-saved")

    register = LessonRegister.objects.get(lesson=sec.lessons["P2 Ma"])
    assert register.state == "taken" and register.taken_by == khan
    marks = {m.pupil_id: m for m in LessonMark.objects.filter(register=register).select_related("code")}
    assert marks[ada.pk].code.code == "N" and marks[ben.pk].code.code == "L" and marks[ben.pk].minutes_late == 3
    assert {m.code.code for pk, m in marks.items() if pk not in (ada.pk, ben.pk)} == {"/"}
    assert TruancyAlert.objects.get(register=register).pupil == ada
    assert list(Mark.objects.order_by("pk").values_list("pk", "code__code", "version")) == statutory_before

    # On the phone, before the lesson ends: Ada turns up, and is marked late by touch.
    clock["now"] = moment("10:25")
    phone = browser.new_context(viewport=PHONE, base_url=page.url.split("/lessons")[0], is_mobile=True, has_touch=True)
    try:
        small = phone.new_page()
        signed_in_like(small, page)
        small.goto(reverse("lessons:register", args=[register.pk]))
        small.locator(f"label.choice-late:has(input[name='mark-{ada.pk}'])").tap()
        small.locator(f"input[name='arrived-{ada.pk}']").fill("10:22")
        look(small, "lesson-register-phone")
        small.get_by_role("button", name="Save register").tap()
        expect(small.locator(".messages")).to_contain_text("1 correction")
    finally:
        phone.close()
    amended = LessonMark.objects.get(register=register, pupil=ada)
    assert (amended.code.code, amended.minutes_late, amended.version) == ("L", 17, 2)
    assert amended.history.count() == 2 and amended.reason
    # her present mark in the lesson cleared the alert, with where she was
    alert = TruancyAlert.objects.get(register=register)
    assert alert.state == "resolved" and "P2" in alert.where_they_were
