"""Browser journey: a school's MIS data in on day one. The office of a primary school uploads its
SIMS pupil file (Nursery and Reception among the years), checks the preview and imports it; a
file with mistakes shows every problem and writes nothing; the data manager of a secondary
school imports its SIMS Common Transfer File from a phone. Screenshots of each preview at
desktop and phone widths; axe on every page the journey visits."""

import pytest

from registers.models import Contact, ImportRun, Pupil, Staff
from tests.e2e.conftest import accessible, click_and_load, login, screenshot
from tests.factories import StaffFactory, UserFactory
from tests.registers.conftest import DATA, make_ashcombe

P = Staff.Position
# Only the browser context a test uses is opened; it names live_server itself, so that it is
# known before it runs to be a transactional test (tests/scheduling.py, pytest-django).
SIZES = {"desktop": "page", "phone": "phone_page"}


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


def watch(page):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return problems


def upload(page, kind, path, **dates):
    click_and_load(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports"))
    accessible(page, "imports page")
    page.get_by_label(kind).check()
    page.get_by_label("The file", exact=True).set_input_files(str(path))
    for label, value in dates.items():
        page.get_by_label(label).fill(value)
    click_and_load(page, page.get_by_role("button", name="Upload and preview"))


@pytest.fixture
def office(school):
    user = UserFactory(username="office", first_name="Priya", last_name="Shah")
    return StaffFactory(user=user, school=school, position=P.OFFICE, title="Mrs")


@pytest.fixture
def data_manager(db):
    user = UserFactory(username="data", first_name="Dee", last_name="Okoro")
    return StaffFactory(user=user, school=make_ashcombe(), position=P.DATA_MANAGER, title="Ms")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_primary_school_imports_its_sims_pupil_file(request, live_server, office, size, tmp_path):
    p = request.getfixturevalue(SIZES[size])
    problems = watch(p)
    login(p, "office")

    # a file with mistakes first: every problem, by line; nothing written
    bad = tmp_path / "sims-with-mistakes.csv"
    bad.write_bytes(
        (DATA / "sims_pupils_primary.csv").read_bytes().replace(b"14/03/2022", b"31/02/2022").replace(b",6,", b",Y7R,")
    )
    upload(p, "Pupils (CSV)", bad)
    assert p.get_by_role("heading", name="Not imported: problems in the file").is_visible()
    assert p.get_by_text("DOB '31/02/2022' is not a date").is_visible()
    assert p.get_by_text("Year: 'Y7R' is not a national curriculum year").is_visible()
    screenshot(p, f"import-refused-{size}")
    accessible(p, "refused preview")
    assert not Pupil.objects.exists()

    # the real file: the preview shows what it will do, and writes nothing until confirmed
    upload(p, "Pupils (CSV)", DATA / "sims_pupils_primary.csv")
    assert p.get_by_role("heading", name="Check before importing").is_visible()
    assert p.get_by_text("Nothing has been written yet.").is_visible()
    assert p.get_by_role("rowheader", name="Hussain, Zara (C330215022001)").is_visible()
    assert p.get_by_text("Nursery 2, Nursery").first.is_visible()
    assert p.get_by_text("Each column in the file, and what it was read as.").is_visible()
    screenshot(p, f"import-preview-pupils-{size}")
    accessible(p, "pupil preview")
    assert not Pupil.objects.exists()

    click_and_load(p, p.get_by_role("button", name="Import these changes"))
    assert p.get_by_role("heading", name="Imported", exact=True).is_visible()
    assert p.get_by_text("Pupils: 10 new").first.is_visible()
    screenshot(p, f"import-done-pupils-{size}")
    accessible(p, "imported")
    assert Pupil.objects.filter(school=office.school).count() == 10

    # the same file again: no changes, nothing to confirm
    upload(p, "Pupils (CSV)", DATA / "sims_pupils_primary.csv")
    assert p.get_by_role("heading", name="No changes", exact=True).is_visible()
    assert p.get_by_role("button", name="Import these changes").count() == 0

    # the pupil list: Nursery and Reception before Year 1
    click_and_load(p, p.get_by_role("link", name="Pupils", exact=True).first)
    years = p.get_by_label("Year").locator("option").all_inner_texts()
    assert years[:4] == ["All years", "Nursery 2", "Reception", "Year 1"]
    assert problems == []


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_secondary_school_imports_its_ctf(request, live_server, data_manager, size):
    p = request.getfixturevalue(SIZES[size])
    problems = watch(p)
    login(p, "data")
    upload(
        p,
        "Common Transfer File (XML)",
        DATA / "ctf_sims_secondary.xml",
        **{"Admission date for pupils joining from another school": "2025-09-03"},
    )
    assert p.get_by_role("heading", name="Check before importing").is_visible()
    assert p.get_by_text("Ashcombe Park Academy (936/4321) — this school").is_visible()
    assert p.get_by_role("rowheader", name="DUNCAN, Olivia (K936204114101)").first.is_visible()
    assert p.get_by_text("Lives with pupil: Yes (assumed: the file does not say)").first.is_visible()
    screenshot(p, f"import-preview-ctf-{size}")
    accessible(p, "CTF preview")

    click_and_load(p, p.get_by_role("button", name="Import these changes"))
    assert p.get_by_role("heading", name="Imported", exact=True).is_visible()
    assert Pupil.objects.filter(school=data_manager.school).count() == 6 and Contact.objects.count() == 8
    run = ImportRun.objects.get()
    assert (run.status, run.uploaded_by, run.confirmed_by) == ("imported", data_manager.user, data_manager.user)

    click_and_load(p, p.get_by_role("navigation", name="Main").get_by_role("link", name="Imports"))
    assert p.get_by_role("rowheader", name="ctf_sims_secondary.xml").is_visible()
    screenshot(p, f"imports-list-{size}")
    accessible(p, "imports list")
    assert problems == []
