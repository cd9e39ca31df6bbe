"""Contacts from the MIS's contacts CSV: one row per pupil's contact, SIMS-style headings, every
number kept (the one to ring first, then the others), matched to the contacts the school holds
by name so a re-import updates rather than duplicates, and never deleting one."""

import pytest

from registers.imports import ImportRejected, import_contacts, import_pupils
from registers.models import Contact, Pupil
from tests.registers.conftest import sample

CONTACTS = sample("sims_contacts_primary.csv").decode("utf-8-sig")
HEADER, *ROWS = CONTACTS.replace("\r\n", "\n").strip().split("\n")


def contacts_csv(*rows, header=HEADER):
    return "\r\n".join([header, *rows]) + "\r\n"


@pytest.fixture
def roll(school):
    import_pupils(school=school, text=sample("sims_pupils_primary.csv").decode("utf-8-sig"))
    return {p.upn: p for p in Pupil.objects.filter(school=school)}


def contact(forename):
    return Contact.objects.get(forename=forename)


def test_the_contacts_file_creates_every_contact_with_all_their_numbers(school, roll):
    report = import_contacts(school=school, text=CONTACTS)
    assert report.counts() == {"created": 7, "changed": 0, "leaving": 0, "unchanged": 0}
    imran = contact("Imran")
    assert (imran.priority, imran.title, imran.relationship, imran.parental_responsibility) == (2, "Mr", "Father", True)
    assert imran.telephone == "07700 900102"  # a mobile is rung first
    assert imran.other_telephones == "Home: 01632 960101 · Work: 0117 496 0102"
    jo = contact("Jo")
    assert (jo.relationship, jo.postcode) == ("Mother", "OK2 3CD")  # the DfE code PAM, in words
    assert jo.address == "Flat 2, Mill House\nStation Road\nOakfield"
    assert (contact("Tom").relationship, contact("Tom").lives_with_pupil) == ("Social worker", False)
    assert contact("Siobhan").pupil.upn == "J330215021004"
    columns = dict(report.columns)
    assert columns["Contact Surname"] == "contact's surname" and columns["Mobile"] == "telephone"
    assert report.ignored == ["Pupil Surname", "Pupil Forename"]


def test_lives_with_pupil_is_assumed_only_where_the_file_is_silent_and_the_preview_says_so(school, roll):
    report = import_contacts(school=school, text=CONTACTS)
    assert (contact("Jo").lives_with_pupil, contact("Dan").lives_with_pupil) == (True, False)
    assert contact("Abena").lives_with_pupil is True
    jo = next(c for c in report.changes if "Jo Clarke" in c.label)
    assert "Lives with pupil: Yes (assumed: the file does not say)" in jo.details
    nadia = next(c for c in report.changes if "Nadia" in c.label)
    assert "Lives with pupil: Yes" in nadia.details


def test_the_same_contacts_again_change_nothing(school, roll):
    import_contacts(school=school, text=CONTACTS)
    before = Contact.history.count()
    report = import_contacts(school=school, text=CONTACTS)
    assert not report.changes_anything and report.counts()["unchanged"] == 7
    assert Contact.history.count() == before


def test_a_changed_number_or_priority_updates_the_contact_it_names(school, roll):
    import_contacts(school=school, text=CONTACTS)
    rows = list(ROWS)
    rows[0] = rows[0].replace(",1,Mrs,Nadia", ",2,Mrs,Nadia").replace("07700 900101", "07700 900999")
    rows[1] = rows[1].replace(",2,Mr,Imran", ",1,Mr,Imran")
    report = import_contacts(school=school, text=contacts_csv(*rows))
    assert report.counts() == {"created": 0, "changed": 2, "leaving": 0, "unchanged": 5}
    nadia = next(c for c in report.changes if "Nadia" in c.label)
    assert nadia.details == ["Priority: 1 → 2", "Telephone: 07700 900101 → 07700 900999"]
    assert Contact.objects.filter(forename="Nadia").count() == 1
    assert (
        contact("Nadia").history.latest("history_id").history_change_reason
        == "imported from the school's contacts file"
    )


