"""Attacks on the retention run (registers/retention.py and the sweepers in absences/ and letters/):
nothing inside its period may go, whatever date the run is told it is, whatever an entry's session
date says, and a run that fails part-way leaves every record and every file in place."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.core.management import CommandError, call_command
from django.utils import timezone

from absences.models import AbsenceReport, EvidenceFile
from letters.models import Letter
from registers import retention
from registers.models import Mark, RetentionRun
from registers.retention import RetentionRefused, run_retention
from tests.factories import PupilFactory, UserFactory, make_school, write
from tests.registers.test_retention import (
    CUTOFF,
    GOES,
    TODAY,
    at,
    evidence_on,
    letter_on,
    mark_made_on,
    report_made_on,
)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.STORAGES = {**settings.STORAGES}


@pytest.fixture
def old_school(db):
    term = {"name": "Autumn", "start": str(CUTOFF - dt.timedelta(days=20)), "end": str(CUTOFF + dt.timedelta(days=20))}
    return make_school(urn="100051", establishment_number="2051", terms=[term], half_term_breaks=[], closures=[])


@pytest.fixture
def pupil(old_school):
    return PupilFactory(school=old_school, on_roll=(CUTOFF - dt.timedelta(days=30), None))


def everything(school, pupil):
    """A letter, a report and its evidence file made last year: well inside every period."""
    user = UserFactory(username="parent")
    last_year = dt.date.today() - relativedelta(years=1)
    report = report_made_on(school, pupil, user, last_year)
    return letter_on(school, pupil, last_year), report, evidence_on(report, user, last_year)


@pytest.mark.parametrize("years_ahead", [7, 40])
def test_a_clock_set_forward_removes_nothing(old_school, pupil, years_ahead):
    """No register entries to trip the database's own guard: only the run's check stands between a
    wrong clock and last year's letters, reports and evidence."""
    letter, report, evidence = everything(old_school, pupil)
    future = dt.date.today() + relativedelta(years=years_ahead)
    with pytest.raises(RetentionRefused, match="database's date"):
        run_retention(today=future)
    jumped = timezone.make_aware(dt.datetime.combine(future, dt.time(2, 45)))
    with time_machine.travel(jumped, tick=False), pytest.raises(RetentionRefused):
        run_retention()  # the nightly task on a server whose clock jumped
    assert Letter.objects.filter(pk=letter.pk).exists() and AbsenceReport.objects.filter(pk=report.pk).exists()
    assert EvidenceFile.objects.filter(pk=evidence.pk).exists()
    assert letter.pdf.storage.exists(letter.pdf.name) and evidence.file.storage.exists(evidence.file.name)
    assert not RetentionRun.objects.exists()


def test_the_command_given_a_future_date_refuses_with_a_message(old_school, pupil):
    letter, _, _ = everything(old_school, pupil)
    with pytest.raises(CommandError, match="database's date"):
        call_command("run_retention", "--today", "2099-09-01", stdout=StringIO())
    assert Letter.objects.filter(pk=letter.pk).exists()


def test_an_old_session_amended_recently_stays(old_school, pupil):
    """The session is 6 years + 1 day old, but the entry now in the register was made last month."""
    mark = mark_made_on(old_school, pupil, GOES)
    with time_machine.travel(at(TODAY - dt.timedelta(days=30)), tick=False):
        write(old_school, pupil, {(GOES, "AM"): "I"}, reason="Medical note found in the archive")
    run = run_retention(today=TODAY)
    assert Mark.objects.get(pk=mark.pk).code.code == "I"
    assert run.counts["register_entries"] == 0


def test_a_letter_dated_long_ago_but_produced_recently_stays(old_school, pupil):
    """A letter back-dated on a late run (letter_date old, produced last week)."""
    from django.core.files.base import ContentFile

    from letters.models import LetterTemplate

    template = LetterTemplate.objects.create(school=old_school, key="late", title="Late", subject="S", body="Dear")
    letter = Letter(
        school=old_school, pupil=pupil, template=template, template_version=1, subject="S", data={}, html="<p>x</p>",
        produced_by_name="Office", produced_at=at(TODAY - dt.timedelta(days=7)), letter_date=GOES,
    )  # fmt: skip
    letter.pdf.save("letter.pdf", ContentFile(b"%PDF"), save=False)
    letter.save()
    run_retention(today=TODAY)
    assert Letter.objects.filter(pk=letter.pk).exists() and letter.pdf.storage.exists(letter.pdf.name)


def test_a_run_that_fails_part_way_keeps_every_record_and_every_file(old_school, pupil, monkeypatch):
    """The evidence sweeper has run (its rows deleted in the transaction) when the letters sweeper
    fails: the rows come back with the rollback, and the files must still be there too."""
    user = UserFactory(username="parent")
    report = report_made_on(old_school, pupil, user, GOES)
    evidence = evidence_on(report, user, GOES)
    letter = letter_on(old_school, pupil, GOES)

    def broken(cutoff):
        raise RuntimeError("disk unavailable")

    monkeypatch.setitem(retention.SWEEPERS, "letters", retention.Sweeper("letters", "Letters", 40, broken))
    with pytest.raises(RuntimeError):
        run_retention(today=TODAY)
    assert EvidenceFile.objects.filter(pk=evidence.pk).exists() and evidence.file.storage.exists(evidence.file.name)
    assert Letter.objects.filter(pk=letter.pk).exists() and letter.pdf.storage.exists(letter.pdf.name)
    assert not RetentionRun.objects.exists()
