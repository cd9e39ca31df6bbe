"""Attacks on the figures governors and trust leaders read (issue 16, disclosure): each test
tries what a curious governor would try, through the page, the home page tiles, the API and
the PDF. A school of 13 pupils: Year 3 has 6, Year 4 has 5, Year 5 has 2; one Year 5 boy is
severely absent, everyone else attends every session."""

import datetime as dt
import re
import subprocess
from html.parser import HTMLParser

import pytest
import time_machine
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from registers.models import Contact, Staff, Trust
from tests.factories import PupilFactory, StaffFactory, UserFactory, make_school, write
from tests.reports.conftest import DAYS, PERIOD, TODAY, make_staff

pytestmark = pytest.mark.django_db
DATES = {"date_from": DAYS[0].isoformat(), "date_to": TODAY.isoformat()}
INTERNAL_NAMES = re.compile(r"\b[\w/-]+\.(?:md|py|txt|yaml|toml)\b|\bRULES\b|\bDESIGN\b|\bSTYLE\.")


@pytest.fixture
def small_school(school):
    pupils = []
    for i, year in enumerate([3] * 6 + [4] * 5 + [5] * 2):
        pupil = PupilFactory(school=school, year=year, sex="M" if i == 12 else "F" if i % 2 else "M")
        severe = i == 12
        marks = {}
        for n, day in enumerate(DAYS):
            away = severe and n < 6
            marks[(day, "AM")] = "O" if away else "/"
            marks[(day, "PM")] = "O" if away else "\\"
        write(school, pupil, marks)
        pupils.append(pupil)
    return pupils


@pytest.fixture
def governor(school):
    return make_staff(school, Staff.Position.GOVERNOR, "governor")


class Tables(HTMLParser):
    """The text of every cell of every table, by the table's class."""

    def __init__(self):
        super().__init__()
        self.tables, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append((dict(attrs).get("class", ""), []))
        elif tag == "tr" and self.tables:
            self._row = []
            self.tables[-1][1].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html, css_class):
    parser = Tables()
    parser.feed(html)
    return [rows for cls, rows in parser.tables if css_class in cls.split()]


def is_dash(text):
    return text.startswith("–")


# --- attack 1: subtraction through the API ----------------------------------------------------


def test_api_whole_school_minus_year_3_minus_year_4_does_not_give_year_5(school, small_school, governor):
    """Everything the governor can get from the statistics endpoints, put together: the Year 5
    count must not be in it, nor the three figures it can be subtracted from."""
    client = APIClient()
    client.force_login(governor.user)
    known = {}
    for year in (None, 3, 4, 5):
        params = {**DATES, **({"year": year} if year is not None else {})}
        response = client.get("/api/v1/statistics/cohort/", params)
        if response.status_code == 200 and response.json()["pupils"] is not None:
            known[year] = response.json()["pupils"]
    report = client.get("/api/v1/statistics/report/", {"period": PERIOD})
    if report.status_code == 200:
        data = report.json()
        if data["headline"]["pupils"] is not None:
            known.setdefault(None, data["headline"]["pupils"])
        for group in data["dimensions"][0]["groups"]:
            if group["pupils"] is not None:
                known.setdefault(int(group["label"].removeprefix("Year ")), group["pupils"])
    assert 5 not in known
    assert not {None, 3, 4} <= known.keys(), f"{known[None]} − {known[3]} − {known[4]} = Year 5"


def test_api_gives_governors_the_reports_tables_and_nothing_else(client, school, small_school, governor):
    api = APIClient()
    api.force_login(governor.user)
    data = api.get("/api/v1/statistics/report/", {"period": PERIOD}).json()
    assert data["headline"]["pupils"] == 13 and data["headline"]["severe"] is None
    years = {g["label"]: g for g in data["dimensions"][0]["groups"]}
    assert years["Year 3"]["pupils"] == 6 and years["Year 4"]["pupils"] is None and years["Year 5"]["pupils"] is None
    assert years["Year 5"]["note"].startswith("fewer than 5 pupils")
    # Exactly what the page shows in the year-group table.
    client.force_login(governor.user)
    page = client.get(f"/reports/?period={PERIOD}").content.decode()
    year_table = tables(page, "cohort-table")[0]
    on_page = {row[0]: (None if is_dash(row[1]) else int(row[1])) for row in year_table[1:]}
    assert on_page == {label: g["pupils"] for label, g in years.items()}
    for path in ("/api/v1/statistics/pupils/", "/api/v1/statistics/cohort/"):
        assert api.get(path, DATES).status_code == 403
    assert api.get(f"/api/v1/pupils/{small_school[0].pk}/statistics/", DATES).status_code == 404


# --- attack 2: the home page tiles --------------------------------------------------------------