def test_a_contact_missing_from_the_file_is_kept_and_listed(school, roll):
    import_contacts(school=school, text=CONTACTS)
    report = import_contacts(school=school, text=contacts_csv(ROWS[0]))  # Imran left out
    assert Contact.objects.filter(forename="Imran").exists()
    assert any("are not in the file and are kept as they are" in n and "Imran Hussain" in n for n in report.notes)


def test_columns_the_file_leaves_out_are_left_alone(school, roll):
    import_contacts(school=school, text=CONTACTS)
    header = "UPN,Contact Forename,Contact Surname,Relationship,Parental Responsibility"
    report = import_contacts(school=school, text=contacts_csv("C330215022001,Nadia,Hussain,Mother,Yes", header=header))
    nadia = contact("Nadia")
    assert (nadia.telephone, nadia.email, nadia.priority) == ("07700 900101", "nadia.hussain@example.org.uk", 1)
    assert not report.changes_anything


@pytest.mark.parametrize(
    "row, message",
    [
        ("C330215022002,x,x,1,Mrs,Nadia,Hussain,Mother,Yes,Yes,,,,,,,,", "wrong check letter"),
        ("N330215015011,x,x,1,Mrs,Ruby,Evans,Mother,Yes,Yes,,,,,,,,", "no pupil with UPN N330215015011 at Oakfield"),
        ("C330215022001,x,x,first,Mrs,Ruby,Evans,Mother,Yes,Yes,,,,,,,,", "Contact Priority 'first' should be a whole"),
        ("C330215022001,x,x,\u00b2,Mrs,Ruby,Evans,Mother,Yes,Yes,,,,,,,,", "Priority '\u00b2' should be a whole"),
        ("C330215022001,x,x,1" + "0" * 30 + ",Mrs,Ruby,Evans,Mother,Yes,Yes,,,,,,,,", "should be between 1 and 99"),
        ("C330215022001,x,x,3,Mrs,,Evans,Mother,Yes,Yes,,,,,,,,", "Contact Forename is empty"),
        ("C330215022001,x,x,3,Mrs,Ruby,Evans,,Yes,Yes,,,,,,,,", "Relationship is empty"),
        ("C330215022001,x,x,3,Mrs,Ruby,Evans,Aunt,perhaps,Yes,,,,,,,,", "Parental Responsibility 'perhaps' should be"),
        ("C330215022001,x,x,3,Mrs,Ruby,Evans,Aunt,No,,,,,ruby at example,,,,", "Enter a valid email address"),
        ("C330215022001,x,x,3,Mrs,NADIA,hussain,Mother,Yes,Yes,,,,,,,,", "is a contact of Hussain, Zara"),
    ],
)
def test_one_bad_contact_row_writes_nothing_and_names_its_line(school, roll, row, message):
    with pytest.raises(ImportRejected) as exc:
        import_contacts(school=school, text=contacts_csv(*ROWS[:2], row))
    [problem] = exc.value.problems
    assert problem.line == 4 and message in problem.message, problem
    assert not Contact.objects.exists()


def test_a_contacts_file_without_parental_responsibility_is_refused(school, roll):
    header = "UPN,Contact Forename,Contact Surname,Relationship"
    with pytest.raises(ImportRejected) as exc:
        import_contacts(school=school, text=contacts_csv("C330215022001,Nadia,Hussain,Mother", header=header))
    assert "no column for the parental responsibility" in str(exc.value.problems[0])


def test_another_schools_pupil_cannot_be_given_contacts(school, roll, hillside):
    """The office of Hillside names one of Oakfield's pupils: refused, Oakfield untouched."""
    with pytest.raises(ImportRejected) as exc:
        import_contacts(school=hillside, text=contacts_csv(ROWS[0]))
    assert "no pupil with UPN C330215022001 at Hillside School" in exc.value.problems[0].message
    assert not Contact.objects.exists()
