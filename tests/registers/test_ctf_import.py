"""Pupils and contacts from a Common Transfer File: a secondary school's own SIMS export on day
one, a primary's pupils joining from their previous school (with the admission date the office
gives, and their attendance there kept as that school's record), strict about what it needs,
safe with hostile XML, and in step on re-import."""

import datetime as dt

import pytest

from registers.imports import ImportRejected, import_ctf
from registers.models import Contact, Enrolment, Mark, Pupil
from reports.exports import CTFImportError, import_ctf_attendance
from reports.models import PreviousSchoolAttendance
from tests.factories import PupilFactory
from tests.registers.conftest import sample
from tests.registers.test_imports import history_counts

D = dt.date
SECONDARY = sample("ctf_sims_secondary.xml")
ARBOR = sample("ctf_arbor_primary.xml")


def problems_of(exc) -> list[str]:
    return [str(p) for p in exc.value.problems]


# --- a secondary school's own MIS, on day one --------------------------------------------------


def test_the_schools_own_ctf_admits_pupils_on_their_entry_date(ashcombe):
    report = import_ctf(school=ashcombe, data=SECONDARY, admission_date=D(2025, 9, 3))
    assert report.counts() == {"created": 6, "changed": 0, "leaving": 0, "unchanged": 0}
    assert report.counts("contact")["created"] == 8
    olivia = Pupil.objects.get(upn="K936204114101")
    assert (olivia.legal_surname, olivia.preferred_forename, olivia.year) == ("DUNCAN", "Liv", 7)
    assert (olivia.fsm, olivia.sen, olivia.eal, olivia.ethnicity) == (True, "K", False, "WBRI")
    yusuf = Pupil.objects.get(upn="Y936311211007")
    assert yusuf.enrolments.get().admission_date == D(2022, 1, 10)  # his EntryDate here, from SchoolHistory
    assert sorted(Pupil.objects.values_list("year", flat=True)) == [7, 7, 9, 10, 11, 12]
    sarah = Contact.objects.get(forename="Sarah")
    assert (sarah.relationship, sarah.telephone, sarah.other_telephones) == (
        "Mother",
        "07700 900123",
        "Home: 01483 960123",
    )
    assert sarah.lives_with_pupil and not Contact.objects.get(forename="Craig").lives_with_pupil
    assert dict(report.columns)["Source"] == "Ashcombe Park Academy (936/4321) — this school"


def test_pupils_without_an_entry_date_here_need_the_admission_date(ashcombe):
    with pytest.raises(ImportRejected) as exc:
        import_ctf(school=ashcombe, data=SECONDARY)
    found = problems_of(exc)
    assert len(found) == 3 and all("give the admission date on the upload form" in p for p in found)
    assert found[0].startswith("pupil 4 (O'Brien, Niamh — Z936218810055): the file gives no EntryDate")
    assert not Pupil.objects.exists()


def test_own_attendance_is_not_kept_as_a_previous_schools(ashcombe):
    report = import_ctf(school=ashcombe, data=SECONDARY, admission_date=D(2025, 9, 3))
    assert not PreviousSchoolAttendance.objects.exists()
    assert any("attendance in this file is this school's own" in n for n in report.notes)


def test_the_same_ctf_again_changes_nothing(ashcombe):
    import_ctf(school=ashcombe, data=SECONDARY, admission_date=D(2025, 9, 3))
    before = history_counts(), Contact.history.count()
    report = import_ctf(school=ashcombe, data=SECONDARY, admission_date=D(2025, 9, 3))
    assert not report.changes_anything
    assert report.counts() == {"created": 0, "changed": 0, "leaving": 0, "unchanged": 6}
    assert (history_counts(), Contact.history.count()) == before


def test_a_later_ctf_updates_characteristics_and_years(ashcombe):
    import_ctf(school=ashcombe, data=SECONDARY, admission_date=D(2025, 9, 3))
    later = SECONDARY.replace(b"<NCyearActual>7</NCyearActual>", b"<NCyearActual>8</NCyearActual>", 1).replace(
        b"<InCare>false</InCare>", b"<InCare>true</InCare>", 1
    )
    report = import_ctf(school=ashcombe, data=later, admission_date=D(2025, 9, 3))
    [change] = report.listed("changed")
    assert change.label == "DUNCAN, Olivia (K936204114101)"
    assert change.details == ["Year: Year 7 → Year 8", "Looked after: No → Yes"]


