"""Letters: 500 one-page letters in one PDF, through the product's path, against WeasyPrint
rendering the same HTML directly.

Runs in its own small database, `attendance_bench_letters` (made again every run): a primary
school on the real 2026/27 calendar with 500 pupils, each with one parent at one address and
four weeks of marks (some absence, some lateness), and the starter templates installed.

- product: `start_batch` with the "concern" starter (a one-page letter with the letterhead,
  address, attendance figures and learning lost) for all 500 pupils, run by the batch task
  in-process: the merge data for all pupils (the figures from registers.selectors in one
  aggregate), the sandboxed templates, one HTML document laid out once by WeasyPrint, the print
  PDF stored privately, and 500 letter records with their history rows.
- floor: the very HTML document the batch laid out, given to WeasyPrint directly
  (`HTML(string=…).write_pdf()`, with the same local-file fetcher for the stylesheet).

The two are interleaved and the best of the runs is kept."""

from __future__ import annotations

import datetime as dt
import tempfile
import time

from bench.report import Row, ratio

DATABASE = "attendance_bench_letters"
LETTERS = 500
TARGET_RATE = 25.0
TARGET_RATIO = 1.2
ON = dt.date(2026, 11, 20)


def build(log=print, *, database: str = DATABASE):
    """The letters school in `database` (made again): 500 pupils with a parent and four weeks of
    marks, the starter templates, a letterhead. Returns (school, user, pupils)."""
    from django.contrib.auth import get_user_model

    from bench.databases import create_database, migrate, use_database
    from demo.school import demo_school_data
    from letters.services import install_starter_templates, save_letterhead
    from registers.imports import import_school
    from registers.models import Contact, Enrolment, Pupil, RegistrationGroup, SchoolDay, Staff
    from registers.services import Actor, MarkEntry, record_marks
    from registers.upn import make_upn

    create_database(database)
    use_database(database)
    migrate()
    payload = {
        **demo_school_data(ON),  # the usual English calendar for 2025/26 and 2026/27
        "urn": "990500",
        "name": "Benchmark Primary School",
        "groups": [{"name": f"Class {n + 1}", "year": 1 + n % 6, "phase": "primary"} for n in range(17)],
    }
    school = import_school(payload)
    user = get_user_model().objects.create_user("bench-officer", first_name="Jan", last_name="Patel")
    Staff.objects.create(user=user, school=school, position=Staff.Position.ATTENDANCE_OFFICER, title="Mrs")
    install_starter_templates(school=school)
    save_letterhead(
        school=school,
        user=user,
        address="Bench Lane\nMiddleton\nMD1 4AB",
        telephone="01632 960 500",
        email="office@bench.example.sch.uk",
        signatory_name="Mrs H Whitfield",
        signatory_position="Headteacher",
    )
    groups = list(RegistrationGroup.objects.filter(school=school).order_by("name"))
    pupils = []
    for i in range(LETTERS):
        group = groups[i % len(groups)]
        pupils.append(
            Pupil(
                school=school,
                upn=make_upn(school.la_number, school.establishment_number, 20, i + 1),
                legal_surname=f"Surname{i:03d}",
                legal_forename="Alex",
                date_of_birth=dt.date(2018, 3, 1),
                sex="F" if i % 2 else "M",
                pronoun="she/her" if i % 2 else "he/him",
                year=group.year,
                group=group,
            )
        )
    Pupil.objects.bulk_create(pupils)
    pupils = list(Pupil.objects.filter(school=school).order_by("pk"))
    Enrolment.objects.bulk_create([Enrolment(pupil=p, admission_date=dt.date(2025, 9, 1)) for p in pupils])
    Contact.objects.bulk_create(
        [
            Contact(
                pupil=p,
                title="Mrs",
                forename="Sam",
                surname=p.legal_surname,
                relationship="Mother",
                address=f"{n + 1} Bench Street\nMiddleton",
                postcode="MD1 2QT",
                email=f"parent{n}@example.com",
            )
            for n, p in enumerate(pupils)
        ]
    )
    days = list(
        SchoolDay.objects.filter(school=school, date__range=(ON - dt.timedelta(days=27), ON)).values_list(
            "date", flat=True
        )
    )
    actor = Actor(user, "Mrs J Patel", "Attendance officer")
    for d, day in enumerate(days):
        for session in ("AM", "PM"):
            entries = []
            for n, p in enumerate(pupils):
                code, minutes = ("/" if session == "AM" else "\\"), None
                if (n + d) % 17 == 0:
                    code = "I"
                elif (n + d) % 23 == 0:
                    code = "O"
                elif session == "AM" and (n + d) % 11 == 0:
                    code, minutes = "L", 5 + n % 10
                entries.append(MarkEntry(pupil_id=p.pk, date=day, session=session, code=code, minutes_late=minutes))
            record_marks(school=school, entries=entries, actor=actor, source="import")
    log(f"    {len(pupils)} pupils, {len(days)} school days of marks")
    return school, user, pupils


def run(log=print) -> list[Row]:
    from django.conf import settings
    from weasyprint import HTML

    from letters import pdf
    from letters.models import Batch, LetterTemplate
    from letters.services import start_batch

    settings.PRIVATE_ROOT = tempfile.mkdtemp(prefix="bench-letters-")
    log("  building the letters school")
    school, user, pupils = build(log)
    template = LetterTemplate.objects.get(school=school, key="concern")

    def product():
        batch = start_batch(template=template, pupils=pupils, user=user, on=ON)
        batch.refresh_from_db()
        return batch

    def floor(html):
        return HTML(string=html, base_url=pdf.BASE_URL, url_fetcher=pdf.LetterFetcher()).write_pdf()

    log("  500 letters: batch task vs WeasyPrint alone")
    product()  # warm-up: fonts, templates
    best = best_floor = None
    batch = None
    for _ in range(2):
        started = time.perf_counter()
        batch = product()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
        letters = list(batch.letters.order_by("pk").values_list("html", flat=True))
        html = pdf.document_html(letters, title=template.title, font=batch.letters.first().data["school"]["font"])
        started = time.perf_counter()
        content = floor(html)
        elapsed = time.perf_counter() - started
        best_floor = elapsed if best_floor is None else min(best_floor, elapsed)
    assert batch.status == Batch.Status.DONE and batch.done == LETTERS, (batch.status, batch.errors[:3])
    with batch.pdf.open("rb") as f:
        batch_pdf = f.read()
    rate = LETTERS / best
    return [
        Row(
            "letters: 500 one-page letters in one PDF",
            f"{LETTERS} pupils, concern letter",
            f"{best:.2f} s, {rate:.0f} letters/s, {len(batch_pdf) // 1024} KB",
            f"{best_floor:.2f} s (WeasyPrint, same HTML; {len(content) // 1024} KB)",
            ratio(best, best_floor),
            f"≥ {TARGET_RATE:.0f} letters/s, ≤ {TARGET_RATIO}× floor",
            rate >= TARGET_RATE and best <= TARGET_RATIO * best_floor,
            data={"seconds": best, "floor_seconds": best_floor, "letters": LETTERS, "pdf_bytes": len(batch_pdf)},
        )
    ]
