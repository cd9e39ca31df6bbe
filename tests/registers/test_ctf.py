"""Reading pupils and contacts from a Common Transfer File: what a school's MIS really writes is
read (namespaces, unknown blocks, both address forms, the older Gender), an unsafe file is
refused before anything is expanded or fetched, and a file with missing data is refused with
every problem named by pupil and element."""

import datetime as dt
import io
import re
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registers.ctf import MAX_CTF_BYTES, CTFRejected, parse_xml, read_ctf

DATA = Path(__file__).parent / "data"
D = dt.date


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def refusal(content, **kwargs) -> list:
    with pytest.raises(CTFRejected) as refused:
        read_ctf(content, **kwargs)
    return refused.value.problems


def minimal_ctf(pupil: str, header: str = "") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<CTfile><Header><DocumentName>Common Transfer File</DocumentName><CTFversion>12.0</CTFversion>
<DateTime>2013-06-20T10:00:00</DateTime>{header}</Header>
<CTFpupilData><Pupil>{pupil}</Pupil></CTFpupilData></CTfile>"""


# --- a SIMS-style secondary school file: namespaces, unknown blocks, several pupils ----------


@pytest.fixture(scope="module")
def sims():
    return read_ctf(data("ctf_sims_secondary.xml"))


def test_the_header_names_the_school_that_wrote_the_file(sims):
    header = sims.header
    assert (header.document_name, header.version, header.qualifier, header.supplier) == (
        "Common Transfer File",
        "25.0",
        "full",
        "SIMS",
    )
    assert header.created == dt.datetime(2025, 9, 1, 16, 42, 10)
    assert (header.source.la, header.source.estab, header.source.urn) == ("936", "4321", "138456")
    assert header.source.name == "Ashcombe Park Academy"
    assert header.source.dfe_number == "9364321"
    assert (header.destination.la, header.destination.estab) == ("MMM", "MMMM")  # destination not known
    assert header.academic_year == "2025"
    assert sims.reference_day == D(2025, 9, 1)  # FSM and SEN are read as on the day it was written


def test_every_pupil_is_read_in_file_order_whatever_the_namespace_and_extra_blocks(sims):
    assert [(p.position, p.upn, p.legal_surname, p.year) for p in sims.pupils] == [
        (1, "K936204114101", "DUNCAN", 7),
        (2, "Z936204114102", "Kowalski", 7),
        (3, "Y936311211007", "Ahmed", 10),
        (4, "Z936218810055", "O'Brien", 11),  # written "Y11" in the file
        (5, "E936204112003", "Nwosu", 12),
        (6, "Q93620411801A", "Rahman", 9),  # a temporary UPN (last character a letter)
    ]


def test_the_same_file_without_its_namespace_reads_the_same(sims):
    plain = re.sub(rb' xmlns="[^"]*"', b"", data("ctf_sims_secondary.xml"))
    assert b"xmlns=" not in plain
    assert read_ctf(plain) == sims


def test_a_pupils_names_dates_and_characteristics(sims):
    olivia = sims.pupils[0]
    assert (olivia.legal_forename, olivia.preferred_forename, olivia.preferred_surname) == ("Olivia", "Liv", "Duncan")
    assert olivia.middle_names == "Rose"
    assert olivia.date_of_birth == D(2014, 2, 11)
    assert olivia.sex == "F"
    assert olivia.ethnicity == "WBRI"
    assert olivia.entry_date == D(2025, 9, 3)  # from the writing school's line in SchoolHistory
    assert [(s.estab, s.entry_date, s.leaving_date) for s in olivia.school_history] == [
        ("2041", D(2018, 9, 5), D(2025, 7, 22)),
        ("4321", D(2025, 9, 3), None),
    ]
    assert olivia.has_attendance  # the Attendance block is there, for reports.exports to read


def test_fsm_is_current_only_while_a_period_covers_the_day(sims):
    olivia, jakub, yusuf = sims.pupils[:3]
    assert olivia.fsm_eligible and olivia.fsm_periods[0].start == D(2022, 5, 4) and olivia.fsm_periods[0].end is None
    assert not jakub.fsm_eligible and jakub.fsm_periods == ()
    assert not yusuf.fsm_eligible  # eligible 2019–2021 only
    assert (yusuf.fsm_periods[0].start, yusuf.fsm_periods[0].end) == (D(2019, 1, 7), D(2021, 7, 31))


def test_sen_provision_is_the_one_current_on_the_day(sims):
    olivia, jakub, yusuf = sims.pupils[:3]
    assert (olivia.sen, jakub.sen, yusuf.sen) == ("K", "N", "E")
    assert [p.provision for p in yusuf.sen_history] == ["K", "E"]


def test_the_day_fsm_and_sen_are_read_for_can_be_chosen():
    earlier = read_ctf(data("ctf_sims_secondary.xml"), on=D(2021, 6, 1))
    yusuf = earlier.pupils[2]
    assert yusuf.fsm_eligible and yusuf.sen == "K"
    assert earlier.reference_day == D(2021, 6, 1)


def test_eal_from_the_first_language(sims):
    olivia, jakub, yusuf, niamh, chidi = sims.pupils[:5]
    assert (jakub.first_language, jakub.eal) == ("POL", True)
    assert (yusuf.first_language, yusuf.eal) == ("ENB", False)  # believed to be English
    assert (niamh.first_language, niamh.eal) == ("ENG", False)  # the F line, not the home language
    assert (olivia.eal, chidi.eal) == (False, None)  # none given: not known, not "no"


def test_looked_after_and_the_care_authority(sims):
    jakub = sims.pupils[1]
    assert jakub.looked_after and jakub.care_authority == "936"
    assert not sims.pupils[0].looked_after


def test_addresses_read_as_lines_and_a_postcode(sims):
    olivia, jakub, yusuf = sims.pupils[:3]
    # BS7666: the house number joins the street; the post town already given is not repeated
    assert olivia.address.lines == ("14 Lime Tree Walk", "Ashcombe", "Guildford", "Surrey")
    assert olivia.address.postcode == "GU1 4AA"
    assert olivia.address.uprn == "100061234567"
    assert olivia.address.text == "14 Lime Tree Walk\nAshcombe\nGuildford\nSurrey"
    assert yusuf.address.lines == ("2A Farnham Road", "Guildford")
    assert jakub.address.lines == ("Rose Cottage", "Church Lane", "Godalming")  # a house name stays a line
    assert olivia.telephones[0].number == "01483 960123"


def test_contacts_in_priority_order_with_what_the_office_needs(sims):
    mum, dad = sims.pupils[0].contacts
    assert (mum.order, mum.title, mum.forename, mum.surname) == (1, "Mrs", "Sarah", "Duncan")
    assert (mum.relationship_code, mum.relationship) == ("PAM", "Mother")
    assert mum.parental_responsibility and mum.lives_with_pupil
    assert mum.address == sims.pupils[0].address  # AddressAsPupil
    assert mum.main_telephone == "07700 900123"  # the mobile first
    assert [(t.kind, t.label) for t in mum.telephones] == [("H", "home"), ("M", "mobile")]
    assert mum.email == "sarah.duncan@example.org.uk"
    assert (dad.relationship, dad.lives_with_pupil) == ("Father", False)
    assert dad.address.lines == ("Flat 3", "Mill House", "Station Road", "Woking")
    assert dad.main_telephone == "01483 960999"

    carer, social_worker = sims.pupils[1].contacts
    assert (carer.relationship, carer.parental_responsibility, carer.lives_with_pupil) == ("Carer", False, True)
    assert carer.email == "h.price@example.org.uk"  # the spaces around it are gone
    assert social_worker.relationship == "Social worker"
    assert social_worker.address.lines == ("Children's Services", "County Hall", "Kingston upon Thames")

    # the same address written out again (postcode spaced differently) still counts as living with
    assert sims.pupils[2].contacts[0].lives_with_pupil is True
    # listed out of order in the file, read in priority order
    assert [c.forename for c in sims.pupils[3].contacts] == ["Aoife", "Sean"]
    assert sims.pupils[3].contacts[0].lives_with_pupil is None  # no address either way: not known


def test_a_bad_contact_email_is_left_out_with_a_warning_not_a_refusal(sims):
    chidi = sims.pupils[4]
    assert chidi.contacts[0].email == ""
    [warning] = sims.warnings
    assert (warning.pupil, warning.path) == (5, "CTFpupilData/Pupil[5]/Contacts/Contact[1]/Email")
    assert "'chioma.nwosu@' is not an e-mail address" in warning.message
    assert "Nwosu, Chidi" in str(warning)


def test_a_pupil_with_only_the_required_details(sims):
    ayesha = sims.pupils[5]
    assert (ayesha.address, ayesha.contacts, ayesha.ethnicity, ayesha.entry_date) == (None, (), "", None)
    assert (ayesha.sen, ayesha.fsm_eligible, ayesha.looked_after) == ("N", False, False)


# --- an Arbor-style primary school file: no namespace, BOM, CRLF, N2 and R -----------------


def test_arbor_style_primary_file_with_nursery_and_reception():
    ctf = read_ctf(data("ctf_arbor_primary.xml"))
    assert ctf.header.qualifier == "partial"
    assert ctf.header.created == dt.datetime(2025, 9, 8, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    aanya, theo, grace = ctf.pupils
    assert (aanya.year, theo.year, grace.year) == (0, -1, 3)
    assert aanya.preferred_forename == "Ani"
    assert aanya.fsm_eligible and aanya.eal and aanya.entry_date == D(2025, 9, 3)
    # address parts straight under Address, and address lines
    assert aanya.address.lines == ("27 Orchard Close", "Hatfield")
    assert aanya.address.country == "United Kingdom"
    assert theo.address.lines == ("Flat 12, Beech Court", "Green Lane", "Hatfield")
    dad, gran = theo.contacts
    assert (dad.relationship, dad.lives_with_pupil) == ("Father", True)  # same address written out
    assert (gran.relationship, gran.parental_responsibility, gran.lives_with_pupil) == (
        "Other family member",
        False,
        None,
    )
    assert grace.sen == "K" and grace.contacts == ()


# --- older and odder files ---------------------------------------------------------------------


def test_an_older_ctf_with_gender_and_census_style_values():
    ctf = read_ctf(
        minimal_ctf(
            "<UPN>J330215020003</UPN><Surname>Singh</Surname><Forename>Arjun</Forename>"
            "<DOB>2006-11-02</DOB><Gender>m</Gender>"
            "<BasicDetails><NCyearActual>Year 2</NCyearActual><Ethnicity>aind</Ethnicity></BasicDetails>"
            "<SENhistory><SEN><StartDate>2011-01-04</StartDate><SENprovision>P</SENprovision></SEN></SENhistory>"
            "<Contacts><Contact><Surname>Singh</Surname><Relationship>Aunt</Relationship>"
            "<Responsibility>false</Responsibility></Contact></Contacts>"
        )
    )
    [arjun] = ctf.pupils
    assert (arjun.sex, arjun.year, arjun.ethnicity) == ("M", 2, "AIND")
    assert arjun.sen == "K"  # School Action Plus (before 2014) is SEN support now
    [aunt] = arjun.contacts
    assert (aunt.order, aunt.relationship_code, aunt.relationship) == (1, "Aunt", "Aunt")  # kept as written


def test_a_postcode_that_is_not_one_is_kept_in_the_address_with_a_warning():
    ctf = read_ctf(
        minimal_ctf(
            "<UPN>J330215020003</UPN><Surname>Singh</Surname><Forename>Arjun</Forename>"
            "<DOB>2006-11-02</DOB><Sex>M</Sex><FSMeligible>true</FSMeligible>"
            "<Address><AddressLine1>4 Mill Lane</AddressLine1>"
            "<PostCode>see the office for this one</PostCode></Address>"
        )
    )
    [arjun] = ctf.pupils
    assert arjun.address.lines == ("4 Mill Lane", "SEE THE OFFICE FOR THIS ONE") and arjun.address.postcode == ""
    assert arjun.fsm_eligible  # a census-style flag when there is no FSM history
    [warning] = ctf.warnings
    assert warning.path == "CTFpupilData/Pupil[1]/Address/PostCode"


def test_an_empty_sen_provision_says_it_is_missing():
    [problem] = refusal(
        minimal_ctf(
            "<UPN>J330215020003</UPN><Surname>Singh</Surname><Forename>Arjun</Forename>"
            "<DOB>2006-11-02</DOB><Sex>M</Sex><SENhistory><SEN><SENprovision/></SEN></SENhistory>"
        )
    )
    assert (problem.path, problem.message) == (
        "CTFpupilData/Pupil[1]/SENhistory/SEN/SENprovision",
        "the SEN provision is missing; it should be N, K or E",
    )


def test_text_as_well_as_bytes_and_an_uploaded_file():
    text = data("ctf_arbor_primary.xml").decode("utf-8-sig")
    assert [p.upn for p in read_ctf(text).pupils] == ["E919205021008", "P919205022017", "H919205019030"]
    upload = SimpleUploadedFile("fernhill.xml", data("ctf_arbor_primary.xml"), content_type="text/xml")
    assert len(read_ctf(upload).pupils) == 3


def test_parse_xml_gives_plain_tags_for_the_attendance_import():
    root = parse_xml(data("ctf_sims_secondary.xml"))
    assert root.tag == "CTfile"
    assert root.findtext("CTFpupilData/Pupil/Attendance/YearData/SessionsPossible") == "380"


# --- unsafe files --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ctf_billion_laughs.xml", "ctf_xxe.xml"])
def test_an_entity_bomb_or_external_entity_is_refused_without_being_expanded(name):
    started = time.perf_counter()
    [problem] = refusal(data(name))
    assert time.perf_counter() - started < 1  # nothing was expanded
    assert problem.pupil is None
    assert "declares a document type or entities" in problem.message
    assert "refused without being read" in problem.message
    assert "root:" not in str(problem)  # nothing of /etc/passwd


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed():
    assert MAX_CTF_BYTES == 20 * 1024 * 1024
    [problem] = refusal(b"<CTfile>" + b" " * 2048 + b"</CTfile>", max_bytes=1024)
    assert problem.message.startswith("The file is 2.0 KB; a Common Transfer File may be at most 1 KB.")


def test_an_upload_over_the_limit_is_refused_by_its_size_without_being_read():
    class Upload(io.BytesIO):
        size = MAX_CTF_BYTES + 1

        def read(self, *args):
            raise AssertionError("the upload was read")

    [problem] = refusal(Upload(b"<CTfile/>"))
    assert "20.0 MB; a Common Transfer File may be at most 20 MB" in problem.message


def test_a_stream_that_turns_out_too_big_is_refused():
    [problem] = refusal(io.BytesIO(b"<CTfile>" + b" " * 3000 + b"</CTfile>"), max_bytes=2048)
    assert problem.message.startswith("The file is over 2 KB; a Common Transfer File may be at most 2 KB.")


# --- files that are not what they should be ---------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<SchoolCensus><Header/></SchoolCensus>", "not a Common Transfer File: its top element is <SchoolCensus>"),
        (b"<ATfile><Header/></ATfile>", "an admissions transfer file (ATF)"),
        (b"<CTfile><Header></CTfile>", "The file is not well-formed XML (mismatched tag: line 1"),
        (b"", "The file is not well-formed XML"),
        (b"<CTfile><Header/><CTFpupilData/></CTfile>", "The file has no pupils"),
        (b"<CTfile><Pupil>&nbsp;</Pupil></CTfile>", "The file is not well-formed XML (undefined entity"),
    ],
)
def test_a_file_that_is_not_a_ctf_says_what_it_is(content, message):
    [problem] = refusal(content)
    assert problem.message.startswith(message) or message in problem.message


def test_every_missing_or_wrong_value_is_reported_with_pupil_name_and_path():
    problems = refusal(data("ctf_missing_required.xml"))
    assert [(p.pupil, p.name, p.path.removeprefix("CTFpupilData/")) for p in problems] == [
        (1, "Green, Ella", "Pupil[1]/UPN"),
        (2, "Harry — A330215020002", "Pupil[2]/UPN"),
        (2, "Harry — A330215020002", "Pupil[2]/Surname"),
        (3, "Singh, Arjun — J330215020003", "Pupil[3]/DOB"),
        (3, "Singh, Arjun — J330215020003", "Pupil[3]/Sex"),
        (3, "Singh, Arjun — J330215020003", "Pupil[3]/BasicDetails/NCyearActual"),
        (5, "Brown, Isla — J330215021004", "Pupil[5]/UPN"),
        (6, "Taylor, Mia — Y330215022006", "Pupil[6]/DOB"),
        (6, "Taylor, Mia — Y330215022006", "Pupil[6]/FSMhistory/FSMinstance[1]/FSMstartDate"),
        (6, "Taylor, Mia — Y330215022006", "Pupil[6]/SENhistory/SEN/SENprovision"),
        (6, "Taylor, Mia — Y330215022006", "Pupil[6]/Contacts/Contact[1]/Surname"),
        (6, "Taylor, Mia — Y330215022006", "Pupil[6]/Contacts/Contact[1]/Responsibility"),
    ]
    messages = [p.message for p in problems]
    assert "the UPN is missing" in messages[0]
    assert "wrong check letter: it should start with V" in messages[1]
    assert messages[5] == "'15' is not a national curriculum year: use N1, N2, R, 1–14 or X"
    assert messages[6] == "UPN J330215021004 appears again: it is also pupil 4. Remove one of them."
    assert messages[7] == "'04/05/2019' is not a date in the form YYYY-MM-DD"
    assert str(problems[0]).startswith("pupil 1 (Green, Ella): CTFpupilData/Pupil[1]/UPN: the UPN is missing")