def test_a_temporary_upn_is_replaced_by_the_permanent_one(ashcombe):
    """Yusuf was added with a temporary UPN; the CTF gives his permanent one and the old as FormerUPN."""
    temporary = PupilFactory(school=ashcombe, upn="A936311211099", year=10, on_roll=(D(2022, 1, 10), None))
    report = import_ctf(school=ashcombe, data=SECONDARY, admission_date=D(2025, 9, 3))
    temporary.refresh_from_db()
    assert temporary.upn == "Y936311211007" and Pupil.objects.count() == 6
    assert "UPN: A936311211099 → Y936311211007" in report.listed("changed")[0].details


# --- pupils joining from their previous school ----------------------------------------------------


def test_pupils_from_a_previous_school_join_on_the_date_given(school):
    with pytest.raises(ImportRejected) as exc:
        import_ctf(school=school, data=ARBOR)
    assert all("give the date the pupils from this file join the school" in p for p in problems_of(exc))
    report = import_ctf(school=school, data=ARBOR, admission_date=D(2026, 1, 5))
    assert report.counts()["created"] == 3
    assert set(Enrolment.objects.values_list("admission_date", flat=True)) == {D(2026, 1, 5)}
    assert sorted((p.legal_forename, p.year, p.group) for p in Pupil.objects.all()) == [
        ("Aanya", 0, None),
        ("Grace", 3, None),
        ("Theo", -1, None),
    ]
    notes = " ".join(report.notes)
    assert "partial CTF" in notes and "carries no registration groups" in notes


def test_a_previous_schools_attendance_is_kept_as_its_record_never_as_marks(hillside):
    report = import_ctf(school=hillside, data=SECONDARY, admission_date=D(2026, 1, 5))
    olivia = PreviousSchoolAttendance.objects.get(pupil__upn="K936204114101")
    assert (olivia.year, olivia.sessions_possible, olivia.sessions_attended) == (2024, 380, 366)
    assert olivia.source_name == "Ashcombe Park Academy" and not Mark.objects.exists()
    listed = report.listed("created")
    assert any(c.thing == "year of previous-school attendance" and "366 of 380" in c.details[0] for c in listed)
    again = import_ctf(school=hillside, data=SECONDARY, admission_date=D(2026, 1, 5))
    assert not again.changes_anything and again.counts("year of previous-school attendance")["unchanged"] >= 1


def test_pupils_already_here_keep_their_enrolment_when_their_old_schools_ctf_arrives(school):
    import_ctf(school=school, data=ARBOR, admission_date=D(2026, 1, 5))
    report = import_ctf(school=school, data=ARBOR, admission_date=D(2026, 4, 13))  # a later default date
    assert not report.changes_anything
    assert set(Enrolment.objects.values_list("admission_date", flat=True)) == {D(2026, 1, 5)}


def test_a_partial_ctf_does_not_clear_what_it_leaves_out(school):
    import_ctf(school=school, data=ARBOR, admission_date=D(2026, 1, 5))
    aanya = Pupil.objects.get(upn="E919205021008")
    aanya.sen = "K"
    aanya.save()
    report = import_ctf(school=school, data=ARBOR, admission_date=D(2026, 1, 5))
    aanya.refresh_from_db()
    assert aanya.sen == "K" and not report.changes_anything  # the file has no SENhistory for her


def test_a_ctf_for_another_school_is_refused(hillside):
    with pytest.raises(ImportRejected) as exc:
        import_ctf(school=hillside, data=ARBOR, admission_date=D(2026, 1, 5))
    [problem] = problems_of(exc)
    assert "the file is addressed to school 801/2000, not to Hillside School (936/5402)" in problem
    assert not Pupil.objects.exists()


# --- strict about what it needs, safe with what it is sent ---------------------------------------


