"""Reads for the letters pages: the template library and each template's history, the merge-field
catalogue, the pupils a letter may be produced for, letters on record, batches, and the letters the
school still owes (case actions that ask for one, decided leave requests)."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone

from absences.models import LeaveRequest
from interventions.models import Action
from registers.models import Contact, Pupil
from registers.selectors import pupils_on_roll, search_pupils

from .errors import LetterError
from .fields.catalogue import CATALOGUE, options_for
from .fields.stored import describe
from .models import Batch, Letter, Letterhead, LetterTemplate
from .rendering import template_fields
from .starters import starters

#: The template that answers a leave decision, by the request's status (the starters' keys).
LEAVE_DECISION_TEMPLATES = {LeaveRequest.Status.GRANTED: "leave_granted", LeaveRequest.Status.REFUSED: "leave_refused"}

# --- templates ------------------------------------------------------------------------------


def templates_for_school(school):
    """The school's library: active templates first, then by title."""
    return LetterTemplate.objects.filter(school=school).select_related("updated_by__staff").order_by("-active", "title")


def active_template(school, key: str) -> LetterTemplate | None:
    """The school's active template with this key, if it has one."""
    if not key:
        return None
    return LetterTemplate.objects.filter(school=school, key=key, active=True).first()


def missing_starters(keys: set[str]) -> list[str]:
    """Titles of the product's starter templates the school's library does not have."""
    return [s.title for s in starters() if s.key not in keys]


def template_versions(template: LetterTemplate) -> list:
    """Every version of the template's text, newest first."""
    return list(template.versions.select_related("created_by__staff").order_by("-version"))


def version_changes(old, new) -> list[tuple[str, str]]:
    """Line-by-line changes from one version to the next: (kind, text), kind in +, -, =, @."""
    out = []
    for label, before, after in (
        ("Title", old.title, new.title),
        ("Heading", old.subject, new.subject),
    ):
        if before != after:
            out += [("-", f"{label}: {before}"), ("+", f"{label}: {after}")]
    diff = difflib.unified_diff(old.body.splitlines(), new.body.splitlines(), lineterm="", n=1)
    for line in list(diff)[2:]:
        if line.startswith("@@"):
            out.append(("@", "…"))
        elif line.startswith("+"):
            out.append(("+", line[1:]))
        elif line.startswith("-"):
            out.append(("-", line[1:]))
        else:
            out.append(("=", line[1:]))
    return out


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


# --- pupils a letter is for -----------------------------------------------------------------


def pupil_at_school(school, value) -> Pupil | None:
    """The school's pupil with the id `value` (as typed in a form or query), or None."""
    if value in (None, ""):
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return Pupil.objects.filter(school=school, pk=pk).select_related("group").first()


def find_pupils(school, text: str, *, on: dt.date, limit: int = 12) -> list[Pupil]:
    """Pupils on roll on `on` whose names or UPN match every word of `text`."""
    if not text.strip():
        return []
    pupils = pupils_on_roll(school=school, date_from=on, date_to=on, include_subsidiary=True)
    return list(search_pupils(pupils, text).select_related("group").order_by("legal_surname", "legal_forename")[:limit])


def pupils_by_id(school, ids):
    """The school's pupils with these ids, in the order the produce page lists them."""
    return (
        Pupil.objects.filter(school=school, pk__in=ids)
        .select_related("group")
        .order_by("legal_surname", "legal_forename", "pk")
    )


def pupils_chosen(school, *, on: dt.date, year=None, group=None, q: str = ""):
    """Pupils on roll on `on` in a year group (Reception is year 0), a registration group and/or
    matching a search, in the order the produce page lists them."""
    pupils = pupils_on_roll(school=school, date_from=on, date_to=on, include_subsidiary=True)
    if year is not None:
        pupils = pupils.filter(year=year)
    if group:
        pupils = pupils.filter(group=group)
    if q:
        pupils = search_pupils(pupils, q)
    return pupils.select_related("group").order_by("legal_surname", "legal_forename", "pk")


def contacts_of(pupil):
    """The pupil's contacts, in priority order (whom a single letter may be addressed to)."""
    return Contact.objects.filter(pupil=pupil).order_by("priority", "pk")


def letterhead_with_logo(school) -> Letterhead | None:
    """The school's letterhead if it has a logo (never creates one)."""
    letterhead = Letterhead.objects.filter(school=school).first()
    return letterhead if letterhead is not None and letterhead.logo else None


# --- letters on record ----------------------------------------------------------------------


def letter_data_rows(letter: Letter) -> list[dict]:
    """The data a letter showed, as labelled rows for its record page."""
    return describe(letter.data)


def later_letters_count(letter: Letter) -> int:
    """How many letters about the same pupil were produced after this one."""
    return letter.pupil.letters.filter(produced_at__gt=letter.produced_at).count()


def letters_for_pupil(pupil):
    """A pupil's letters on record (given the pupil or their id), newest first."""
    return (
        Letter.objects.filter(pupil=pupil)
        .select_related("template", "batch", "addressee")
        .order_by("-produced_at", "-pk")
    )


def letters_for_school(school, *, filters: dict | None = None):
    """Letters on record, newest first. Filters: template (id or key), pupil (id), delivery,
    since / until (dates of production), batch (id), q (words of the pupil's name or UPN)."""
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
    if filters.get("q"):
        letters = letters.filter(pupil__in=search_pupils(Pupil.objects.filter(school=school), filters["q"]))
    return letters.order_by("-produced_at", "-pk")


# --- batches --------------------------------------------------------------------------------


def batches_for_school(school):
    return Batch.objects.filter(school=school).select_related("template", "created_by").order_by("-created_at", "-pk")


def batch_letters(batch: Batch) -> list[Letter]:
    """A finished batch's letters, in the order they are printed."""
    return list(batch.letters.select_related("pupil__group", "addressee").order_by("batch_first_page", "pk"))


# --- letters still owed ---------------------------------------------------------------------


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


def template_titles(school) -> dict[str, str]:
    """The school's active letter templates, key → title (the policy pages name the letter a
    rule proposes by it; handed to interventions in LettersConfig.ready())."""
    return dict(LetterTemplate.objects.filter(school=school, active=True).values_list("key", "title"))