def test_home_tile_does_not_say_1_pupil_severely_absent(client, school, small_school, governor):
    client.force_login(governor.user)
    with time_machine.travel(dt.datetime(2025, 9, 19, 17, 0), tick=False):
        html = client.get("/reports/at-a-glance/").content.decode()
        report = client.get(f"/reports/?period={PERIOD}").content.decode()
    tile = re.search(r'<div class="figure"><div class="value">([^\n]*?)</div><div class="label">Pupils severely', html)
    assert tile is not None
    assert tile.group(1).strip() != "1" and "suppressed" in tile.group(1)
    # The report's headline says the same.
    kpi = re.search(r'<div class="kpi-value">([^\n]*?)</div>\s*<div class="kpi-label">Severely absent', report)
    assert "suppressed" in kpi.group(1)


# --- attack 3: a 0 beside a dash ----------------------------------------------------------------


def test_no_zero_beside_a_dash_narrows_the_severely_absent_pupil(client, school, small_school, governor):
    """One pupil is severely absent (hidden). A Girls "0" beside a Boys "–" said it is a boy;
    Year 3's "0" said Year 4 or 5. Every severe count in every table must be a dash."""
    client.force_login(governor.user)
    html = client.get(f"/reports/?period={PERIOD}").content.decode()
    cohort_tables = tables(html, "cohort-table")
    assert len(cohort_tables) == 8
    for rows in cohort_tables:
        header, *body = rows
        severe = header.index("Severe (number)")
        persistent = header.index("Persistent (number)")
        for row in body:
            assert is_dash(row[severe]), (row[0], row[severe])
            assert is_dash(row[persistent]), (row[0], row[persistent])
    api = APIClient()
    api.force_login(governor.user)
    data = api.get("/api/v1/statistics/report/", {"period": PERIOD}).json()
    assert all(g["severe"] is None for d in data["dimensions"] for g in d["groups"])
    assert [b["pupils"] for b in data["bands"]][3:] == [None, None]


# --- the trust view: a school's own report and the combined column together ------------------------


def test_trust_leader_cannot_subtract_a_schools_report_from_the_combined_column(client, school, small_school):
    trust = Trust.objects.create(name="Oak Trust")
    other = make_school(urn="100077", name="Beech Primary", establishment_number="2077")
    for s in (school, other):
        s.trust = trust
        s.save()
    for _ in range(8):
        write(other, PupilFactory(school=other, year=5), {(DAYS[0], "AM"): "/", (DAYS[0], "PM"): "\\"})
    leader = StaffFactory(user=UserFactory(username="leader"), trust=trust, position=Staff.Position.TRUST_LEADER)
    client.force_login(leader.user)
    trust_page = client.get(f"/reports/trust/?period={PERIOD}").content.decode()
    beech = client.get(f"/reports/?school={other.pk}&period={PERIOD}").content.decode()
    beech_year5 = next(r for r in tables(beech, "cohort-table")[0] if r[0] == "Year 5")
    assert beech_year5[1] == "8"
    year5 = next(r for r in tables(trust_page, "trust-table")[1] if r[0] == "Year 5")
    combined = year5[-1]
    assert is_dash(combined), "combined Year 5 − Beech's 8 = this school's 2"
    assert trust_page.count('class="chart-svg"') == 9  # three charts for each school and combined


# --- internal file names, the 403 page ----------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_no_internal_file_name_on_any_page_or_in_the_pdf(client, school, small_school, governor):
    trust = Trust.objects.create(name="Oak Trust")
    school.trust = trust
    school.save()
    leader = StaffFactory(user=UserFactory(username="leader"), trust=trust, position=Staff.Position.TRUST_LEADER)
    client.force_login(governor.user)
    pages = {
        url: client.get(url) for url in [f"/reports/?period={PERIOD}", "/reports/at-a-glance/", "/reports/analysis/"]
    }
    pdf = client.get(f"/reports/governors.pdf?period={PERIOD}")
    client.force_login(leader.user)
    pages["trust"] = client.get(f"/reports/trust/?period={PERIOD}")
    texts = {url: r.content.decode() for url, r in pages.items()}
    texts["pdf"] = pdf_text(pdf.content)
    assert "National figures" in texts[f"/reports/?period={PERIOD}"]  # the source line is there
    for where, text in texts.items():
        assert not INTERNAL_NAMES.search(text), (where, INTERNAL_NAMES.search(text).group(0))


@pytest.mark.parametrize("who", ["parent", "governor"])
def test_a_staff_page_refused_is_a_styled_page_with_a_way_back(client, school, small_school, who):
    if who == "parent":
        user = get_user_model().objects.create_user("parent", password="x")
        Contact.objects.create(pupil=small_school[0], forename="Pat", surname="Parent", user=user)
        urls = ["/reports/", "/reports/analysis/"]
    else:
        user = make_staff(school, Staff.Position.GOVERNOR, "governor").user
        urls = ["/reports/analysis/", "/reports/exports/", "/pupils/"]
    client.force_login(user)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "403.html" in [t.name for t in response.templates]
        html = response.content.decode()
        assert "<h1" in html and "This page is not available to you" in html
        assert 'href="/"' in html and "Go to your home page" in html
        assert 'rel="stylesheet"' in html
