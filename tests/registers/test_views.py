"""Staff pages: who sees what (every view, every role), constant queries on the pupil list,
the pupil page's figures, calendar strip and amendment history, and the read-only admin."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import capfirst

from registers.models import Contact, Mark, Pupil, Staff
from registers.services import Actor, MarkEntry, record_marks
from tests.factories import PupilFactory, StaffFactory, make_school, write

D = dt.date
P = Staff.Position
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
TODAY = D(2026, 11, 23)  # a Monday in the autumn term of 2026/27


@pytest.fixture(autouse=True)
def pinned_today(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 23, 10, 30, tzinfo=ZoneInfo("Europe/London")), tick=False)


@pytest.fixture
def other_school(db):
    return make_school(urn="100003", name="Birchwood Primary School", establishment_number="2002")


def member(school, position, *, groups=(), first_name="Sam", last_name=None, trust=None):
    staff = StaffFactory(school=school, trust=trust, position=position)
    if last_name:
        staff.user.first_name, staff.user.last_name = first_name, last_name
        staff.user.save()
    for group in groups:
        group.teachers.add(staff)
    return staff


def group(school, year):
    return school.groups.get(year=year)


def signed_in(client, user):
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def a_week(pupil, monday, codes):
    """{(date, session): code} for a Monday–Friday week from ten codes (AM, PM, AM, …)."""
    marks = {}
    for i, code in enumerate(codes):
        marks[(monday + dt.timedelta(days=i // 2), "AM" if i % 2 == 0 else "PM")] = code
    return marks


@pytest.fixture
def year3(school):
    """Two Year 3 pupils and one Year 4 pupil, with a week of marks each this term."""
    ada = PupilFactory(school=school, year=3, legal_forename="Ada", legal_surname="Lovelace")
    ben = PupilFactory(school=school, year=3, legal_forename="Ben", legal_surname="Okafor")
    cal = PupilFactory(school=school, year=4, legal_forename="Cal", legal_surname="Nguyen")
    write(school, ada, a_week(ada, D(2026, 11, 16), ["/", "\\"] * 5))
    write(school, ben, a_week(ben, D(2026, 11, 16), ["/", "\\", "I", "I", "/", "\\", "O", "O", "/", "\\"]))
    write(school, cal, a_week(cal, D(2026, 11, 16), ["/", "\\"] * 5))
    return {"ada": ada, "ben": ben, "cal": cal}


@pytest.fixture
def amended(school, year3):
    """Ben's Thursday morning: O from the import, changed by his teacher to L, then by the
    attendance officer to M, each with a reason."""
    ben = year3["ben"]
    office = member(school, P.ATTENDANCE_OFFICER, first_name="Priya", last_name="Shah")
    teacher = member(school, P.CLASS_TEACHER, groups=[ben.group], first_name="Tom", last_name="Reed")
    for staff, code, minutes, source, reason in [
        (teacher, "L", 10, Mark.Source.TEACHER, "Arrived at 9.10, signed in at the office"),
        (office, "M", None, Mark.Source.OFFICE, "Father phoned: dental appointment, letter seen"),
    ]:
        record_marks(
            school=school,
            entries=[MarkEntry(pupil_id=ben.id, date=D(2026, 11, 19), session="AM", code=code, minutes_late=minutes)],
            actor=Actor.for_user(staff.user),
            source=source,
            reason=reason,
        )
    return {"pupil": ben, "office": office, "teacher": teacher}


def text_of(response) -> str:
    return response.content.decode()


# --- anonymous --------------------------------------------------------------------------


@pytest.mark.parametrize("name,args", [("home", []), ("pupil-list", []), ("pupil-detail", [1])])
def test_anonymous_is_sent_to_sign_in(client, db, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- home, by role ----------------------------------------------------------------------


def test_teacher_home_goes_to_todays_registers(client, school, year3):
    teacher = member(school, P.CLASS_TEACHER, groups=[group(school, 3)])
    response = signed_in(client, teacher.user).get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("registers:today")


def test_teacher_home_without_register_pages_lists_their_groups(client, school, year3, monkeypatch):
    teacher = member(school, P.FORM_TUTOR, groups=[group(school, 3)])
    monkeypatch.setattr("registers.views.url_or_none", lambda name, *a: None)
    response = signed_in(client, teacher.user).get(reverse("home"))
    page = text_of(response)
    assert response.status_code == 200
    assert "Year 3" in page
    assert reverse("pupil-detail", args=[year3["ada"].pk]) in page
    assert "Lovelace" in page and "Okafor" in page
    assert "Nguyen" not in page  # Year 4 is not theirs


def test_office_home_has_pupil_search_and_school_figures(client, school, year3):
    office = member(school, P.OFFICE)
    response = signed_in(client, office.user).get(reverse("home"))
    page = text_of(response)
    assert response.status_code == 200
    assert f'action="{reverse("pupil-list")}"' in page
    assert '<label for="home-search">Find a pupil</label>' in page
    # 30 possible sessions, 4 absent (2 I, 2 O): attendance 86.7 %
    assert "86.7%" in page


def test_governor_home_shows_school_figures_and_never_a_pupil_name(client, school, year3):
    more = [PupilFactory(school=school, legal_forename="Dee", legal_surname=f"Zed{i}") for i in range(3)]
    for pupil in more:
        write(school, pupil, a_week(pupil, D(2026, 11, 16), ["/", "\\"] * 5))
    governor = member(school, P.GOVERNOR)
    response = signed_in(client, governor.user).get(reverse("home"), follow=True)
    page = text_of(response)
    assert response.redirect_chain == [(reverse("reports:at-a-glance"), 302)]  # figures only: the reports app
    assert response.status_code == 200
    # 60 possible, 4 absent → 93.3 % attendance; 2 authorised (3.3 %), 2 unauthorised (3.3 %)
    assert "93.3%" in page and "3.3%" in page
    # one persistently absent pupil of six: the tile hides the count, as the report does (issue 16)
    assert re.search(r'class="suppressed"[^>]*>–.*?</div><div class="label">Pupils persistently absent', page)
    assert not re.search(r'<div class="value">1</div><div class="label">Pupils persistently absent', page)
    for pupil in [*year3.values(), *more]:
        assert pupil.legal_surname not in page and pupil.upn not in page
    assert "pupils/" not in page.split("<main", 1)[1]  # no link to any pupil page


def test_governor_figures_for_a_tiny_cohort_are_suppressed(client, school, year3):
    governor = member(school, P.GOVERNOR)
    page = text_of(signed_in(client, governor.user).get(reverse("home"), follow=True))
    assert "Too few pupils" in page
    assert "86.7%" not in page


def test_trust_leader_sees_each_trust_school(client, school, other_school, year3):
    from registers.models import Trust

    trust = Trust.objects.create(name="Oak Learning Trust")
    for s in (school, other_school):
        s.trust = trust
        s.save()
    leader = StaffFactory(school=None, trust=trust, position=P.TRUST_LEADER)
    page = text_of(signed_in(client, leader.user).get(reverse("home"), follow=True))
    assert "Oakfield Primary School" in page and "Birchwood Primary School" in page
    assert "Lovelace" not in page


def test_user_without_staff_record_gets_admin_and_pupil_list_links(client, school):
    admin = get_user_model().objects.create_superuser("head-admin", "admin@example.org", "correct horse battery")
    page = text_of(signed_in(client, admin).get(reverse("home")))
    assert reverse("admin:index") in page and reverse("pupil-list") in page


def test_user_without_staff_record_and_no_rights_sees_no_pupils(client, school, year3):
    user = get_user_model().objects.create_user("nobody", password="correct horse battery")
    client = signed_in(client, user)
    page = text_of(client.get(reverse("home")))
    assert "not linked to a member of staff" in page
    assert client.get(reverse("pupil-list")).status_code == 403
    assert client.get(reverse("pupil-detail", args=[year3["ada"].pk])).status_code == 404


# --- the pupil list ---------------------------------------------------------------------


def test_office_sees_the_whole_school_and_only_their_school(client, school, other_school, year3):
    stranger = PupilFactory(school=other_school, legal_surname="Elsewhere")
    office = member(school, P.ATTENDANCE_OFFICER)
    page = text_of(signed_in(client, office.user).get(reverse("pupil-list")))
    for pupil in year3.values():
        assert pupil.legal_surname in page
    assert "Elsewhere" not in page and stranger.upn not in page
    assert "100.0%" in page and "60.0%" in page  # Ada 100 %, Ben 6 of 10 sessions
    assert '<span class="badge bad">SA</span>' not in page and '<span class="badge warn">PA</span>' in page


def test_teacher_sees_only_their_groups_pupils(client, school, year3):
    teacher = member(school, P.CLASS_TEACHER, groups=[group(school, 4)])
    page = text_of(signed_in(client, teacher.user).get(reverse("pupil-list")))
    assert "Nguyen" in page
    assert "Lovelace" not in page and "Okafor" not in page


def test_governor_cannot_open_the_pupil_list(client, school, year3):
    governor = member(school, P.GOVERNOR)
    response = signed_in(client, governor.user).get(reverse("pupil-list"))
    assert response.status_code == 403
    assert "Lovelace" not in text_of(response)


def test_search_by_name_or_upn_and_filter_by_year_and_group(client, school, year3):
    client = signed_in(client, member(school, P.OFFICE).user)
    url = reverse("pupil-list")
    page = text_of(client.get(url, {"q": "love"}))
    assert "Lovelace" in page and "Okafor" not in page
    page = text_of(client.get(url, {"q": "ben okaf"}))
    assert "Okafor" in page and "Lovelace" not in page
    page = text_of(client.get(url, {"q": year3["cal"].upn.lower()}))
    assert "Nguyen" in page and "Lovelace" not in page
    page = text_of(client.get(url, {"year": "4"}))
    assert "Nguyen" in page and "Okafor" not in page
    page = text_of(client.get(url, {"group": group(school, 3).pk}))
    assert "Okafor" in page and "Nguyen" not in page


def test_leavers_are_listed_only_when_asked(client, school, year3):
    PupilFactory(school=school, legal_surname="Gone", on_roll=(D(2024, 9, 1), D(2025, 7, 22)))
    client = signed_in(client, member(school, P.OFFICE).user)
    assert "Gone" not in text_of(client.get(reverse("pupil-list")))
    assert "Gone" in text_of(client.get(reverse("pupil-list"), {"left": "on"}))


def test_a_teacher_cannot_filter_their_way_to_another_group(client, school, year3):
    teacher = member(school, P.CLASS_TEACHER, groups=[group(school, 4)])
    page = text_of(signed_in(client, teacher.user).get(reverse("pupil-list"), {"year": "3"}))
    assert "Lovelace" not in page and "Okafor" not in page


def _list_queries(client, school, count):
    for i in range(count):
        pupil = PupilFactory(school=school, legal_surname=f"Many{i:02d}")
        write(school, pupil, a_week(pupil, D(2026, 11, 16), ["/", "\\", "I", "I", "/", "\\", "/", "\\", "/", "\\"]))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("pupil-list"))
    assert response.status_code == 200
    assert len(re.findall(r'href="/pupils/\d+/"', text_of(response))) == Pupil.objects.filter(school=school).count()
    return len(queries)


def test_pupil_list_queries_do_not_grow_with_the_number_of_pupils(client, school):
    client = signed_in(client, member(school, P.OFFICE).user)
    five = _list_queries(client, school, 5)
    thirty_five = _list_queries(client, school, 30)
    assert five == thirty_five
    assert five <= 12


# --- the pupil page ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "position,teaches,status",
    [
        (P.OFFICE, False, 200),
        (P.ATTENDANCE_OFFICER, False, 200),
        (P.HEADTEACHER, False, 200),
        (P.CLASS_TEACHER, True, 200),
        (P.CLASS_TEACHER, False, 404),
        (P.FORM_TUTOR, False, 404),
        (P.GOVERNOR, False, 404),
        (P.TRUST_LEADER, False, 404),
    ],
)
def test_pupil_page_permissions_by_role(client, school, year3, position, teaches, status):
    pupil = year3["ben"]
    staff = member(school, position, groups=[pupil.group] if teaches else [])
    response = signed_in(client, staff.user).get(reverse("pupil-detail", args=[pupil.pk]))
    assert response.status_code == status
    if status == 404:
        assert "Okafor" not in text_of(response)


@pytest.mark.parametrize("position", [P.OFFICE, P.ATTENDANCE_OFFICER, P.CLASS_TEACHER, P.HEADTEACHER])
def test_staff_of_another_school_get_404(client, school, other_school, year3, position):
    staff = member(other_school, position, groups=list(other_school.groups.all()))
    response = signed_in(client, staff.user).get(reverse("pupil-detail", args=[year3["ben"].pk]))
    assert response.status_code == 404


def test_a_pupil_that_does_not_exist_is_404_too(client, school):
    response = signed_in(client, member(school, P.OFFICE).user).get(reverse("pupil-detail", args=[999999]))
    assert response.status_code == 404


def test_superuser_sees_any_pupil(client, school, year3):
    ben = year3["ben"]
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "correct horse battery")
    response = signed_in(client, admin).get(reverse("pupil-detail", args=[ben.pk]))
    assert response.status_code == 200
    page = text_of(response)
    # Ben's page, with Ben's figures: 10 possible sessions, 2 I and 2 O → 60.0 % attendance
    assert "<h1>Ben Okafor" in page and f'<span class="upn">{ben.upn}</span>' in page
    assert '<div class="value">10</div><div class="label">Possible sessions</div>' in page
    assert '<div class="value">60.0%</div><div class="label">Attendance</div>' in page
    assert "Persistent absence: 10% or more" in page
    assert "Lovelace" not in page and year3["ada"].upn not in page  # nobody else's


def test_pupil_page_figures_for_this_year_to_date(client, school, year3):
    ben = year3["ben"]
    write(school, ben, [(D(2026, 11, 23), "AM", "L", 12), (D(2026, 11, 9), "AM", "U", 40)])
    # last academic year's absence does not count this year
    write(school, ben, {(D(2026, 3, 2), "AM"): "O"})
    page = text_of(signed_in(client, member(school, P.OFFICE).user).get(reverse("pupil-detail", args=[ben.pk])))
    figures = dict(re.findall(r'<div class="value">([^<]+)</div><div class="label">([^<(]+)', page))
    # 12 possible: absent 2 I + 2 O + 1 U = 5 → 58.3 % attendance
    assert figures["12"].strip() == "Possible sessions"
    assert "58.3%" in figures and figures["58.3%"] == "Attendance"
    assert figures["16.7%"].strip() == "Authorised absence"
    assert figures["25.0%"].strip() == "Unauthorised absence"
    assert figures["52"] == "Minutes late in all"
    assert "Severe absence" not in page and "Persistent absence: 10% or more" in page


def test_calendar_strip_prints_every_code_with_its_meaning_and_skips_non_school_days(client, school, year3):
    ben = year3["ben"]
    page = text_of(signed_in(client, member(school, P.OFFICE).user).get(reverse("pupil-detail", args=[ben.pk])))
    assert "Autumn term 2026/27" in page
    assert 'title="Tue 17 Nov AM: I – Illness (not medical or dental appointment)"' in page
    assert re.search(
        r'<span class="mark unauthorised_absence" title="Thu 19 Nov AM: O[^"]*">'
        r'<span class="visually-hidden">AM </span>O</span>',
        page,
    )
    assert '<th scope="row">16 Nov</th>' in page
    assert '<th scope="row">26 Oct</th>' not in page  # half-term week: no school days
    assert '<th scope="row">24 Aug</th>' not in page  # the summer holiday
    # the first week starts on Thursday 3 September: Monday to Wednesday are blank
    first_week = page.split('<th scope="row">31 Aug</th>', 1)[1].split("</tr>", 1)[0]
    assert first_week.count('class="no-school"') == 3
    assert 'style="' not in page and "<script" not in page  # CSP: nothing inline


def test_history_shows_original_amendment_reason_name_and_position(client, school, amended):
    pupil = amended["pupil"]
    client = signed_in(client, amended["office"].user)
    page = text_of(client.get(reverse("pupil-detail", args=[pupil.pk])))
    history = page.split('id="history-heading"', 1)[1]
    mark = Mark.objects.get(pupil=pupil, date=D(2026, 11, 19), session="AM")
    assert f'id="mark-{mark.pk}"' in history
    assert "Thursday 19 November 2026, morning (AM)" in history
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", history, re.S)
    assert [r.split("</th>")[0] for r in rows] == ["Original entry", "Amendment 1", "Amendment 2"]
    assert ">O</span>" in rows[0] and "Test suite" in rows[0] and "Data import" in rows[0]
    assert ">L</span>" in rows[1] and "(10 min late)" in rows[1]
    assert "Ms Tom Reed" in rows[1] and "Class teacher" in rows[1]
    assert "Arrived at 9.10, signed in at the office" in rows[1]
    assert ">M</span>" in rows[2] and "Ms Priya Shah" in rows[2] and "Attendance officer" in rows[2]
    assert "Father phoned: dental appointment, letter seen" in rows[2]
    assert "23 Nov 2026, 10:30" in rows[2]
    # the strip links the amended mark to its history
    assert f'href="#mark-{mark.pk}"' in page


def test_teacher_sees_history_but_not_characteristics_or_contacts(client, school, amended):
    pupil = amended["pupil"]
    Contact.objects.create(
        pupil=pupil, forename="Kemi", surname="Okafor", relationship="Mother", telephone="07700 900123"
    )
    pupil.fsm = True
    pupil.save()
    teacher = member(school, P.CLASS_TEACHER, groups=[pupil.group])
    page = text_of(signed_in(client, teacher.user).get(reverse("pupil-detail", args=[pupil.pk])))
    assert "Father phoned" in page
    assert "Characteristics" not in page and "FSM" not in page
    assert "07700 900123" not in page and "Kemi" not in page

    office = text_of(signed_in(client, amended["office"].user).get(reverse("pupil-detail", args=[pupil.pk])))
    assert "Characteristics" in office and "FSM eligible" in office
    assert "07700 900123" in office and "Kemi" in office


def test_pupil_pages_have_no_inline_styles_or_scripts(client, school, amended):
    client = signed_in(client, amended["office"].user)
    for url in (reverse("home"), reverse("pupil-list"), reverse("pupil-detail", args=[amended["pupil"].pk])):
        page = text_of(client.get(url))
        assert 'style="' not in page and "<script" not in page, url


# --- the admin ------------------------------------------------------------------------------


@pytest.fixture
def admin_client_(client, db):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "correct horse battery")
    return signed_in(client, admin)


def test_every_registers_model_is_in_the_admin(admin_client_, school, amended):
    from django.apps import apps
    from django.contrib import admin

    for model in apps.get_app_config("registers").get_models():
        if model.__name__.startswith("Historical"):
            continue
        assert model in admin.site._registry, model
        opts = model._meta
        response = admin_client_.get(reverse(f"admin:registers_{opts.model_name}_changelist"))
        assert response.status_code == 200, opts.model_name
        # the model's own list, not a page that happens to answer: its name in the title and crumbs
        page = response.content.decode()
        plural = escape(capfirst(opts.verbose_name_plural))
        assert f"&rsaquo; {plural}" in page and escape(opts.verbose_name) in page, opts.model_name


def test_marks_and_registers_are_view_only_in_the_admin(admin_client_, school, amended):
    mark = Mark.objects.get(pupil=amended["pupil"], date=D(2026, 11, 19), session="AM")
    assert admin_client_.get(reverse("admin:registers_mark_add")).status_code == 403
    assert admin_client_.get(reverse("admin:registers_mark_delete", args=[mark.pk])).status_code == 403
    change = admin_client_.get(reverse("admin:registers_mark_change", args=[mark.pk]))
    assert change.status_code == 200 and 'name="_save"' not in text_of(change)
    response = admin_client_.post(reverse("admin:registers_mark_change", args=[mark.pk]), {"comment": "hacked"})
    assert response.status_code == 403
    mark.refresh_from_db()
    assert mark.code.code == "M" and mark.comment == ""
    assert admin_client_.get(reverse("admin:registers_register_add")).status_code == 403
    assert admin_client_.get(reverse("admin:registers_attendancecode_add")).status_code == 403


def test_history_is_visible_and_cannot_be_reverted(admin_client_, school, amended):
    mark = Mark.objects.get(pupil=amended["pupil"], date=D(2026, 11, 19), session="AM")
    history = admin_client_.get(reverse("admin:registers_mark_history", args=[mark.pk]))
    assert history.status_code == 200
    assert "Father phoned: dental appointment" in text_of(history)
    first = mark.history.order_by("history_id").first()
    version = admin_client_.get(reverse("admin:registers_mark_simple_history", args=[mark.pk, first.history_id]))
    assert version.status_code == 200 and "Revert" not in text_of(version)
    # a revert posted straight at a version of a record that can be changed is refused too
    pupil = amended["pupil"]
    original = pupil.history.order_by("history_id").first()
    url = reverse("admin:registers_pupil_simple_history", args=[pupil.pk, original.history_id])
    assert admin_client_.post(url, {"legal_surname": "Reverted"}).status_code == 403
    pupil.refresh_from_db()
    assert pupil.legal_surname == "Okafor"


def test_nothing_kept_for_six_years_can_be_deleted_in_the_admin(admin_client_, school, amended):
    pupil = amended["pupil"]
    enrolment = pupil.enrolments.first()
    assert admin_client_.get(reverse("admin:registers_pupil_delete", args=[pupil.pk])).status_code == 403
    assert admin_client_.get(reverse("admin:registers_enrolment_delete", args=[enrolment.pk])).status_code == 403
    changelist = text_of(admin_client_.get(reverse("admin:registers_pupil_changelist")))
    assert "delete_selected" not in changelist
    change = text_of(admin_client_.get(reverse("admin:registers_pupil_change", args=[pupil.pk])))
    assert "enrolments-0-DELETE" not in change
    group_page = text_of(admin_client_.get(reverse("admin:registers_registrationgroup_change", args=[pupil.group_id])))
    assert "selectfilter" in group_page.lower()


def test_attendance_officer_lands_on_the_dashboard(client, school):
    officer = member(school, P.ATTENDANCE_OFFICER)
    response = signed_in(client, officer.user).get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("interventions:dashboard")


@pytest.mark.parametrize("chosen", ["\u00b2", "1" + "0" * 30])
def test_an_administrators_school_choice_that_is_not_an_id_falls_back_not_a_server_error(admin_client, school, chosen):
    response = admin_client.get(reverse("pupil-list"), {"school": chosen})
    assert response.status_code == 200
