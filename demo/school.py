"""A realistic demo school: a primary school on an ordinary English calendar with last
year's summer term and this year to date marked, through the register service.

Patterns a school would recognise: most pupils above 95 %, an illness wave each winter,
a few persistently absent pupils and one severely absent, term-time holidays next to
half-term, lateness (a few regular latecomers), medical appointments, a school trip, a
planned closure, office amendments with reasons, and a few `N` codes still to resolve."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from interventions.evaluation import run_checks
from interventions.services import load_policy_preset
from letters.services import install_starter_templates
from registers.calendar import typical_english_calendar
from registers.imports import import_school
from registers.models import (
    AM,
    PM,
    Contact,
    Enrolment,
    Mark,
    Pupil,
    Register,
    RegistrationGroup,
    SchoolDay,
    Staff,
    Trust,
)
from registers.services import Actor, MarkEntry, mark_register_taken, record_marks
from registers.upn import make_upn

from .names import CLASS_NAMES, ETHNICITIES, FORENAMES_F, FORENAMES_M, STAFF, STREETS, SURNAMES, TEACHER_NAMES

LONDON = ZoneInfo("Europe/London")
DEMO_PASSWORD = "attendance-demo"
DEMO_URN = "139999"


@dataclass
class Profile:
    absence: float  # chance a given day starts an absence
    late: float  # chance of an L on an attended morning
    holiday: bool  # takes a term-time holiday next to a half-term
    unauthorised_share: float


def _profile(rng: random.Random) -> Profile:
    roll = rng.random()
    if roll < 0.015:
        return Profile(0.55, 0.10, False, 0.6)  # severe absence
    if roll < 0.10:
        return Profile(rng.uniform(0.06, 0.10), rng.choice([0.03, 0.15]), rng.random() < 0.3, 0.35)
    if roll < 0.25:
        return Profile(rng.uniform(0.025, 0.045), 0.04, rng.random() < 0.15, 0.1)
    return Profile(rng.uniform(0.003, 0.015), rng.choice([0.01, 0.02, 0.02, 0.12]), rng.random() < 0.03, 0.05)


def _weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    pick = rng.uniform(0, total)
    for value, weight in pairs:
        pick -= weight
        if pick <= 0:
            return value
    return pairs[-1][0]


def _iso(d: dt.date) -> str:
    return d.isoformat()


def officer_weeks_so_far(school, earlier: dt.date, today: dt.date) -> None:
    """The attendance officer's last three weeks, so the first sign-in shows a worklist with a
    history behind it: the checks ran on `earlier`, the officer accepted every proposal for the
    ten most urgent pupils (cases, tasks, the letters as one batch per template), dismissed
    two with a reason and snoozed one. This morning's run then proposes only what is new:
    pupils who have moved up the ladder since, and those found for the first time."""
    from interventions.selectors.dashboard import dashboard
    from interventions.services import accept_proposals, dismiss_proposals, snooze_proposals

    officer = Staff.objects.select_related("user").get(user__username="officer")
    run_checks(school=school, on=earlier)
    moment = dt.datetime.combine(earlier, dt.time(16, 0), tzinfo=LONDON)
    rows = dashboard(school=school, today=earlier, now=moment, all_rows=True).worklist
    accept = [list(p.alert_ids) for row in rows[:10] for p in row.proposals]
    accept_proposals(school=school, items=accept, user=officer.user, on=earlier, owner=officer)
    quiet = [row for row in rows[10:] if not row.urgent and row.top_stage <= 2]
    if len(quiet) >= 3:
        dismiss_proposals(
            school=school,
            items=[p.alert_ids for p in quiet[0].proposals + quiet[1].proposals],
            reason="Known medical condition: a plan is agreed with the family and the school nurse",
            user=officer.user,
        )
        snooze_proposals(
            school=school,
            items=[p.alert_ids for p in quiet[2].proposals],
            until=today + dt.timedelta(days=7),
            user=officer.user,
            on=earlier,
        )


def _open_registers(school, wanted: list[tuple]) -> dict[tuple, Register]:
    """The registers for (group, date, session), by (group id, date, session): those the school
    already has, and the rest opened in bulk, in `wanted`'s order, each with the history row
    opening it would write. A year of a class's registers is a few thousand: one statement each
    for the registers and their history rows instead of three a register (a third of the seeding)."""
    found = {(r.group_id, r.date, r.session): r for r in Register.objects.filter(school=school)}
    new = [
        Register(school=school, group=group, date=day, session=session)
        for group, day, session in wanted
        if (group.id, day, session) not in found
    ]
    found.update({(r.group_id, r.date, r.session): r for r in bulk_create_with_history(new, Register)})
    return found


def demo_school_data(today: dt.date) -> dict:
    start_year = today.year if today.month >= 8 else today.year - 1
    previous, current = typical_english_calendar(start_year - 1), typical_english_calendar(start_year)
    terms = previous["terms"] + current["terms"]
    breaks = previous["half_term_breaks"] + current["half_term_breaks"]
    insets = previous["inset_days"] + current["inset_days"]
    closures = [
        {"date": _iso(d), "session": "both", "reason": "INSET day: staff training", "kind": "inset"} for d in insets
    ]
    # A polling-station closure on a Thursday in this year's autumn term.
    autumn = current["terms"][0]
    polling = autumn["start"] + dt.timedelta(days=(3 - autumn["start"].weekday()) % 7 + 35)
    closures.append({"date": _iso(polling), "session": "both", "reason": "Polling station for a local by-election"})
    return {
        "urn": DEMO_URN,
        "name": "Brookside Primary School",
        "la_number": "888",
        "establishment_number": "2417",
        "phase": "primary",
        "address": "Brookside Primary School\nMill Street\nAshford Green\nAG4 7PL",
        "telephone": "01632 960 417",
        "email": "office@brookside.example.sch.uk",
        "register_times": {
            "primary": {
                "am": {"opens": "08:50", "late_after": "09:00", "closes": "09:20"},
                "pm": {"opens": "13:00", "late_after": "13:10", "closes": "13:30"},
            }
        },
        "terms": [{"name": t["name"], "start": _iso(t["start"]), "end": _iso(t["end"])} for t in terms],
        "half_term_breaks": [{"start": _iso(b["start"]), "end": _iso(b["end"])} for b in breaks],
        "closures": closures,
        "groups": [],
    }


@transaction.atomic
def seed_demo(*, pupils: int = 210, seed: int = 2026, today: dt.date | None = None, log=print) -> dict:
    """Build the demo school; returns counts. Marks run up to yesterday; today's registers
    are left for the teachers (and the office's missing-registers list)."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    User = get_user_model()
    trust, _ = Trust.objects.get_or_create(name="Ashford Learning Trust")
    data = demo_school_data(today)
    start_year = today.year if today.month >= 8 else today.year - 1

    # Groups: Reception to Year 6, classes of at most 30.
    per_year = [pupils // 7 + (1 if i < pupils % 7 else 0) for i in range(7)]
    groups_spec = []
    for year, count in enumerate(per_year):
        classes = max(1, -(-count // 30))
        label = "Reception" if year == 0 else f"Year {year}"
        for c in range(classes):
            name = label if classes == 1 else f"{label} {CLASS_NAMES[c]}"
            groups_spec.append({"name": name, "year": year, "phase": "primary", "room": f"Room {len(groups_spec) + 1}"})
    data["groups"] = groups_spec
    school = import_school({**data, "closures": [c for c in data["closures"] if c.get("kind") == "inset"]})
    school.trust = trust
    school.save()

    hashed = make_password(DEMO_PASSWORD)  # hashing is deliberately slow: do it once

    def user(username, first, last):
        account, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            account.password = hashed
            account.email = f"{username}@brookside.example.sch.uk"
            account.save()
        return account

    for username, first, last, title, position in STAFF:
        account = user(username, first, last)
        Staff.objects.get_or_create(
            user=account,
            defaults={
                "school": school if position != Staff.Position.TRUST_LEADER else None,
                "trust": trust if position == Staff.Position.TRUST_LEADER else None,
                "position": position,
                "title": title,
            },
        )

    groups = list(RegistrationGroup.objects.filter(school=school).order_by("year", "name"))
    teachers: dict[int, Staff] = {}
    for i, group in enumerate(groups):
        first, last, title = TEACHER_NAMES[i % len(TEACHER_NAMES)]
        username = (
            "teacher"
            if group.year == 3 and "teacher" not in [s.user.username for s in teachers.values()]
            else f"teacher.{group.name.lower().replace(' ', '')}"
        )
        account = user(username, first, f"{last}" if i < len(TEACHER_NAMES) else f"{last}-{i}")
        staff, _ = Staff.objects.get_or_create(
            user=account, defaults={"school": school, "position": Staff.Position.CLASS_TEACHER, "title": title}
        )
        group.teachers.add(staff)
        teachers[group.id] = staff

    # Pupils, their enrolments and contacts.
    year_start = dt.date(start_year, 9, 1)
    previous_start = dt.date(start_year - 1, 9, 1)
    days = list(SchoolDay.objects.filter(school=school, date__lt=today).order_by("date"))
    current_days = [d for d in days if d.date >= year_start]
    summer_start = max((d.term.start_date for d in days if d.date < year_start), default=previous_start)
    marked_days = [d for d in days if d.date >= summer_start]
    created_pupils: list[tuple[Pupil, Profile, Enrolment]] = []
    serial = 0
    for group in groups:
        classes = [g for g in groups if g.year == group.year]
        index, total = classes.index(group), per_year[group.year]
        count = total // len(classes) + (1 if index < total % len(classes) else 0)
        for _ in range(count):
            serial += 1
            sex = rng.choice("FM")
            forename = rng.choice(FORENAMES_F if sex == "F" else FORENAMES_M)
            surname = rng.choice(SURNAMES)
            birth_year = start_year - 5 - group.year
            dob = dt.date(birth_year, 9, 1) + dt.timedelta(days=rng.randrange(365))
            preferred = {
                "Alexander": "Alex",
                "Samuel": "Sam",
                "Joshua": "Josh",
                "Florence": "Flo",
                "Elijah": "Eli",
            }.get(forename, "")
            sen = _weighted(rng, [(Pupil.SEN.NONE, 84), (Pupil.SEN.SUPPORT, 13), (Pupil.SEN.EHCP, 3)])
            pupil = Pupil(
                school=school,
                upn=make_upn(school.la_number, school.establishment_number, start_year - 1, serial),
                legal_surname=surname,
                legal_forename=forename,
                preferred_forename=preferred,
                pronoun="she/her" if sex == "F" else "he/him",
                date_of_birth=dob,
                sex=sex,
                year=group.year,
                group=group,
                fsm=rng.random() < 0.24,
                sen=sen,
                eal=rng.random() < 0.2,
                looked_after=rng.random() < 0.012,
                previously_looked_after=rng.random() < 0.01,
                child_in_need=rng.random() < 0.03,
                young_carer=rng.random() < 0.02,
                ethnicity=_weighted(rng, ETHNICITIES),
                medical_note=rng.choice(
                    [
                        "Type 1 diabetes: may arrive late after clinic",
                        "Asthma: inhaler in class",
                        "Hospital appointments on Tuesdays: may arrive late",
                    ]
                )
                if rng.random() < 0.03
                else "",
            )
            pupil._change_reason = "demo school"
            pupil.save()
            admission = (
                summer_start - dt.timedelta(days=rng.randrange(30, 900)) if group.year else (dt.date(start_year, 9, 1))
            )
            leaving = None
            if rng.random() < 0.03 and len(current_days) > 20:
                admission = rng.choice(current_days[5:-5]).date  # a mid-year joiner
            elif rng.random() < 0.02 and len(marked_days) > 30:
                leaving = rng.choice(marked_days[10:-10]).date  # moved away
            if group.year == 0:
                admission = max(admission, year_start)
            enrolment = Enrolment.objects.create(pupil=pupil, admission_date=admission, leaving_date=leaving)
            home = None  # parents who live with the child share one address (one letter home)
            for priority in range(1, rng.choice([2, 2, 3])):
                parent_sex = rng.choice("FM")
                title = "Mrs" if parent_sex == "F" else "Mr"
                forename = rng.choice(FORENAMES_F if parent_sex == "F" else FORENAMES_M)
                telephone = f"07700 9{rng.randrange(10000, 99999)}"
                address = f"{rng.randrange(1, 120)} {rng.choice(STREETS)}\nAshford Green"
                postcode = (
                    f"AG{rng.randrange(1, 9)} {rng.randrange(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                    f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                )
                lives_with = priority == 1 or rng.random() < 0.8
                if lives_with:
                    home = home or (address, postcode)
                    address, postcode = home
                Contact.objects.create(
                    pupil=pupil,
                    priority=priority,
                    title=title,
                    forename=forename,
                    surname=surname,
                    relationship="Mother" if parent_sex == "F" else "Father",
                    telephone=telephone,
                    email=f"{surname.lower().replace(chr(39), '')}.{serial}.{priority}@example.com",
                    address=address,
                    postcode=postcode,
                    lives_with_pupil=lives_with,
                )
            created_pupils.append((pupil, _profile(rng), enrolment))

    # Each pupil's story as one code per session.
    by_group: dict[int, list[tuple[Pupil, Profile, Enrolment]]] = {}
    for item in created_pupils:
        by_group.setdefault(item[0].group_id, []).append(item)
    date_index = {d.date: i for i, d in enumerate(marked_days)}
    # First days of each half-term: a term-time holiday is taken in the week before one.
    half_term_starts = [d.date for i, d in enumerate(marked_days) if i and d.half_term != marked_days[i - 1].half_term]
    trip_days = {rng.choice(current_days).date: 5} if current_days else {}
    story: dict[tuple[int, dt.date, str], tuple[str, int | None]] = {}
    recent = {d.date for d in marked_days[-3:]}
    for pupil, profile, _enrolment in created_pupils:
        i = 0
        while i < len(marked_days):
            day = marked_days[i].date
            winter = day.month in (12, 1, 2)
            if rng.random() < profile.absence * (1.8 if winter else 1.0):
                length = rng.choice([1, 1, 1, 2, 2, 3, 4]) if rng.random() > profile.unauthorised_share else 1
                unauthorised = rng.random() < profile.unauthorised_share
                for j in range(i, min(i + length, len(marked_days))):
                    code = rng.choice("OOG") if unauthorised else "I"
                    if marked_days[j].date in recent and rng.random() < 0.5:
                        code = "N"
                    story[(pupil.id, marked_days[j].date, AM)] = (code, None)
                    story[(pupil.id, marked_days[j].date, PM)] = (code, None)
                i += length
                continue
            if rng.random() < 0.01:
                story[(pupil.id, day, rng.choice([AM, PM]))] = ("M", None)
            if rng.random() < profile.late:
                minutes = rng.choice([2, 4, 5, 7, 10, 12, 15])
                story[(pupil.id, day, AM)] = ("L", minutes) if rng.random() < 0.85 else ("U", rng.choice([25, 35, 40]))
            if trip_days.get(day) == pupil.year:
                story[(pupil.id, day, AM)] = ("V", None)
                story[(pupil.id, day, PM)] = ("V", None)
            i += 1
        if profile.holiday and half_term_starts:
            start = rng.choice(half_term_starts)
            k = date_index[start]
            for j in range(max(0, k - 5), k):
                story[(pupil.id, marked_days[j].date, AM)] = ("G", None)
                story[(pupil.id, marked_days[j].date, PM)] = ("G", None)

    # Write the registers as the teachers took them, through the register service; the
    # planned closure day has no registers (its `#` marks come with the closure below).
    closed = {dt.date.fromisoformat(c["date"]) for c in data["closures"] if c.get("kind") != "inset"}
    actors = {group.id: Actor.for_staff(teachers[group.id].user, teachers[group.id]) for group in groups}
    taken = []  # (group, date, session, when taken, the pupils on roll), in the order the registers are taken
    for day in marked_days:
        if day.date in closed:
            continue
        for session, (hh, mm) in ((AM, (8, 56)), (PM, (13, 4))):
            taken_at = dt.datetime.combine(day.date, dt.time(hh, mm), tzinfo=LONDON)
            for group in groups:
                members = [p for p, _, e in by_group.get(group.id, []) if e.covers(day.date)]
                if members:
                    taken.append((group, day.date, session, taken_at, members))
    registers = _open_registers(school, [(group, day, session) for group, day, session, _, _ in taken])
    marks = 0
    for group, day, session, taken_at, members in taken:
        register = registers[(group.id, day, session)]
        entries = [
            MarkEntry(
                pupil_id=p.id,
                date=day,
                session=session,
                code=story.get((p.id, day, session), ("/", None))[0],
                minutes_late=story.get((p.id, day, session), ("/", None))[1],
            )
            for p in members
        ]
        record_marks(
            school=school,
            entries=entries,
            actor=actors[group.id],
            source=Mark.Source.TEACHER,
            register=register,
            now=taken_at,
        )
        mark_register_taken(register=register, actor=actors[group.id], now=taken_at)
        marks += len(entries)

    # The planned closure: recording it writes `#` for every pupil on roll (through the
    # register service). Then the office's follow-up: some absences recoded, with reasons.
    office = Staff.objects.get(user__username="office")
    office_actor = Actor.for_staff(office.user, office)
    import_school({**data, "closures": [c for c in data["closures"] if c.get("kind") != "inset"]}, actor=office_actor)
    amended = 0
    sessions_of: dict[int, list[tuple[dt.date, str, str]]] = {}  # each pupil's story, in the order it was told
    for (pid, day, session), (code, _) in story.items():
        sessions_of.setdefault(pid, []).append((day, session, code))
    for pupil, _, enrolment in created_pupils:
        pid = pupil.id
        for day, session, code in sessions_of.get(pid, []):
            if day in recent or code not in ("O", "I") or rng.random() > 0.04:
                continue
            if not enrolment.covers(day) or day in closed:
                continue
            new_code, why = (
                ("I", "parent phoned the office: illness")
                if code == "O"
                else ("M", "appointment card seen by the office: dental appointment")
            )
            record_marks(
                school=school,
                entries=[MarkEntry(pupil_id=pid, date=day, session=session, code=new_code)],
                actor=office_actor,
                source=Mark.Source.OFFICE,
                reason=why,
                now=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(10, 15), tzinfo=LONDON),
            )
            amended += 1
    # A parent/carer with two children at the school, who can sign in to the parent portal.
    parent = user("parent", "Grace", "Okafor")
    parent.email = "grace.okafor@example.com"
    parent.save()
    siblings = [p for p, _, e in created_pupils if e.leaving_date is None and e.admission_date <= today]
    siblings = [siblings[0], next(p for p in siblings if p.year != siblings[0].year)]
    for child in siblings:
        child.legal_surname = "Okafor"
        child._change_reason = "demo school: siblings"
        child.save()
        contact = child.contacts.order_by("priority").first()
        contact.forename, contact.surname, contact.title, contact.relationship = "Grace", "Okafor", "Mrs", "Mother"
        contact.email, contact.user, contact.parental_responsibility = parent.email, parent, True
        contact.save()

    # The school's attendance policy (preset A, a primary trust) and this morning's checks,
    # so the attendance officer's dashboard has alerts to work.
    load_policy_preset(school=school, preset="A")
    install_starter_templates(school=school)
    if len(marked_days) > 20:
        officer_weeks_so_far(school, marked_days[-16].date, today)
    if marked_days:
        run_checks(school=school, on=marked_days[-1].date)

    log(
        f"Demo school: {school.name}, {len(created_pupils)} pupils in {len(groups)} classes, "
        f"{marks} marks over {len(marked_days)} school days, {amended} office amendments."
    )
    return {"school": school, "pupils": len(created_pupils), "marks": marks, "amended": amended}
