"""Merge fields: the figures come from registers.selectors (so they agree with the pupil page),
for all pupils at once; learning lost, pronouns, salutations and households follow stated rules."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from absences.models import LeaveRequest
from interventions.models import Case, LadderStage, Policy
from interventions.services import issue_notice_to_improve, load_policy_preset, open_case, set_stage
from letters.fields.addressees import salutation
from letters.fields.catalogue import CATALOGUE
from letters.fields.data import OptionError, build_letters
from letters.fields.formatting import date_value, halves, learning_lost, pronouns, to_plain
from letters.fields.sample import sample_data
from letters.fields.stored import hydrate, value_at
from registers.calendar import academic_year_for
from registers.selectors import penalty_threshold, pupil_figures
from tests.factories import PupilFactory, write
from tests.letters.conftest import ON, add_contact, present_every_day, school_days

D = dt.date
ALL = {f.name for f in CATALOGUE}


# --- rules on their own -------------------------------------------------------------------


@pytest.mark.parametrize(
    "sessions, days, hours",
    [
        (0, "0 days", "0 hours"),
        (1, "½ day", "3½ hours"),  # 195 minutes = 3 h 15 min: the half hour above
        (2, "1 day", "6½ hours"),
        (3, "1½ days", "10 hours"),  # 585 minutes = 9 h 45 min
        (10, "5 days", "32½ hours"),
        (15, "7½ days", "49 hours"),  # 2,925 minutes = 48 h 45 min
    ],
)
def test_learning_lost_is_half_a_day_per_session_and_hours_from_the_school_day(sessions, days, hours):
    lost = learning_lost(sessions, 0, 390)
    assert (lost["sessions"], lost["days"], lost["hours"]) == (sessions, days, hours)


def test_learning_lost_hours_follow_the_schools_day_length_and_lateness_is_separate():
    assert learning_lost(4, 0, 360)["hours"] == "12 hours"  # a 6-hour day: 3 hours a session
    assert learning_lost(4, 0, 420)["hours"] == "14 hours"
    lost = learning_lost(4, 35, 390)
    assert lost["minutes_late"] == "35 minutes" and lost["hours"] == "13 hours"  # not added to the hours
    assert learning_lost(0, 1, 390)["minutes_late"] == "1 minute"


def test_halves():
    assert [halves(n, "day") for n in (0, 1, 2, 3, 4, 5)] == [
        "0 days",
        "½ day",
        "1 day",
        "1½ days",
        "2 days",
        "2½ days",
    ]


class P:
    def __init__(self, pronoun, forename="Sam"):
        self.pronoun, self.preferred_forename, self.legal_forename = pronoun, forename, forename


@pytest.mark.parametrize(
    "pronoun, expected",
    [
        ("she/her", ("she", "her", "her", "she is")),
        ("he/him", ("he", "him", "his", "he is")),
        ("They/Them", ("they", "them", "their", "they are")),
        ("", ("they", "them", "their", "they are")),
        ("xe/xem/xyr", ("xe", "xem", "xyr", "xe is")),
        ("ze/zir", ("ze", "zir", "Sam’s", "ze is")),
        ("name", ("Sam", "Sam", "Sam’s", "Sam is")),
    ],
)
def test_pronouns(pronoun, expected):
    p = pronouns(P(pronoun))
    assert (p["they"], p["them"], p["their"], p["they_are"]) == expected


def test_possessive_of_a_name_ending_in_s():
    assert pronouns(P("use name", forename="Jess"))["their"] == "Jess’"


def test_salutation(db):
    class C:
        def __init__(self, title, forename, surname):
            self.title, self.forename, self.surname = title, forename, surname

    assert salutation([C("Mrs", "Grace", "Okafor"), C("Mr", "David", "Okafor")]) == "Mrs and Mr Okafor"
    assert salutation([C("Ms", "Ann", "Jones"), C("Mr", "Raj", "Patel")]) == "Ms Jones and Mr Patel"
    assert salutation([C("", "Grace", "Okafor")]) == "Grace Okafor"
    assert salutation([]) == "Parent or Carer"


def test_dates_survive_storage_and_come_back_as_dates():
    stored = to_plain({"letter": {"date": date_value(ON)}, "x": [date_value(ON, "D j M")]})
    assert stored == {
        "letter": {"date": {"$date": "2026-11-23", "fmt": "j F Y"}},
        "x": [{"$date": "2026-11-23", "fmt": "D j M"}],
    }
    values = hydrate(stored, logo_src=None)
    assert values["letter"]["date"] == "23 November 2026" and values["letter"]["date"].date == ON
    assert values["x"][0] == "Mon 23 Nov"


# --- data from the database ---------------------------------------------------------------


def test_figures_are_the_selectors_figures_for_year_term_and_since(pupil, letters_school):
    school = letters_school
    # last summer term, then this autumn term with illness, unauthorised absence and lateness
    present_every_day(school, pupil, D(2026, 6, 1), D(2026, 7, 22), {(D(2026, 6, 2), "AM"): "O"})
    present_every_day(
        school,
        pupil,
        D(2026, 9, 3),
        D(2026, 11, 20),
        {
            (D(2026, 9, 10), "AM"): "I",
            (D(2026, 9, 10), "PM"): "I",
            (D(2026, 11, 3), "AM"): "O",
            (D(2026, 11, 17), "AM"): ("L", 12),
            (D(2026, 11, 18), "AM"): ("U", 40),
        },
    )
    since = D(2026, 11, 2)
    [item] = build_letters(school=school, pupils=[pupil], on=ON, fields=ALL, options={"since": since})
    data = item.data
    start = academic_year_for(school, ON).start_date  # as on the pupil page
    year = pupil_figures(school=school, date_from=start, date_to=ON, pupils=[pupil.pk], include_subsidiary=True)
    year = year[pupil.pk]
    assert data["attendance"]["year"]["possible"] == year.possible
    assert data["attendance"]["year"]["missed"] == year.absent == 4
    assert data["attendance"]["year"]["percent"] == f"{year.attendance_percent:.1f}%"
    assert data["attendance"]["year"]["from"] == {"$date": start.isoformat(), "fmt": "j F Y"}
    assert data["attendance"]["term"]["from"]["$date"] == "2026-09-03"
    assert data["attendance"]["term"]["missed"] == 4
    # since 2 November: the O, and the U (an absence); the L is attendance but late
    since_figures = data["attendance"]["since"]
    assert (since_figures["missed"], since_figures["unauthorised"], since_figures["late"]) == (2, 2, 2)
    assert since_figures["possible"] == 2 * len(school_days(school, since, D(2026, 11, 20)))
    assert data["learning_lost"]["since"]["minutes_late"] == "52 minutes"
    assert data["learning_lost"]["year"]["days"] == "2 days"


def test_the_since_date_is_needed_and_must_not_be_after_the_letter(pupil, letters_school):
    with pytest.raises(OptionError) as caught:
        build_letters(school=letters_school, pupils=[pupil], on=ON, fields={"attendance.since.percent"})
    assert caught.value.option == "since"
    with pytest.raises(OptionError):
        build_letters(
            school=letters_school,
            pupils=[pupil],
            on=ON,
            fields={"attendance.since.percent"},
            options={"since": "2026-12-01"},
        )


def test_figures_for_a_batch_take_the_same_queries_for_3_or_12_pupils(letters_school):
    school = letters_school
    pupils = []
    for n in range(12):
        p = PupilFactory(school=school, legal_surname=f"Many{n}")
        add_contact(p, address=f"{n} Lane\nMiddleton")
        write(school, p, {(d, "AM"): "O" if n % 3 == 0 else "/" for d in school_days(school, D(2026, 11, 2), ON)})
        pupils.append(p)
    wanted = ALL - {n for n in ALL if n.startswith(("leave.", "attendance.since", "learning_lost.since"))}

    def queries(group):
        with CaptureQueriesContext(connection) as captured:
            build_letters(school=school, pupils=group, on=ON, fields=wanted)
        return len(captured.captured_queries)

    queries(pupils[:3])  # warm the letterhead and calendar
    assert queries(pupils[:3]) == queries(pupils)


def test_address_block_and_salutation_address_everyone_the_pupil_lives_with(pupil, letters_school):
    [item] = build_letters(school=letters_school, pupils=[pupil], on=ON, fields={"parent.salutation"})
    assert item.data["parent"]["salutation"] == "Mrs and Mr Okafor"
    assert item.data["parent"]["names"] == "Mrs Grace Okafor and Mr David Okafor"
    assert item.data["parent"]["_lines"] == ["Mrs G Okafor and Mr D Okafor", "14 Mill Lane", "Middleton", "MD1 2QT"]
    block = hydrate(item.data, logo_src=None)["parent"]["address_block"]
    assert block == ('<p class="address-block">Mrs G Okafor and Mr D Okafor\n14 Mill Lane\nMiddleton\nMD1 2QT</p>')
    assert [c.forename for c in item.contacts] == ["Grace", "David"]


def test_a_named_contact_alone_and_separate_households_get_their_own_letters(pupil, letters_school):
    elsewhere = add_contact(
        pupil,
        title="Ms",
        forename="Ann",
        surname="Jones",
        address="2 Far Road\nElsewhere",
        postcode="EL1 1AA",
        email="ann@example.com",
        priority=3,
    )
    add_contact(pupil, title="Mr", forename="Not", surname="Resident", lives_with_pupil=False, priority=4)
    items = build_letters(school=letters_school, pupils=[pupil], on=ON, fields={"parent.salutation"})
    assert [i.data["parent"]["salutation"] for i in items] == ["Mrs and Mr Okafor", "Ms Jones"]
    assert len({i.household for i in items}) == 2
    [named] = build_letters(
        school=letters_school, pupils=[pupil], on=ON, fields={"parent.salutation"}, contacts={pupil.pk: elsewhere}
    )
    assert named.data["parent"]["salutation"] == "Ms Jones" and named.contacts == [elsewhere]


def test_a_pupil_with_no_one_to_write_to_is_named_with_the_field(letters_school):
    lonely = PupilFactory(school=letters_school, legal_forename="Kit", legal_surname="Nobody")
    add_contact(lonely, lives_with_pupil=False)
    [item] = build_letters(school=letters_school, pupils=[lonely], on=ON, fields={"parent.salutation"})
    assert item.data is None and item.error_field == "parent.address" and "Kit Nobody" in item.error


def test_data_is_escaped_in_the_html_fields(pupil, letters_school):
    contact = pupil.contacts.get(forename="Grace")
    contact.address = "<script>alert(1)</script>\nMiddleton"
    contact.save()
    item = build_letters(school=letters_school, pupils=[pupil], on=ON, fields={"parent.address_block"})[0]
    block = hydrate(item.data, logo_src=None)["parent"]["address_block"]
    assert "<script>" not in block and "&lt;script&gt;alert(1)&lt;/script&gt;" in block


def test_marks_table_for_a_period(pupil, letters_school):
    present_every_day(letters_school, pupil, D(2026, 11, 16), D(2026, 11, 20), {(D(2026, 11, 17), "AM"): ("L", 7)})
    [item] = build_letters(
        school=letters_school,
        pupils=[pupil],
        on=ON,
        fields={"marks.table"},
        options={"period_from": "2026-11-16", "period_to": "2026-11-18"},
    )
    rows = item.data["marks"]["rows"]
    assert [r["date"]["$date"] for r in rows] == ["2026-11-16", "2026-11-17", "2026-11-18"]
    assert rows[1]["morning"] == "L Late (7 min)" and rows[0]["afternoon"] == "\\ Present"
    table = hydrate(item.data, logo_src=None)["marks"]["table"]
    assert table.count("<tr>") == 4 and "Tue 17 Nov" in table


def test_marks_table_defaults_to_the_ten_school_days_before_the_letter(pupil, letters_school):
    [item] = build_letters(school=letters_school, pupils=[pupil], on=ON, fields={"marks.table"})
    assert item.data["marks"]["from"]["$date"] == "2026-11-09" and item.data["marks"]["to"]["$date"] == "2026-11-20"
    assert len(item.data["marks"]["rows"]) == 10


def test_penalty_fields_use_the_threshold_selector_and_the_national_amounts(pupil, letters_school):
    school = letters_school
    load_policy_preset(school=school, preset="B")
    days = school_days(school, D(2026, 11, 9), D(2026, 11, 13))
    write(school, pupil, {(d, s): "G" for d in days[:3] for s in ("AM", "PM")})
    [item] = build_letters(school=school, pupils=[pupil], on=ON, fields={"penalty.unauthorised_sessions"})
    penalty = item.data["penalty"]
    [row] = penalty_threshold(school=school, on=ON, sessions=1, pupils=[pupil.pk])
    assert penalty["unauthorised_sessions"] == row.unauthorised_sessions == 6
    assert penalty["window_from"]["$date"] == row.window_start.isoformat()
    assert (penalty["threshold_sessions"], penalty["threshold_weeks"]) == (10, 10)
    assert (penalty["first_reduced"], penalty["first_full"], penalty["second"]) == ("£80", "£160", "£160")


def test_case_and_notice_to_improve_fields(pupil, letters_school, officer):
    case = open_case(pupil=pupil, on=D(2026, 10, 1), owner=officer)
    policy = Policy.objects.create(school=letters_school, name="P")
    set_stage(case=case, stage=LadderStage.objects.create(policy=policy, order=2, name="Concern letter"), on=ON)
    issue_notice_to_improve(
        case=case,
        parent=pupil.contacts.first(),
        issued_on=D(2026, 11, 16),
        weeks=4,
        record_summary="22 sessions missed.",
        support_offered="Breakfast club.",
        sufficient_improvement="No unauthorised absence.",
    )
    [item] = build_letters(school=letters_school, pupils=[pupil], on=ON, fields={"case.stage", "improvement.weeks"})
    assert item.data["case"] == {
        "stage": "Concern letter",
        "opened_on": {"$date": "2026-10-01", "fmt": "j F Y"},
        "owner": "Mrs Jan Patel",
    }
    improvement = item.data["improvement"]
    assert improvement["weeks"] == 4 and improvement["ends"]["$date"] == "2026-12-14"
    assert improvement["support_offered"] == "Breakfast club."
    assert Case.objects.get(pk=case.pk).stage.name == "Concern letter"


def test_improvement_period_from_the_options_when_there_is_no_notice(pupil, letters_school):
    [item] = build_letters(
        school=letters_school, pupils=[pupil], on=ON, fields={"improvement.ends"}, options={"improvement_weeks": "3"}
    )
    assert item.data["improvement"]["ends"]["$date"] == "2026-12-14"
    with pytest.raises(OptionError):
        build_letters(
            school=letters_school, pupils=[pupil], on=ON, fields={"improvement.ends"}, options={"improvement_weeks": 8}
        )


def test_meeting_fields_from_the_options(pupil, letters_school):
    [item] = build_letters(
        school=letters_school,
        pupils=[pupil],
        on=ON,
        fields={"meeting.date"},
        options={"meeting_date": "2026-12-03", "meeting_time": "15:30", "meeting_place": "the library"},
    )
    values = hydrate(item.data, logo_src=None)["meeting"]
    assert (values["date"], values["time"], values["place"]) == ("Thursday 3 December 2026", "3:30pm", "the library")


def test_leave_fields_come_from_the_absences_context(pupil, letters_school, officer):
    import uuid

    request = LeaveRequest.objects.create(
        school=letters_school,
        pupil=pupil,
        contact=pupil.contacts.first(),
        submitted_by=officer.user,
        submission_key=uuid.uuid4(),
        circumstance=LeaveRequest.Circumstance.EXCEPTIONAL,
        reason="Funeral",
        start_date=D(2027, 1, 11),
        end_date=D(2027, 1, 13),
        status=LeaveRequest.Status.GRANTED,
        granted_start_date=D(2027, 1, 11),
        granted_start_session="AM",
        granted_end_date=D(2027, 1, 12),
        granted_end_session="PM",
        decision_reason="Two days granted.",
        decided_by_name="Mrs H Whitfield",
        decided_by_position="Headteacher",
    )
    [item] = build_letters(school=letters_school, pupils=[pupil], on=ON, fields={"leave.decision"})
    leave = item.data["leave"]
    assert leave["decision"] == "Granted" and leave["granted_period"] == "Mon 11 Jan 2027 to Tue 12 Jan 2027"
    assert leave["reason"] == "Two days granted." and item.leave_request == request


def test_sample_data_covers_every_field(letters_school):
    values = hydrate(to_plain(sample_data(letters_school, ON)), logo_src=None)
    for f in CATALOGUE:
        if f.required and f.kind not in ("html",):
            assert value_at(values, f.name) not in (None, ""), f.name
