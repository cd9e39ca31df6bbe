"""Retention: nothing inside its period can be deleted; after it (6 years from the date of the entry,
RULES.md) the nightly task removes what the school may no longer keep, per record type, and keeps a
RetentionRun of what went. Every rule tried at 6 years + 1 day (goes) and 6 years − 1 day (stays)."""

import datetime as dt
import uuid

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.utils import timezone

from absences.models import AbsenceReport, EvidenceFile
from letters.models import Letter, LetterTemplate
from registers.calendar import bank_holiday
from registers.models import AttendanceCode, Mark, RetentionRun
from registers.retention import delete_rows, run_retention
from registers.tasks import apply_retention
from tests.factories import PupilFactory, UserFactory, make_school, write


def pick_today() -> dt.date:
    """A day close to now for which the day 6 years + 1 day before and the day 6 years − 1 day before
    are both ordinary weekdays (the database's own guard counts from the real date, so stay near it)."""
    real = dt.date.today()
    for back in range(60):
        today = real - dt.timedelta(days=back)
        cutoff = today - relativedelta(years=6)
        days = (cutoff - dt.timedelta(days=1), cutoff + dt.timedelta(days=1))
        if all(d.weekday() < 5 and not bank_holiday(d) for d in days):
            return today
    raise AssertionError("no suitable day")


TODAY = pick_today()
CUTOFF = TODAY - relativedelta(years=6)
GOES = CUTOFF - dt.timedelta(days=1)  # 6 years + 1 day old
STAYS = CUTOFF + dt.timedelta(days=1)  # 6 years − 1 day old


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.STORAGES = {**settings.STORAGES}


@pytest.fixture
def old_school(db):
    term = {"name": "Autumn", "start": str(CUTOFF - dt.timedelta(days=20)), "end": str(CUTOFF + dt.timedelta(days=20))}
    return make_school(urn="100050", establishment_number="2050", terms=[term], half_term_breaks=[], closures=[])


@pytest.fixture
def pupil(old_school):
    return PupilFactory(school=old_school, on_roll=(CUTOFF - dt.timedelta(days=30), None))


def mark_made_on(school, pupil, day):
    """A mark entered on `day`, as a migration from the MIS leaves it: the database sets `created_at`
    on insert and no update may change it, so an entry from the past is inserted saying when."""
    made = at(day)
    return Mark.objects.create(
        school=school,
        pupil=pupil,
        date=day,
        session="AM",
        code=AttendanceCode.objects.get(code="/"),
        source=Mark.Source.IMPORT,
        recorded_by_name="MIS migration",
        recorded_by_position="Data import",
        recorded_at=made,
        created_at=made,
    )


def test_register_entries_go_the_day_after_six_years(old_school, pupil):
    old = mark_made_on(old_school, pupil, GOES)
    young = mark_made_on(old_school, pupil, STAYS)
    # An old session imported recently: 6 years from the date the entry was made, so it stays.
    earlier = GOES - dt.timedelta(days=1)
    while earlier.weekday() >= 5 or bank_holiday(earlier):
        earlier -= dt.timedelta(days=1)
    with time_machine.travel(at(TODAY), tick=False):
        write(old_school, pupil, {(earlier, "AM"): "N"})
    imported = Mark.objects.get(pupil=pupil, date=earlier)
    run = run_retention(today=TODAY)
    assert not Mark.objects.filter(pk=old.pk).exists()
    assert Mark.objects.filter(pk=young.pk).exists() and Mark.objects.filter(pk=imported.pk).exists()
    assert run.counts["register_entries"] == 1 and run.details["register_entries"]["ids"] == [old.pk]
    assert run.cutoffs["register_entries"] == CUTOFF.isoformat()
    assert run.details["register_entries"]["oldest"] == GOES.isoformat()
    # Run again: nothing more goes, and each run is kept.
    again = run_retention(today=TODAY)
    assert again.counts["register_entries"] == 0 and RetentionRun.objects.count() == 2


def test_nothing_inside_the_period_can_be_deleted(old_school, pupil):
    """The database's guard (counted from the real date) refuses whatever the code asks."""
    day = dt.date.today() - relativedelta(years=6) + dt.timedelta(days=1)
    while day.weekday() >= 5 or bank_holiday(day):
        day += dt.timedelta(days=1)
    young = mark_made_on(old_school, pupil, day)
    with pytest.raises(DatabaseError, match="kept for 6 years"), transaction.atomic():
        delete_rows(Mark, [young.pk])
    assert Mark.objects.filter(pk=young.pk).exists()


