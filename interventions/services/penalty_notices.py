"""Penalty notices (national framework, 2024): a first notice (£80 within 21 days, else £160
within 28), a second within 3 years of the first (£160), never a third within 3 years; the
marks a notice relies on meet the national threshold and are never used for another notice.
Then paid, unpaid, withdrawn, or referred for prosecution."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min

from registers.models import Contact, Mark, Pupil, School, SchoolDay
from registers.selectors import PENALTY_THRESHOLD_SESSIONS, PENALTY_THRESHOLD_WEEKS

from ..models import Case, PenaltyNotice, PenaltyNoticeMark

FIRST_FULL, FIRST_REDUCED, SECOND = 16000, 8000, 16000
ALTERNATIVES = [
    "an attendance contract",
    "an education supervision order",
    "prosecution under s444(1) or s444(1A) of the Education Act 1996",
    "a parenting order",
]


class PenaltyNoticeRefused(ValidationError):
    def __init__(self, message, alternatives=()):
        super().__init__(message)
        self.alternatives = list(alternatives)


def three_years_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 3)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 3, day=28)


def counting_notices(*, pupil: Pupil, parent: Contact, on: dt.date):
    """Notices to this parent for this pupil within the 3 years before `on` (withdrawn ones
    do not count)."""
    return PenaltyNotice.objects.filter(
        pupil=pupil, parent=parent, issued_on__gt=three_years_before(on), issued_on__lte=on
    ).exclude(status=PenaltyNotice.Status.WITHDRAWN)


def penalty_notice_terms(*, pupil: Pupil, parent: Contact, on: dt.date) -> dict:
    """What a notice issued on `on` would be: first (£80 within 21 days, else £160 within 28),
    second within 3 years of the first (£160, no reduction); a third within 3 years is refused
    and the alternatives are listed."""
    previous = list(counting_notices(pupil=pupil, parent=parent, on=on).order_by("issued_on"))
    if len(previous) >= 2:
        raise PenaltyNoticeRefused(
            f"A third penalty notice cannot be issued within 3 years of the first "
            f"({previous[0].issued_on:%d %b %Y}). Consider another intervention instead.",
            ALTERNATIVES,
        )
    if not previous:
        return {"sequence": 1, "amount_pence": FIRST_FULL, "reduced_amount_pence": FIRST_REDUCED}
    return {"sequence": 2, "amount_pence": SECOND, "reduced_amount_pence": None}


@transaction.atomic
def issue_penalty_notice(
    *,
    pupil: Pupil,
    parent: Contact,
    issued_on: dt.date,
    marks: list[Mark],
    la_reference: str = "",
    case: Case | None = None,
    user=None,
) -> PenaltyNotice:
    """Record a penalty notice the headteacher has decided to issue, with the marks it relies on.
    A mark relied on by another notice, or still coded N, is refused."""
    if parent.pupil_id != pupil.pk:
        raise ValidationError("The parent must be a contact of the pupil.")
    if not parent.parental_responsibility:
        raise ValidationError(f"{parent} does not have parental responsibility.")
    if case is not None and case.status != Case.Status.OPEN:
        raise ValidationError("The case is closed: reopen it first.")
    if not marks:
        raise ValidationError("A penalty notice relies on the sessions of unauthorised absence: choose them.")
    mark_ids = [m.pk for m in marks]
    rows = list(Mark.objects.filter(pk__in=mark_ids).select_related("code"))
    problems = []
    for mark in rows:
        if mark.pupil_id != pupil.pk:
            problems.append(f"{mark.date} {mark.session} is not this pupil's.")
        elif not mark.code.penalty_threshold:
            problems.append(f"{mark.date} {mark.session} ({mark.code.code}) is not unauthorised absence.")
        elif mark.code.code == "N":
            problems.append(f"{mark.date} {mark.session} is still coded N: resolve it first.")
        elif mark.date > issued_on:
            problems.append(f"{mark.date} {mark.session} is after the notice's issue date.")
    used = PenaltyNoticeMark.objects.filter(mark_id__in=mark_ids).select_related("mark", "notice")
    for link in used:
        problems.append(
            f"{link.mark.date} {link.mark.session} was already used for the notice of {link.notice.issued_on:%d %b %Y}."
        )
    if not problems:
        problems += _threshold_problems(pupil.school, rows)
    if problems:
        raise ValidationError(problems)
    terms = penalty_notice_terms(pupil=pupil, parent=parent, on=issued_on)
    notice = PenaltyNotice.objects.create(
        school=pupil.school,
        pupil=pupil,
        parent=parent,
        case=case,
        issued_on=issued_on,
        la_reference=la_reference,
        created_by=user,
        **terms,
    )
    try:
        with transaction.atomic():
            PenaltyNoticeMark.objects.bulk_create([PenaltyNoticeMark(notice=notice, mark_id=i) for i in mark_ids])
    except IntegrityError:
        raise ValidationError("Some of these sessions were used for another notice meanwhile.")
    return notice


def _threshold_problems(school: School, marks: list[Mark]) -> list[str]:
    """The national threshold: the notice relies on at least 10 unauthorised sessions within
    10 school weeks (a school week is one with sessions, so holidays do not count)."""
    if len(marks) < PENALTY_THRESHOLD_SESSIONS:
        return [
            f"A penalty notice relies on at least {PENALTY_THRESHOLD_SESSIONS} sessions of unauthorised absence "
            f"(the national threshold); {len(marks)} chosen."
        ]
    weeks = SchoolDay.objects.filter(school=school, date__in={m.date for m in marks}).aggregate(
        first=Min("week_number"), last=Max("week_number")
    )
    if weeks["first"] is not None and weeks["last"] - weeks["first"] + 1 > PENALTY_THRESHOLD_WEEKS:
        return [
            f"The sessions chosen span more than {PENALTY_THRESHOLD_WEEKS} school weeks: choose them within one window."
        ]
    return []


@transaction.atomic
def set_penalty_notice_status(*, notice: PenaltyNotice, status: str, on: dt.date) -> PenaltyNotice:
    """Paid (on a date from the issue date), unpaid (only once the 28 days have passed) or
    withdrawn (final; it then no longer counts towards the limit of two in 3 years)."""
    if status not in PenaltyNotice.Status.values:
        raise ValidationError("Unknown status.")
    notice = PenaltyNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status == PenaltyNotice.Status.WITHDRAWN:
        raise ValidationError("This notice was withdrawn; it cannot change again.")
    if status == PenaltyNotice.Status.PAID and on < notice.issued_on:
        raise ValidationError(f"A notice cannot be paid before it was issued ({notice.issued_on:%d %b %Y}).")
    if status == PenaltyNotice.Status.UNPAID and on <= notice.deadline:
        raise ValidationError(f"The parent has until {notice.deadline:%d %b %Y} to pay; it is not unpaid yet.")
    notice.status = status
    notice.paid_on = on if status == PenaltyNotice.Status.PAID else None
    notice.save()
    return notice


@transaction.atomic
def refer_for_prosecution(*, notice: PenaltyNotice, on: dt.date) -> PenaltyNotice:
    notice = PenaltyNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != PenaltyNotice.Status.UNPAID:
        raise ValidationError("Only an unpaid notice is referred for prosecution.")
    if notice.prosecution_referred_on:
        raise ValidationError(f"Already referred on {notice.prosecution_referred_on:%d %b %Y}.")
    if on <= notice.deadline:
        raise ValidationError(f"The parent has until {notice.deadline:%d %b %Y} to pay.")
    notice.prosecution_referred_on = on
    notice.save()
    return notice


def amount_due(notice: PenaltyNotice, paid_on: dt.date) -> int | None:
    """Pence due if paid on `paid_on`; None once the 28 days have passed (the LA decides)."""
    if notice.reduced_amount_pence and paid_on <= notice.issued_on + dt.timedelta(days=21):
        return notice.reduced_amount_pence
    if paid_on <= notice.issued_on + dt.timedelta(days=28):
        return notice.amount_pence
    return None
