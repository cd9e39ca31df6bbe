"""Keeping the roll in step with the MIS: one upsert of pupils by UPN for every source (the pupil
CSV, a Common Transfer File, the API's MIS sync).

A record changes only the fields its source gives, so a file without an EAL column leaves EAL
alone. New pupils are admitted; a pupil whose admission date is new is admitted again (if they
left and came back); a leaving date is recorded on the enrolment. When the file is the whole
roll, pupils on roll who are not in it are recorded as leaving on the date the office gives.
Marks are never touched: a leaving date before a pupil's last mark is refused (planned-closure
`#` entries excepted: they are not possible sessions). Registration groups named in the file
that the school does not have yet are created. Every change is saved with its history and
reported; saving only what changed keeps a re-import free of new history."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Max
from simple_history.utils import bulk_create_with_history

from ..models import SECONDARY, Enrolment, Mark, Pupil, RegistrationGroup, School
from ..years import year_label
from .base import FROM_REQUEST, ImportProblem, ImportRejected, _message, save_if_changed
from .report import CHANGED, CREATED, LEAVING, UNCHANGED, ImportReport, shown

FIELD_ORDER = [f.name for f in Pupil._meta.concrete_fields]
REQUIRED_FOR_NEW = ("legal_surname", "legal_forename", "date_of_birth", "sex", "year")


@dataclass
class PupilRecord:
    """One pupil as the source gives them. `values` holds only the Pupil fields the source
    carries; `group` is None when it says nothing about groups ("" = no group); `defaults` fill
    fields a new pupil needs that the source does not know (and the preview says so)."""

    where: str
    line: int | None
    upn: str
    values: dict
    group: str | None = None
    admission: dt.date | None = None
    leaving: dt.date | None = None
    leaving_given: bool = False  # the source has a leaving date field (blank = still on roll)
    former_upn: str = ""
    defaults: dict = field(default_factory=dict)


def pupil_label(pupil) -> str:
    return f"{pupil.legal_surname}, {pupil.legal_forename} ({pupil.upn})"


def update_roll(
    *,
    school: School,
    records: list[PupilRecord],
    reason: str,
    report: ImportReport,
    full_roll: bool = False,
    leaving_date: dt.date | None = None,
    history_user=FROM_REQUEST,
) -> dict[str, Pupil]:
    """Create or update every record's pupil and enrolment (inside the caller's transaction).
    Raises ImportRejected with every problem, before anything is written."""
    problems: list[ImportProblem] = []
    upns = {r.upn for r in records}
    pupils = {
        p.upn: p
        for p in Pupil.objects.filter(
            school=school, upn__in=upns | {r.former_upn for r in records if r.former_upn}
        ).select_related("group")
    }
    matched: dict[str, Pupil | None] = {}
    for r in records:
        pupil = pupils.get(r.upn)
        if pupil is None and r.former_upn and r.former_upn not in upns:
            pupil = pupils.get(r.former_upn)  # a temporary UPN replaced by the permanent one
        matched[r.upn] = pupil
    enrolments = defaultdict(list)
    for e in Enrolment.objects.filter(pupil__school=school).order_by("admission_date"):
        enrolments[e.pupil_id].append(e)
    groups = _groups(school, records, matched, report)

    planned = []  # (record, pupil, values, enrolment changes)
    for r in records:
        pupil = matched[r.upn]
        try:
            values = _values(r, groups)
            candidate = _candidate(school, r, pupil, values)
            if pupil is None:
                if missing := [f for f in REQUIRED_FOR_NEW if getattr(candidate, f) in (None, "")]:
                    names = ", ".join(Pupil._meta.get_field(f).verbose_name for f in missing)
                    raise ValueError(f"a new pupil needs their {names}")
                if r.admission is None:
                    raise ValueError("a new pupil needs an admission date")
            try:
                candidate.full_clean(exclude=["school", "group"], validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                raise ValueError(_message(exc)) from None
            plan = _enrolment_plan(r, pupil, enrolments[pupil.pk] if pupil else [])
            planned.append((r, pupil, values, plan))
        except ValueError as exc:
            problems.append(ImportProblem(r.line, str(exc), r.where if r.line is None else ""))

    in_file = {p.pk for p in matched.values() if p is not None}
    leavers = []
    if full_roll:
        if leaving_date is None:
            problems.append(ImportProblem(None, "give the leaving date for pupils who are not in the file"))
        else:
            leavers = _leavers(school, in_file, enrolments, leaving_date, report)
    problems += _marks_after_leaving(planned, leavers, leaving_date)
    if problems:
        raise ImportRejected(problems)

    save = functools.partial(save_if_changed, history_user=history_user)
    for group in groups.values():
        if group.pk is None:
            save(group, {}, reason=reason)
    created = _create_new(school, planned, reason, history_user)
    saved: dict[str, Pupil] = {}
    for r, pupil, values, plan in planned:
        if r.upn in created:
            saved[r.upn] = _report_new(created[r.upn], r, plan, report)
        else:
            saved[r.upn] = _write(r, pupil, values, plan, reason, report, save)
    for enrolment in leavers:
        save(enrolment, {"leaving_date": leaving_date}, reason=f"{reason}: not in the file")
        report.add(
            "pupil",
            LEAVING,
            pupil_label(enrolment.pupil),
            [
                f"Not in the file: leaving date {leaving_date:%d/%m/%Y}",
                f"On roll since {enrolment.admission_date:%d/%m/%Y}",
            ],
        )
    return saved


def _candidate(school, r: PupilRecord, pupil: Pupil | None, values: dict) -> Pupil:
    """The pupil as they would be after the import, to validate before anything is written."""
    candidate = Pupil(school=school, upn=r.upn)
    if pupil is not None:
        for f in Pupil._meta.concrete_fields:
            if f.name not in ("id", "upn"):
                setattr(candidate, f.attname, getattr(pupil, f.attname))
    for key, value in {**(r.defaults if pupil is None else {}), **values}.items():
        setattr(candidate, key, value)
    return candidate


def _values(r: PupilRecord, groups: dict) -> dict:
    values = dict(r.values)
    if r.group is not None:
        values["group"] = groups.get(r.group.casefold()) if r.group else None
    return values


def _groups(school, records, matched, report) -> dict[str, RegistrationGroup]:
    """The school's groups by name (any case), with the ones the file names but the school has
    not got yet (created in the lowest year of the pupils in them)."""
    groups = {g.name.casefold(): g for g in RegistrationGroup.objects.filter(school=school)}
    years = defaultdict(set)
    names = {}
    for r in records:
        if r.group:
            key = r.group.casefold()
            names.setdefault(key, r.group)
            year = r.values.get("year", matched[r.upn].year if matched[r.upn] else None)
            if year is not None:
                years[key].add(year)
    for key, name in names.items():
        if key in groups or not years[key]:
            continue
        year = min(years[key])
        phases = school.register_phases
        phase = phases[0] if len(phases) == 1 else (SECONDARY if 7 <= year <= 14 else phases[0])
        groups[key] = RegistrationGroup(school=school, name=name, year=year, phase=phase)
        spans = sorted(years[key])
        in_it = year_label(spans[0]) + (f" to {year_label(spans[-1])}" if len(spans) > 1 else "")
        report.add("registration group", CREATED, name, [f"{in_it} ({phase})"])
        report.note(
            "New registration groups have no teachers yet: add them in School set-up so they can take the registers."
        )
    return groups


@dataclass
class _EnrolmentPlan:
    enrolment: Enrolment | None  # the one the record describes (None: a new admission)
    admission: dt.date | None
    leaving: dt.date | None
    touch: bool  # whether to write the leaving date


def _enrolment_plan(r: PupilRecord, pupil: Pupil | None, current: list[Enrolment]) -> _EnrolmentPlan | None:
    """Which enrolment the record describes. A known pupil given a different admission date
    that would put them on roll twice over the same days may be a correction or a return to
    the school; the file cannot say which, so the row is refused with what to do."""
    if r.leaving and r.admission and r.leaving < r.admission:
        raise ValueError(f"the leaving date {r.leaving:%d/%m/%Y} is before the admission date {r.admission:%d/%m/%Y}")
    if r.admission is None:
        if not r.leaving_given or not current:
            return None
        latest = current[-1]  # no admission date: the leaving date belongs to the latest enrolment
        return _EnrolmentPlan(latest, latest.admission_date, r.leaving, True)
    for e in current:
        if e.admission_date == r.admission:
            return _EnrolmentPlan(e, r.admission, r.leaving, r.leaving_given)
    for e in current:
        starts_before_end = e.leaving_date is None or r.admission <= e.leaving_date
        ends_after_start = r.leaving is None or r.leaving >= e.admission_date
        if starts_before_end and ends_after_start:
            until = f"to {e.leaving_date:%d/%m/%Y}" if e.leaving_date else "with no leaving date"
            raise ValueError(
                f"UPN {r.upn} is already on roll from {e.admission_date:%d/%m/%Y} {until}; admission on "
                f"{r.admission:%d/%m/%Y} would put them on roll twice. If they left and came back, record "
                "the leaving date on the earlier enrolment first; if the date is a correction, correct "
                "it on the pupil's record."
            )
    return _EnrolmentPlan(None, r.admission, r.leaving, True)


def _leavers(school, in_file: set[int], enrolments, leaving_date: dt.date, report) -> list[Enrolment]:
    """Open enrolments of pupils the whole-roll file leaves out."""
    out = []
    pupils = {p.pk: p for p in Pupil.objects.filter(school=school).exclude(pk__in=in_file)}
    for pupil_id, spans in enrolments.items():
        if pupil_id in in_file or pupil_id not in pupils:
            continue
        for e in spans:
            if e.leaving_date is not None:
                continue
            e.pupil = pupils[pupil_id]
            if e.admission_date > leaving_date:
                report.note(
                    f"{pupil_label(e.pupil)} is due to join on {e.admission_date:%d/%m/%Y} and is not in the file: "
                    "left as they are."
                )
                continue
            out.append(e)
    return out


def _marks_after_leaving(planned, leavers, leaving_date) -> list[ImportProblem]:
    """A leaving date before a pupil's last mark would leave marks outside their time on roll."""
    checks = [
        (pupil.pk, plan.leaving, r)
        for r, pupil, _values, plan in planned
        if pupil is not None and plan is not None and plan.touch and plan.leaving is not None
    ]
    checks += [(e.pupil_id, leaving_date, e) for e in leavers]
    if not checks:
        return []
    last = dict(
        Mark.objects.filter(pupil_id__in={c[0] for c in checks})
        .exclude(source=Mark.Source.CLOSURE)
        .values("pupil_id")
        .annotate(last=Max("date"))
        .values_list("pupil_id", "last")
    )
    return [
        _after_marks_problem(source, last[pupil_id], day)
        for pupil_id, day, source in checks
        if pupil_id in last and last[pupil_id] > day
    ]