def report_made_on(school, pupil, user, day):
    report = AbsenceReport.objects.create(
        school=school,
        pupil=pupil,
        submitted_by=user,
        submission_key=uuid.uuid4(),
        reason=AbsenceReport.Reason.ILLNESS,
        description="Temperature",
        start_date=day,
        end_date=day,
    )
    AbsenceReport.objects.filter(pk=report.pk).update(created_at=at(day))
    return report


def evidence_on(report, user, day):
    evidence = EvidenceFile(
        school=report.school, report=report, original_name="note.pdf", content_type="application/pdf", size=3,
        uploaded_by=user,
    )  # fmt: skip
    evidence.file.save("note.pdf", ContentFile(b"%PD"), save=False)
    evidence.save()
    EvidenceFile.objects.filter(pk=evidence.pk).update(uploaded_at=at(day))
    return evidence


def test_parents_reports_and_evidence_files(old_school, pupil):
    user = UserFactory(username="parent")
    old, young = report_made_on(old_school, pupil, user, GOES), report_made_on(old_school, pupil, user, STAYS)
    old_file, young_file = evidence_on(old, user, GOES), evidence_on(young, user, STAYS)
    stored = old_file.file.path
    run = run_retention(today=TODAY)
    assert list(AbsenceReport.objects.values_list("pk", flat=True)) == [young.pk]
    assert list(EvidenceFile.objects.values_list("pk", flat=True)) == [young_file.pk]
    assert not (settings.PRIVATE_ROOT / stored).exists() and young_file.file.storage.exists(young_file.file.name)
    assert (run.counts["parents_reports"], run.counts["evidence_files"]) == (1, 1)
    assert run.details["evidence_files"]["files"] == 1


def test_each_record_type_has_its_own_period(old_school, pupil, settings):
    """Evidence kept for 7 years by the school's policy: the 6-year-old file stays, the report with it."""
    settings.RETENTION_YEARS = {**settings.RETENTION_YEARS, "evidence_files": 7}
    user = UserFactory(username="parent")
    report = report_made_on(old_school, pupil, user, GOES)
    evidence_on(report, user, GOES)
    run = run_retention(today=TODAY)
    assert AbsenceReport.objects.filter(pk=report.pk).exists() and EvidenceFile.objects.count() == 1
    assert run.cutoffs["evidence_files"] == (TODAY - relativedelta(years=7)).isoformat()
    assert "kept while an evidence file" in run.details["parents_reports"]["note"]


def test_register_entries_are_never_kept_for_less_than_the_law_says(settings, db):
    settings.RETENTION_YEARS = {**settings.RETENTION_YEARS, "register_entries": 5}
    with pytest.raises(ImproperlyConfigured, match="at least 6 years"):
        run_retention(today=TODAY)
    assert not RetentionRun.objects.exists()


def letter_on(school, pupil, day):
    template = LetterTemplate.objects.get_or_create(
        school=school, key="test", defaults={"title": "Test", "subject": "Attendance", "body": "Dear parent"}
    )[0]
    letter = Letter(
        school=school, pupil=pupil, template=template, template_version=1, subject="Attendance", data={},
        html="<p>Dear parent</p>", produced_by_name="Office", produced_at=at(day), letter_date=day,
    )  # fmt: skip
    letter.pdf.save("letter.pdf", ContentFile(b"%PDF"), save=False)
    letter.save()
    return letter


def test_letters_and_their_pdfs(old_school, pupil):
    old, young = letter_on(old_school, pupil, GOES), letter_on(old_school, pupil, STAYS)
    run = run_retention(today=TODAY)
    assert list(Letter.objects.values_list("pk", flat=True)) == [young.pk]
    assert not old.pdf.storage.exists(old.pdf.name) and young.pdf.storage.exists(young.pdf.name)
    assert run.counts["letters"] == 1 and run.details["letters"]["files"] == 1


def test_the_nightly_task_is_scheduled_and_records_a_run(db):
    beat = settings.CELERY_BEAT_SCHEDULE["registers-apply-retention"]
    assert beat["task"] == "registers.apply_retention"
    pk = apply_retention()
    run = RetentionRun.objects.get(pk=pk)
    assert set(run.counts) == {"register_entries", "evidence_files", "parents_reports", "letters"}
    assert run.history.count() == 1  # the run itself is audited


def test_the_command_prints_the_report(old_school, pupil):
    from io import StringIO

    from django.core.management import call_command

    mark_made_on(old_school, pupil, GOES)
    out = StringIO()
    call_command("run_retention", "--today", TODAY.isoformat(), stdout=out)
    assert "Register entries (marks): 1 removed (kept 6 years" in out.getvalue()
    assert "Letters (and their PDFs): 0 removed" in out.getvalue()
