"""The school's calendar file (JSON) imported from the office's Imports page: the same
`import_school` the command line runs, for the office's own school only, reported from the
history rows it wrote (so the preview lists exactly what it changed, whatever it changes)."""

from __future__ import annotations

import json

from django.db import transaction

from ..models import AcademicYear, Closure, Holiday, Mark, RegisterTime, RegistrationGroup, School, Term
from ..services import Actor
from .base import ImportProblem, ImportRejected
from .headings import decode
from .report import CHANGED, CREATED, UNCHANGED, ImportReport
from .school import import_school

REPORTED = [School, RegisterTime, AcademicYear, Term, Holiday, Closure, RegistrationGroup]


def import_school_file(*, school: School, data: bytes, actor: Actor | None = None) -> ImportReport:
    text, note = decode(data)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected([ImportProblem(exc.lineno, f"the file is not valid JSON: {exc.msg}")]) from None
    if not isinstance(payload, dict):
        raise ImportRejected([ImportProblem(None, 'the file should hold one JSON object: {"urn": …, "terms": …}')])
    urn = str(payload.get("urn") or "").strip()
    if urn != school.urn:
        raise ImportRejected(
            [
                ImportProblem(
                    None,
                    f"the file is for the school with URN {urn or '(none)'}, not {school.name} (URN {school.urn})",
                    "urn",
                )
            ]
        )
    report = ImportReport(kind="calendar", main="term")
    if note:
        report.note(note)
    last = {
        model: model.history.order_by("-history_id").values_list("history_id", flat=True).first() or 0
        for model in [*REPORTED, Mark]
    }
    with transaction.atomic():
        import_school(payload, actor=actor)
        for model in REPORTED:
            rows = model.history.filter(history_id__gt=last[model]).order_by("history_id")
            rows = rows.filter(pk=school.pk) if model is School else rows.filter(school_id=school.pk)
            for row in rows:
                _report_row(report, model, row)
            thing = str(model._meta.verbose_name)
            held = model.objects.filter(pk=school.pk) if model is School else model.objects.filter(school=school)
            counts = report.totals[thing]
            report.tally(thing, UNCHANGED, held.count() - counts[CREATED] - counts[CHANGED])
        _report_closure_marks(report, school, last[Mark])
    return report


def _report_closure_marks(report: ImportReport, school: School, after: int) -> None:
    """A planned closure writes `#` for its sessions: new marks are counted, and every mark it
    recoded is listed (pupil, session, what it was), so no register entry changes unseen."""
    rows = Mark.history.filter(history_id__gt=after, school_id=school.pk)
    thing = "planned-closure mark (#)"
    if created := rows.filter(history_type="+").count():
        report.tally(thing, CREATED, created)
    for row in rows.filter(history_type="~").select_related("pupil").order_by("date", "session", "history_id"):
        before = (
            Mark.history.filter(id=row.id, version=row.version - 1).select_related("code").order_by("-history_id")
        ).first()
        report.add(
            thing,
            CHANGED,
            f"{row.pupil.name} ({row.pupil.upn}): {row.date:%a %d %b %Y} {row.session}",
            [f"{before.code.code if before else '?'} → # ({row.history_change_reason})"],
        )


def _report_row(report: ImportReport, model, row) -> None:
    thing = str(model._meta.verbose_name)
    if row.history_type == "+":
        report.add(thing, CREATED, str(row.instance))
        return
    previous = row.prev_record
    details = []
    if previous is not None:
        for change in row.diff_against(previous).changes:
            details.append(f"{change.field.replace('_', ' ').capitalize()}: {change.old} → {change.new}")
    report.add(thing, CHANGED, str(row.instance), details)
