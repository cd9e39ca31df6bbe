"""The pupils-in-teaching-groups file: a row per pupil (by UPN) in a group, from a date. It lists
every pupil of each group it names, so a pupil of that group missing from the file leaves the
group the day before the group's earliest date in the file. Dated, never overwritten: a pupil
who moves set has one membership ending and another starting, and their earlier lesson marks
stay where they were."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q

from registers.imports import CHANGED, CREATED, LEAVING, UNCHANGED, ImportProblem, ImportReport, parse_file_date
from registers.models import Enrolment, Pupil, School
from registers.upn import upn_problem

from ..models import Membership, TeachingGroup
from .reading import effective_from

DAY = dt.timedelta(days=1)


def import_memberships(*, school: School, csv_file, report: ImportReport, reason: str) -> list[ImportProblem]:
    problems: list[ImportProblem] = []
    groups = {g.name.casefold(): g for g in TeachingGroup.objects.filter(school=school)}
    pupils = {p.upn: p for p in Pupil.objects.filter(school=school)}
    enrolments = defaultdict(list)
    for e in Enrolment.objects.filter(pupil__school=school):
        enrolments[e.pupil_id].append(e)
    rows: dict[int, list] = defaultdict(list)  # group id → [(line, pupil, starts, ends)]
    seen: dict[tuple, int] = {}
    for line, row, shape in csv_file.rows():
        problems += shape
        try:
            group = groups.get(row["group"].casefold())
            if group is None:
                raise ValueError(
                    f"there is no teaching group '{row['group']}' at {school.name}: import the teaching groups file "
                    "first (or check the spelling)"
                )
            upn = row["upn"].upper().replace(" ", "")
            if problem := upn_problem(upn):
                raise ValueError(problem)
            pupil = pupils.get(upn)
            if pupil is None:
                raise ValueError(f"no pupil with UPN {upn} at {school.name}: import the pupil file first")
            starts = effective_from(row, csv_file, "starts")
            ends = parse_file_date(row["ends"], csv_file.heading("ends")) if row.get("ends") else None
            if ends is not None and ends < starts:
                raise ValueError(
                    f"{_name(pupil)}: leaves the group on {ends:%d/%m/%Y}, before joining on {starts:%d/%m/%Y}"
                )
            if not _on_roll(enrolments[pupil.pk], starts):
                raise ValueError(
                    f"{_name(pupil)} is not on roll on {starts:%d/%m/%Y}, so cannot join {group.name} then: "
                    f"{_roll_words(enrolments[pupil.pk])}"
                )
            key = (group.pk, pupil.pk)
            if key in seen:
                raise ValueError(f"{_name(pupil)} is in {group.name} on line {seen[key]} too")
            seen[key] = line
            rows[group.pk].append((line, pupil, starts, ends))
        except ValueError as exc:
            problems.append(ImportProblem(line, str(exc)))
    if problems:
        return problems
    by_id = {g.pk: g for g in groups.values()}
    for group_id, entries in rows.items():
        _apply_group(by_id[group_id], entries, report, reason, check_ends=csv_file.has("ends"))
    return problems


def _apply_group(group: TeachingGroup, entries, report: ImportReport, reason: str, *, check_ends: bool) -> None:
    first_day = min(e[2] for e in entries)
    current = list(
        Membership.objects.filter(group=group)
        .filter(Q(ends__isnull=True) | Q(ends__gte=first_day))
        .select_related("pupil")
    )
    listed = set()
    for line, pupil, starts, ends in entries:
        listed.add(pupil.pk)
        label = f"{_name(pupil)} in {group.name}"
        mine = [m for m in current if m.pupil_id == pupil.pk]
        holding = next((m for m in mine if m.starts <= starts and (m.ends is None or m.ends >= starts)), None)
        if holding is not None:
            if check_ends and holding.ends != ends:
                _save(holding, {"ends": ends}, reason)
                report.add(
                    "pupil in a group", CHANGED, label, [f"leaves: {_day(holding.ends)} → {_day(ends)}"], f"line {line}"
                )
            else:
                report.add("pupil in a group", UNCHANGED, label)
            continue
        later = next((m for m in mine if m.starts > starts), None)
        if later is not None:
            was = later.starts
            _save(later, {"starts": starts, "ends": ends if check_ends else later.ends}, reason)
            report.add(
                "pupil in a group", CHANGED, label, [f"joins: {was:%d/%m/%Y} → {starts:%d/%m/%Y}"], f"line {line}"
            )
            continue
        _save(Membership(group=group, pupil=pupil), {"starts": starts, "ends": ends}, reason)
        words = [f"joins on {starts:%d/%m/%Y}"] + ([f"leaves after {ends:%d/%m/%Y}"] if ends else [])
        report.add("pupil in a group", CREATED, label, words, f"line {line}")
    for membership in current:
        if membership.pupil_id in listed:
            continue
        label = f"{_name(membership.pupil)} in {group.name}"
        if membership.starts >= first_day:
            membership._change_reason = reason
            membership.delete()
            report.add("pupil in a group", LEAVING, label, ["not in the file: no longer joins the group"])
        else:
            _save(membership, {"ends": first_day - DAY}, reason)
            report.add(
                "pupil in a group",
                LEAVING,
                label,
                [f"not in the file: last day in the group {first_day - DAY:%d/%m/%Y}"],
            )


def _save(membership: Membership, values: dict, reason: str) -> None:
    for key, value in values.items():
        setattr(membership, key, value)
    membership._change_reason = reason
    membership.save()


def _on_roll(enrolments, day: dt.date) -> bool:
    return any(e.admission_date <= day and (e.leaving_date is None or e.leaving_date >= day) for e in enrolments)


def _roll_words(enrolments) -> str:
    if not enrolments:
        return "they have no admission on record"
    latest = max(enrolments, key=lambda e: e.admission_date)
    if latest.leaving_date:
        return f"they were on roll {latest.admission_date:%d/%m/%Y}–{latest.leaving_date:%d/%m/%Y}"
    return f"they join the roll on {latest.admission_date:%d/%m/%Y}"


def _name(pupil: Pupil) -> str:
    return f"{pupil.legal_surname}, {pupil.legal_forename} ({pupil.upn})"


def _day(day: dt.date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else "not set"