def _after_marks_problem(source, last_mark: dt.date, when: dt.date) -> ImportProblem:
    advice = (
        f"has marks up to {last_mark:%d/%m/%Y}: a leaving date of {when:%d/%m/%Y} would leave marks outside "
        f"their time on roll. Use a leaving date on or after {last_mark:%d/%m/%Y}."
    )
    if isinstance(source, Enrolment):
        return ImportProblem(None, f"{pupil_label(source.pupil)} is not in the file and {advice}")
    return ImportProblem(source.line, f"UPN {source.upn} {advice}", source.where if source.line is None else "")


def _create_new(school, planned, reason: str, history_user) -> dict[str, Pupil]:
    """Pupils new to the school and their admissions, in bulk with their history rows (a school's
    first import is its whole roll: two inserts per table, not two per pupil)."""
    new = []
    for r, pupil, values, _plan in planned:
        if pupil is None:
            obj = Pupil(school=school, upn=r.upn, **{**r.defaults, **values})
            obj._change_reason = reason
            if history_user is not FROM_REQUEST:
                obj._history_user = history_user
            new.append(obj)
    if not new:
        return {}
    bulk_create_with_history(new, Pupil, batch_size=500, default_change_reason=reason)
    created = {p.upn: p for p in new}
    enrolments = []
    for r, pupil, _values, plan in planned:
        if pupil is None:
            enrolment = Enrolment(pupil=created[r.upn], admission_date=plan.admission, leaving_date=plan.leaving)
            enrolment._change_reason = reason
            if history_user is not FROM_REQUEST:
                enrolment._history_user = history_user
            enrolments.append(enrolment)
    bulk_create_with_history(enrolments, Enrolment, batch_size=500, default_change_reason=reason)
    return created


