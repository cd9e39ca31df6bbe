"""Reads for the letters pages: the merge-field catalogue, letters on record, batches, and the
letters the school still owes (case actions that ask for one, decided leave requests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone

from absences.models import LeaveRequest
from interventions.models import Action

from .errors import LetterError
from .fields.catalogue import CATALOGUE, options_for
from .fields.stored import describe
from .models import Batch, Letter, LetterTemplate
from .rendering import template_fields

#: The template that answers a leave decision, by the request's status (the starters' keys).
LEAVE_DECISION_TEMPLATES = {LeaveRequest.Status.GRANTED: "leave_granted", LeaveRequest.Status.REFUSED: "leave_refused"}


def active_template(school, key: str) -> LetterTemplate | None:
    """The school's active template with this key, if it has one."""
    if not key:
        return None
    return LetterTemplate.objects.filter(school=school, key=key, active=True).first()


def merge_field_catalogue() -> list[dict]:
    """Every merge field: name, label, example, group (the editor's side panel)."""
    out = []
    for f in CATALOGUE:
        example = f.example
        if f.kind == "list":
            example = "rows: " + ", ".join(f.items)
        elif f.kind == "html":
            example = {
                "school.logo": "(the school's logo)",
                "parent.address_block": "Mr D Okafor and Mrs G Okafor, 14 Mill Lane …",
                "marks.table": "(a table of each session's mark)",
            }.get(f.name, "")
        out.append(
            {
                "name": f.name,
                "label": f.label,
                "example": str(example),
                "group": f.group,
                "kind": f.kind,
                "option": f.option or "",
                "tag": "{{ " + f.name + " }}",
            }
        )
    return out


def options_used(template: LetterTemplate) -> set[str]:
    """The produce options (since, period_from/to, meeting_*, improvement_weeks, signatory_*)
    that `template`'s fields need."""
    try:
        fields = template_fields(template)
    except LetterError:
        return set()
    return options_for(fields)


def letter_data_rows(letter: Letter) -> list[dict]:
    """The data a letter showed, as labelled rows for its record page."""
    return describe(letter.data)


def letters_for_pupil(pupil):
    return (
        Letter.objects.filter(pupil=pupil)
        .select_related("template", "batch", "addressee")
        .order_by("-produced_at", "-pk")
    )


def letters_for_school(school, *, filters: dict | None = None):
    """Letters on record, newest first. Filters: template (id or key), pupil (id), delivery,
    since / until (dates of production), batch (id)."""
    filters = filters or {}
    letters = Letter.objects.filter(school=school).select_related("pupil", "template", "batch")
    template = filters.get("template")
    if template:
        letters = (
            letters.filter(template_id=template) if str(template).isdigit() else letters.filter(template__key=template)
        )
    if filters.get("pupil"):
        letters = letters.filter(pupil_id=filters["pupil"])
    if filters.get("delivery"):
        letters = letters.filter(delivery=filters["delivery"])
    if filters.get("batch"):
        letters = letters.filter(batch_id=filters["batch"])
    if filters.get("since"):
        letters = letters.filter(letter_date__gte=filters["since"])
    if filters.get("until"):
        letters = letters.filter(letter_date__lte=filters["until"])
    return letters.order_by("-produced_at", "-pk")


def batches_for_school(school):
    return Batch.objects.filter(school=school).select_related("template", "created_by").order_by("-created_at", "-pk")


@dataclass
class PendingLetter:
    pupil: object
    key: str
    template: LetterTemplate | None
    title: str
    since: dt.date
    action: object = None
    alert: object = None
    case: object = None
    leave_request: object = None

    @property
    def produce_query(self) -> str:
        if self.action is not None:
            return f"action={self.action.pk}"
        if self.leave_request is not None:
            return f"leave={self.leave_request.pk}"
        return f"pupil={self.pupil.pk}"


def pending_letters(school, *, case=None, pupil=None, today: dt.date | None = None) -> list[PendingLetter]:
    """Letters the school owes: case actions that ask for a letter (an accepted alert whose rule
    names a template) with no letter produced and not otherwise completed; and decided leave
    requests whose leave has not ended and that have no decision letter yet (it is produced
    automatically when the decision is made, so one listed here failed and needs the office).
    Oldest first."""
    today = today or timezone.localdate()
    templates = {t.key: t for t in LetterTemplate.objects.filter(school=school, active=True)}
    actions = (
        Action.objects.filter(case__school=school, done_on__isnull=True)
        .exclude(letter_template="")
        .filter(~Exists(Letter.objects.filter(action=OuterRef("pk"))))
        .select_related("case__pupil__group", "alert__rule", "case")
        .order_by("created_at", "pk")
    )
    if case is not None:
        actions = actions.filter(case=case)
    if pupil is not None:
        actions = actions.filter(case__pupil=pupil)
    out = []
    for action in actions:
        template = templates.get(action.letter_template)
        out.append(
            PendingLetter(
                pupil=action.case.pupil,
                key=action.letter_template,
                template=template,
                title=template.title if template else f"Letter “{action.letter_template}” (no such template yet)",
                since=timezone.localtime(action.created_at).date(),
                action=action,
                alert=action.alert,
                case=action.case,
            )
        )
    if case is None:
        requests = (
            LeaveRequest.objects.filter(
                school=school,
                status__in=(LeaveRequest.Status.GRANTED, LeaveRequest.Status.REFUSED),
                end_date__gte=today,
            )
            .filter(~Exists(Letter.objects.filter(leave_request=OuterRef("pk"))))
            .select_related("pupil__group")
            .order_by("decided_at", "pk")
        )
        if pupil is not None:
            requests = requests.filter(pupil=pupil)
        for request in requests:
            key = LEAVE_DECISION_TEMPLATES[request.status]
            template = templates.get(key)
            decided = timezone.localtime(request.decided_at).date() if request.decided_at else today
            out.append(
                PendingLetter(
                    pupil=request.pupil,
                    key=key,
                    template=template,
                    title=template.title if template else f"Leave decision ({request.get_status_display().lower()})",
                    since=decided,
                    leave_request=request,
                )
            )
    out.sort(key=lambda p: p.since)
    return out
