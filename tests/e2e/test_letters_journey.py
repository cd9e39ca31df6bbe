"""Browser journey: the attendance officer edits a letter template and watches the live preview
follow the typing (and name a mistake), saves a new version, produces the letter for a whole
class, watches the batch's progress and downloads the PDF to print; the same pages on a phone.
Screenshots land in test-artifacts/screenshots/ (letters-*.png)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from letters import services
from letters.models import Batch, Letter, LetterTemplate
from registers.models import Contact, SchoolDay, Staff
from tests.e2e.conftest import DESKTOP, PHONE, click_and_load, login, screenshot, signed_in_like
from tests.factories import PupilFactory, StaffFactory, UserFactory, write

P = Staff.Position
D = dt.date
CLASS = [("Ben", "Okafor"), ("Amira", "Hassan"), ("Chloe", "Evans"), ("Dylan", "Price"), ("Esme", "Patel")]


@pytest.fixture
def story(school, settings, tmp_path, monkeypatch):
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    StaffFactory(
        user=UserFactory(username="officer", first_name="Priya", last_name="Shah"),
        school=school,
        position=P.ATTENDANCE_OFFICER,
        title="Mrs",
    )
    services.install_starter_templates(school=school)
    services.save_letterhead(
        school=school,
        user=None,
        address="Oakfield Primary School\nOak Lane\nOakfield OA1 2BB",
        telephone="01632 960000",
        signatory_name="Mr James Brown",
        signatory_position="Headteacher",
    )
    days = list(
        SchoolDay.objects.filter(school=school, date__range=(D(2026, 11, 2), D(2026, 11, 20))).values_list(
            "date", flat=True
        )
    )
    pupils = []
    for i, (forename, surname) in enumerate(CLASS + [("Finn", "Walsh")]):
        pupil = PupilFactory(school=school, year=4, legal_forename=forename, legal_surname=surname)
        marks = {(d, s): "/" if s == "AM" else "\\" for d in days for s in ("AM", "PM")}
        for d in days[: i + 1]:
            marks[(d, "AM")] = "O"
        write(school, pupil, marks)
        if forename != "Finn":  # Finn's family has no address on record: his letter cannot be produced
            Contact.objects.create(
                pupil=pupil,
                title="Mrs",
                forename="Grace",
                surname=surname,
                relationship="Mother",
                email=f"{forename.lower()}.family@example.org",
                address=f"{10 + i} Mill Lane\nOakfield",
                postcode="OA1 3CD",
            )
        pupils.append(pupil)
    # The batch waits for the test to run it, so the page's progress can be watched.
    queued = []
    monkeypatch.setattr("letters.tasks.render_batch.delay_on_commit", lambda batch_id: queued.append(batch_id))
    return {"pupils": pupils, "queued": queued, "concern": LetterTemplate.objects.get(school=school, key="concern")}


def csp_watch(page):
    violations = []
    page.on(
        "console",
        lambda m: (
            violations.append((m.text[:60], m.location.get("url"), page.url))
            if "Content Security Policy" in m.text
            else None
        ),
    )
    return violations


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def test_officer_edits_a_template_and_prints_a_batch_for_a_class(page, phone_page, story):
    for p in (page, phone_page):
        p.set_default_timeout(30_000)
        p.set_default_navigation_timeout(30_000)
    violations = csp_watch(page)
    concern = story["concern"]
    login(page, "officer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Letters").click()
    page.get_by_role("heading", name="Letter templates").wait_for()
    assert page.get_by_role("row", name=concern.title).is_visible()
    screenshot(page, "letters-01-library")

    # --- the editor: the preview follows the typing ------------------------------------------
    click_and_load(page, page.get_by_role("link", name=f"Edit {concern.title}"))
    page.get_by_role("heading", name=concern.title).wait_for()
    frame = page.frame_locator("iframe[name=letter-preview]")
    frame.get_by_text("Mr James Brown").first.wait_for()
    body = page.get_by_role("textbox", name="Letter text")
    body.click()
    body.press("Control+End")
    body.press_sequentially("\n<p>Our breakfast club opens at 8am; ", delay=5)
    page.get_by_role("button", name="Insert pupil.first_name").click()
    body.press_sequentially(" would be very welcome.</p>", delay=5)
    assert "{{ pupil.first_name }} would be very welcome." in body.input_value()
    frame.get_by_text("Our breakfast club opens at 8am; Sam would be very welcome.").wait_for()
    assert "not saved yet" in page.locator("[data-preview-status]").inner_text()
    screenshot(page, "letters-02-editor-live-preview")

    # a mistake is named at once, with its line, and nothing typed is lost
    typed = body.input_value()
    body.press_sequentially("\n<p>{{ pupil.shoe_size }}</p>", delay=5)
    status = page.locator("[data-preview-status].is-error")
    status.wait_for()
    assert "pupil.shoe_size" in status.inner_text() and "line" in status.inner_text()
    frame.get_by_text("The letter cannot be shown yet").wait_for()
    screenshot(page, "letters-03-editor-unknown-field")
    page.get_by_role("button", name="Save as version 2").click()
    page.get_by_text("The template was not saved").wait_for()
    assert "{{ pupil.shoe_size }}" in page.get_by_role("textbox", name="Letter text").input_value()
    screenshot(page, "letters-04-editor-error-kept-text")
    page.get_by_role("textbox", name="Letter text").fill(typed)

    # preview for a real pupil of the class
    page.get_by_role("searchbox", name="Find a pupil by name or UPN").fill("Okafor")
    page.get_by_role("button", name="Find pupil").click()
    page.get_by_role("button", name="Ben Okafor").click()
    frame.get_by_text("Our breakfast club opens at 8am; Ben would be very welcome.").wait_for()
    assert "Ben Okafor" in page.locator("[data-pupil-name]").inner_text()
    page.get_by_role("button", name="Save as version 2").click()
    page.locator(".message.success", has_text="as version 2").wait_for()
    concern.refresh_from_db()
    assert concern.version == 2 and "breakfast club" in concern.body
    frame.get_by_text("Ben would be very welcome.").wait_for()  # the saved text, still for Ben
    page.get_by_role("link", name="Every version").click()
    page.get_by_role("heading", name="Version 2").wait_for()
    screenshot(page, "letters-05-history")

    # --- a batch for the class ------------------------------------------------------------------
    page.get_by_role("link", name="Produce letters").first.click()
    page.get_by_label("Template", exact=True).select_option(label=concern.title)
    page.get_by_label("Year group").select_option(label="Year 4")
    page.get_by_role("button", name="Show pupils").click()
    page.get_by_role("checkbox", name="Okafor, Ben").wait_for()
    assert page.get_by_role("checkbox").count() == 6
    screenshot(page, "letters-06-produce")
    page.get_by_role("button", name="Produce 6 letters").click()
    page.get_by_role("heading", name=f"{concern.title}: 6 letters").wait_for()
    batch = Batch.objects.get()
    assert story["queued"] == [batch.pk] and batch.template_version == 2
    progress = page.locator("progress")
    assert progress.get_attribute("value") == "0"
    screenshot(page, "letters-07-batch-waiting")

    # the page follows the batch without being reloaded
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.RUNNING, phase=Batch.Phase.PREPARING, done=3)
    expect(progress).to_have_attribute("value", "45")
    expect(page.locator("[data-status]")).to_have_text("Producing letters · preparing the letters in parts")
    expect(page.locator("[data-count]")).to_have_text("3 of 6 produced")
    screenshot(page, "letters-08-batch-half-way")
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.QUEUED, phase=Batch.Phase.WAITING, done=0)
    services.run_batch(batch=batch)
    download_link = page.get_by_role("link", name="Download the PDF to print (5 letters)")
    download_link.wait_for()
    errors = page.locator("[data-errors]")
    assert "Finn Walsh" in errors.inner_text()
    assert page.get_by_role("row", name="Ben Okafor").is_visible()
    screenshot(page, "letters-09-batch-done")
    with page.expect_download() as info:
        download_link.click()
    with open(info.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert Letter.objects.filter(batch=batch).count() == 5

    page.get_by_role("link", name="Ben Okafor", exact=True).click()
    page.get_by_role("heading", name="On record").wait_for()
    page.frame_locator("iframe.lt-frame").get_by_text("Ben would be very welcome.").wait_for()
    screenshot(page, "letters-10-letter-record")
    page.get_by_role("link", name="Letterhead").click()
    page.get_by_role("heading", name="Letterhead", exact=True).wait_for()
    assert page.get_by_label("Letters are signed by").input_value() == "Mr James Brown"
    screenshot(page, "letters-16-letterhead")
    page.get_by_role("link", name="Letters sent").click()
    page.get_by_role("heading", name="Letters sent and printed").wait_for()
    screenshot(page, "letters-17-letters-sent")
    assert violations == []

    # --- the same pages on a phone ------------------------------------------------------------
    phone_violations = csp_watch(phone_page)
    signed_in_like(phone_page, page)
    for name, url in (
        ("letters-11-phone-library", "/letters/"),
        ("letters-12-phone-editor", f"/letters/templates/{concern.pk}/"),
        ("letters-13-phone-batch", f"/letters/batches/{batch.pk}/"),
        ("letters-14-phone-produce", f"/letters/produce/?template={concern.pk}&year=4"),
        ("letters-15-phone-letter", Letter.objects.get(batch=batch, pupil=story["pupils"][0]).get_absolute_url()),
    ):
        phone_page.goto(url)
        no_sideways_scroll(phone_page)
        screenshot(phone_page, name)
    assert phone_violations == []


def test_the_editor_and_a_batch_work_without_javascript(browser, live_server, story):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(30_000)
    concern = story["concern"]
    login(page, "officer", then=f"/letters/templates/{concern.pk}/")
    frame = page.frame_locator("iframe[name=letter-preview]")
    frame.get_by_text("Mr James Brown").first.wait_for()
    body = page.get_by_role("textbox", name="Letter text")
    draft = body.input_value() + "\n<p>Plain forms work too, {{ pupil.first_name }}.</p>"
    body.fill(draft)
    page.get_by_role("button", name="Preview", exact=True).click()  # posts the draft into the frame
    frame.get_by_text("Plain forms work too, Sam.").wait_for()

    page.get_by_role("searchbox", name="Find a pupil by name or UPN").fill("Hassan")
    page.get_by_role("button", name="Find pupil").click()  # the server searches; the draft comes back
    page.get_by_role("radio", name="Amira Hassan").check()
    assert page.get_by_role("textbox", name="Letter text").input_value() == draft
    page.get_by_role("button", name="Preview", exact=True).click()
    frame.get_by_text("Plain forms work too, Amira.").wait_for()
    screenshot(page, "letters-20-nojs-editor")
    page.get_by_role("button", name="Save as version 2").click()
    page.locator(".message.success", has_text="as version 2").wait_for()

    page.goto(f"/letters/produce/?template={concern.pk}&year=4")
    page.get_by_role("checkbox", name="Walsh, Finn").uncheck()
    page.get_by_role("button", name="Produce letters for the ticked pupils").click()
    page.get_by_role("heading", name=f"{concern.title}: 5 letters").wait_for()
    batch = Batch.objects.get()
    services.run_batch(batch=batch)
    # no script: the page refreshes itself every five seconds until the batch has finished
    page.get_by_role("link", name="Download the PDF to print (5 letters)").wait_for(timeout=20_000)
    screenshot(page, "letters-21-nojs-batch-done")
    context.close()