def _report_new(pupil: Pupil, r: PupilRecord, plan, report) -> Pupil:
    details = [year_label(pupil.year) + (f", {pupil.group.name}" if pupil.group else "")]
    details += [f"{_change(name, None, value)} (not in the file)" for name, value in r.defaults.items()]
    details.append(f"Admitted on {plan.admission:%d/%m/%Y}")
    if plan.leaving:
        details.append(f"Leaving date {plan.leaving:%d/%m/%Y}")
    report.add("pupil", CREATED, pupil_label(pupil), details, r.where)
    return pupil


def _write(r: PupilRecord, pupil, values, plan, reason, report, save_if_changed) -> Pupil:
    """A pupil the school holds: save what changed, and their enrolment."""
    changes = {k: v for k, v in values.items() if getattr(pupil, k) != v}
    if r.upn != pupil.upn:
        changes["upn"] = r.upn
    changes = dict(sorted(changes.items(), key=lambda kv: FIELD_ORDER.index(kv[0])))  # as the pupil page lists them
    details = [_change(k, getattr(pupil, k), v) for k, v in changes.items()]
    outcome = CHANGED if changes else UNCHANGED
    if changes:
        save_if_changed(pupil, changes, reason=reason)
    if plan is not None:
        enrolment = plan.enrolment or Enrolment(pupil=pupil, admission_date=plan.admission)
        before = enrolment.leaving_date
        if plan.enrolment is None:
            save_if_changed(enrolment, {"leaving_date": plan.leaving}, reason=reason)
            details.append(f"Admitted again on {plan.admission:%d/%m/%Y}")
            outcome = CHANGED
        elif plan.touch and before != plan.leaving:
            save_if_changed(enrolment, {"leaving_date": plan.leaving}, reason=reason)
            if plan.leaving is None:
                details.append(f"Leaving date {before:%d/%m/%Y} removed: on roll again")
                outcome = CHANGED
            else:
                details.append(f"Leaving date {plan.leaving:%d/%m/%Y}")
                outcome = LEAVING
    report.add("pupil", outcome, pupil_label(pupil), details, r.where)
    return pupil


def _change(name: str, old, new) -> str:
    """ "Year: Reception → Year 1"; for a new pupil's default, "EAL: No"."""
    if old is None and new is not None and name != "group":
        return f"{_label(name)}: {shown(_display(name, new))}"
    return f"{_label(name)}: {shown(_display(name, old))} → {shown(_display(name, new))}"


def _label(name: str) -> str:
    if name == "upn":
        return "UPN"
    text = str(Pupil._meta.get_field(name).verbose_name)
    return text[0].upper() + text[1:]


def _display(name: str, value):
    if name == "year":
        return year_label(value)
    if name == "group":
        return value.name if value else "no group"
    if name in ("sex", "sen"):
        return dict(Pupil._meta.get_field(name).choices).get(value, value)
    return value