def test_every_problem_in_a_ctf_is_named_by_pupil_and_element_and_nothing_is_written(school):
    before = history_counts()
    with pytest.raises(ImportRejected) as exc:
        import_ctf(school=school, data=sample("ctf_missing_required.xml"), admission_date=D(2026, 1, 5))
    found = problems_of(exc)
    assert len(found) >= 6
    assert any(p.startswith("pupil 1") and "CTFpupilData/Pupil[1]/UPN" in p for p in found)
    assert any("DOB" in p and "the date of birth is missing" in p for p in found)
    assert not Pupil.objects.exists() and history_counts() == before


@pytest.mark.parametrize("name", ["ctf_billion_laughs.xml", "ctf_xxe.xml"])
def test_hostile_xml_is_refused_before_it_is_expanded(school, name):
    with pytest.raises(ImportRejected) as exc:
        import_ctf(school=school, data=sample(name), admission_date=D(2026, 1, 5))
    assert "declares a document type or entities" in problems_of(exc)[0]
    assert not Pupil.objects.exists()


def test_the_ctf_attendance_import_refuses_an_xml_bomb_too(school):
    with pytest.raises(CTFImportError) as exc:
        import_ctf_attendance(school=school, data=sample("ctf_billion_laughs.xml"))
    assert "declares a document type or entities" in " ".join(exc.value.messages)


def test_the_ctf_attendance_import_reads_a_namespaced_file(hillside):
    """SIMS-style default namespace on every element: the standard-library parser found no pupils."""
    import_ctf(school=hillside, data=SECONDARY, admission_date=D(2026, 1, 5))
    PreviousSchoolAttendance.objects.all().delete()
    saved = import_ctf_attendance(school=hillside, data=SECONDARY)
    assert {r.pupil.upn for r in saved} >= {"K936204114101"}


def test_a_ctf_without_a_year_for_a_new_pupil_is_refused(school):
    data = ARBOR.replace(b"<NCyearActual>R</NCyearActual>", b"")
    with pytest.raises(ImportRejected) as exc:
        import_ctf(school=school, data=data, admission_date=D(2026, 1, 5))
    [problem] = problems_of(exc)
    assert problem.startswith("pupil 1 (Patel, Aanya — E919205021008): the file gives no national curriculum year")


# --- numbers no column can hold: a message, not a server error ---------------------------------

NOT_NUMBERS = ["\u00b2", "1" + "0" * 30, "-1", "1e3"]


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_contact_order_that_is_not_a_plausible_number_is_named_and_nothing_is_written(hillside, value):
    data = SECONDARY.replace(b"<Order>2</Order>", f"<Order>{value}</Order>".encode(), 1)
    with pytest.raises(ImportRejected) as exc:
        import_ctf(school=hillside, data=data, admission_date=D(2026, 1, 5))
    [problem] = problems_of(exc)
    assert "Contacts/Contact[2]/Order" in problem and f"the contact order '{value[:12]}" in problem
    assert "should be a whole number" in problem or "should be between 1 and 99" in problem
    assert not Pupil.objects.exists() and not Contact.objects.exists()


@pytest.mark.parametrize("value", NOT_NUMBERS)
@pytest.mark.parametrize("tag", ["SessionsPossible", "SessionsAttended", "Year"])
def test_previous_school_figures_that_are_not_plausible_numbers_are_refused(hillside, tag, value):
    import_ctf(school=hillside, data=SECONDARY, admission_date=D(2026, 1, 5))
    PreviousSchoolAttendance.objects.all().delete()
    first = SECONDARY.index(f"<{tag}>".encode())
    end = SECONDARY.index(f"</{tag}>".encode(), first)
    data = SECONDARY[:first] + f"<{tag}>{value}".encode() + SECONDARY[end:]
    with pytest.raises(CTFImportError) as exc:
        import_ctf_attendance(school=hillside, data=data)
    message = " ".join(exc.value.messages)
    assert f"{tag} '{value[:12]}" in message and "should be" in message
    assert not PreviousSchoolAttendance.objects.exists()
