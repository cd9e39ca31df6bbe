"""Who sees the reports: governors, trust leaders, the office team and the head do; teachers
and parents do not; a governor never sees a pupil's name."""

import pytest
from django.contrib.auth import get_user_model

from registers.models import Staff, Trust
from registers.selectors import total_figures
from tests.reports.conftest import DAYS, PERIOD, TODAY, make_staff

pytestmark = pytest.mark.django_db
URL = f"/reports/?period={PERIOD}"


def test_governor_sees_the_report_without_names(client, school, seeded, governor):
    client.force_login(governor.user)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Attendance report for governors" in html
    assert "Show the calculation" in html and "<details" in html
    for pupil in seeded:
        assert pupil.legal_surname not in html
        assert pupil.upn not in html
    # Year 5 has 4 pupils: shown as a dash with the note, never a figure.
    assert "fewer than 5 pupils" in html
    # The charts are inline SVG with no style attributes (CSP style-src 'self').
    assert "<svg" in html and 'style="' not in html and "<style" not in html


def test_head_and_office_see_the_report(client, school, seeded, head):
    # 15 pupils × 20 sessions; between them they miss 42 days (84 sessions): 72.0 % attendance
    figures = total_figures(school=school, date_from=DAYS[0], date_to=TODAY)
    assert (figures.possible, figures.absent) == (300, 84)
    office = make_staff(school, Staff.Position.OFFICE, "office")
    for staff in (head, office):
        client.force_login(staff.user)
        response = client.get(URL)
        assert response.status_code == 200
        html = response.content.decode()
        assert f'<p class="lead">{school.name} · Autumn term 2025/26</p>' in html
        assert '<div class="kpi-value">72.0%</div>' in html
        assert "100 − (84 ÷ 300 × 100) = 72.0%" in html
        assert all(p.legal_surname not in html for p in seeded)  # aggregates, even for the office


def test_teacher_is_refused_everything(client, school, seeded, teacher):
    client.force_login(teacher.user)
    for url in [URL, "/reports/analysis/", "/reports/exports/", "/reports/exports/pupils.csv", "/reports/trust/"]:
        assert client.get(url).status_code == 403, url


def test_parent_is_refused(client, school, seeded):
    parent = get_user_model().objects.create_user("parent", password="x")
    client.force_login(parent)
    assert client.get(URL).status_code == 403
    assert client.get("/reports/exports/pupils.csv").status_code == 403
    assert client.get("/reports/analysis/").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, school):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_governor_cannot_see_pupil_analysis_or_exports(client, school, seeded, governor):
    client.force_login(governor.user)
    assert client.get("/reports/analysis/").status_code == 403
    assert client.get("/reports/exports/pupils.csv").status_code == 403
    assert client.get("/reports/exports/census/").status_code == 403


def test_governor_of_another_school_is_refused(client, school, seeded):
    from tests.factories import make_school

    other = make_school(urn="100009", name="Other School", establishment_number="2009")
    stranger = make_staff(other, Staff.Position.GOVERNOR, "stranger")
    client.force_login(stranger.user)
    assert client.get(f"/reports/?school={school.pk}&period={PERIOD}").status_code == 403


def test_trust_leader_sees_the_trust_view(client, school, seeded):
    from tests.factories import StaffFactory, UserFactory

    trust = Trust.objects.create(name="Oak Trust")
    school.trust = trust
    school.save()
    leader = StaffFactory(user=UserFactory(username="leader"), trust=trust, position=Staff.Position.TRUST_LEADER)
    client.force_login(leader.user)
    response = client.get(f"/reports/trust/?period={PERIOD}")
    assert response.status_code == 200
    html = response.content.decode()
    assert school.name in html and "All schools" in html
    assert all(p.legal_surname not in html for p in seeded)
    assert client.get(f"/reports/?school={school.pk}&period={PERIOD}").status_code == 200


def test_leaders_analysis_drills_down_to_pupils(client, school, seeded, head):
    client.force_login(head.user)
    response = client.get(f"/reports/analysis/?period={PERIOD}&year=3&show=pa")
    assert response.status_code == 200
    html = response.content.decode()
    html = html[html.index('id="pupils-h"') : html.index("<h2>Lateness")]  # the drill-down table
    year3 = [p for p in seeded if p.year == 3]
    # Pupils 1–5 of Year 3 miss 1–5 days of 10: persistently absent; pupil 0 does not.
    assert all(p.legal_surname in html for p in year3[1:])
    assert year3[0].legal_surname + "," not in html


def test_pdf_renders(client, school, seeded, governor):
    client.force_login(governor.user)
    response = client.get(f"/reports/governors.pdf?period={PERIOD}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_administrators_edit_national_benchmarks_and_the_change_is_kept(client, school, head, governor):
    """National figures are shared by every school: a school's head may read them but only the
    service's administrators change them (one school cannot move every school's comparison)."""
    from reports.models import NationalBenchmark
    from tests.factories import UserFactory

    primary = NationalBenchmark.objects.get(academic_year="2023/24", phase="primary")
    client.force_login(governor.user)
    assert client.get("/reports/benchmarks/").status_code == 403
    client.force_login(head.user)
    page = client.get("/reports/benchmarks/")
    assert page.status_code == 200 and b"?edit=national:" not in page.content
    assert client.post(f"/reports/benchmarks/?edit=national:{primary.pk}", {"overall_absence": "1"}).status_code == 403
    primary.refresh_from_db()
    assert float(primary.overall_absence) != 1
    client.force_login(UserFactory(username="service-admin", is_superuser=True, is_staff=True))
    data = {
        "academic_year": "2023/24",
        "phase": "primary",
        "overall_absence": "5.4",
        "authorised_absence": "3.9",
        "unauthorised_absence": "1.5",
        "persistent_absence": "14.6",
        "severe_absence": "0.85",
        "source": "DfE revised figures",
    }
    response = client.post(f"/reports/benchmarks/?edit=national:{primary.pk}", data)
    assert response.status_code == 302
    primary.refresh_from_db()
    assert float(primary.overall_absence) == 5.4
    assert float(primary.history.first().overall_absence) == 5.4  # the change is in the history


def test_the_head_adds_the_schools_own_local_benchmark(client, school, head):
    from reports.models import LocalBenchmark

    client.force_login(head.user)
    data = {"label": "Our local authority", "academic_year": "2024/25", "phase": "primary", "overall_absence": "5.1"}
    assert client.post("/reports/benchmarks/?edit=local:", data).status_code == 302
    local = LocalBenchmark.objects.get(school=school)
    assert (local.label, float(local.overall_absence)) == ("Our local authority", 5.1)


def test_attendance_at_a_glance_is_the_home_page_of_governors_only(client, school, seeded, governor, head, teacher):
    client.force_login(governor.user)
    response = client.get("/", follow=True)
    assert response.redirect_chain == [("/reports/at-a-glance/", 302)]
    html = response.content.decode()
    assert "<h1>Attendance at a glance</h1>" in html
    assert 'aria-current="page">Home</a>' in html  # still their home in the menu
    assert "figures for fewer than 5 pupils are not shown" in html
    assert all(p.legal_surname not in html and p.upn not in html for p in seeded)
    for staff in (head, teacher):
        client.force_login(staff.user)
        assert client.get("/reports/at-a-glance/").status_code == 403
