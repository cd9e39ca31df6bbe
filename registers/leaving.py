"""Deleting a pupil's name from the admission register (the 2024 regulations' grounds) and the
notification the local authority is sent: who, where they live, their parents and numbers, the
ground and the destination (RULES.md, "Removal from roll").

Deletion is never backdated: the date is today or later, and no pupil keeps marks after it. The
grounds where the child's whereabouts are unknown (children missing education) need the joint
enquiries written down, and the pupil must meet the ground on the record: 20 school days of
G/N/O here; "not back within 10 school days of granted leave" through the check the absences
app registers (it owns leave), so every way in — the office page, the rollover — applies it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import (
    CME_GROUNDS,
    UNNOTIFIED_GROUNDS,
    Enrolment,
    Ground,
    Mark,
    Pupil,
    RegisterDeletion,
    SchoolDay,
)

CONTINUOUS_ABSENCE_DAYS = 20


class DeletionRefused(Exception):
    """Why a deletion cannot be recorded, in words the office can act on."""


# ground → check(pupil, on) returning why the pupil does not meet it (None when they do).
GROUND_CHECKS: dict[str, Callable[[Pupil, dt.date], str | None]] = {}


def register_ground_check(ground: str, check: Callable[[Pupil, dt.date], str | None]) -> None:
    """Apps that own the facts a ground rests on (leave lives in absences) connect their check."""
    GROUND_CHECKS[ground] = check


def continuous_absence_days(pupil: Pupil, on: dt.date) -> int:
    """School days in an unbroken run, ending with the pupil's last marked school day on or before
    `on`, on which every session is coded G, N or O (any other code, or a day without both marks,
    breaks the run)."""
    days = list(
        SchoolDay.objects.filter(school_id=pupil.school_id, date__lte=on)
        .order_by("-date")
        .values_list("date", flat=True)
    )
    marks: dict[dt.date, list[bool]] = {}
    for day, counts in Mark.objects.filter(pupil=pupil, date__lte=on).values_list("date", "code__deletion_ground"):
        marks.setdefault(day, []).append(counts)
    run = 0
    for day in days:
        if day not in marks and run == 0:
            continue  # registers not yet taken at the end: the run ends with the last marked day
        if len(marks.get(day, [])) == 2 and all(marks[day]):
            run += 1
        else:
            break
    return run


def _continuous_absence(pupil: Pupil, on: dt.date) -> str | None:
    run = continuous_absence_days(pupil, on)
    if run >= CONTINUOUS_ABSENCE_DAYS:
        return None
    return (
        f"{pupil.name} has {run} school day{'s' if run != 1 else ''} in a row coded G, N or O up to "
        f"{on:%d %b %Y}; this ground needs at least {CONTINUOUS_ABSENCE_DAYS}."
    )


register_ground_check(Ground.CONTINUOUS_ABSENCE, _continuous_absence)


def notification_for(pupil: Pupil, *, ground: str, deleted_on: dt.date, destination: str) -> dict:
    """What the LA is told, frozen at the time of the deletion (RULES.md: name, address, parents,
    contact numbers, ground, destination)."""
    contacts = list(pupil.contacts.order_by("priority"))
    address = next((f"{c.address}\n{c.postcode}".strip() for c in contacts if c.lives_with_pupil and c.address), "")
    school = pupil.school
    return {
        "school": school.name,
        "urn": school.urn,
        "la_number": school.la_number,
        "upn": pupil.upn,
        "legal_surname": pupil.legal_surname,
        "legal_forename": pupil.legal_forename,
        "date_of_birth": pupil.date_of_birth.isoformat(),
        "sex": pupil.sex,
        "year": pupil.year,
        "address": address,
        "parents": [
            {
                "name": f"{c.title} {c.forename} {c.surname}".strip(),
                "relationship": c.relationship,
                "parental_responsibility": c.parental_responsibility,
                "telephone": c.telephone,
                "other_telephones": c.other_telephones,
                "email": c.email,
                "address": f"{c.address}\n{c.postcode}".strip(),
            }
            for c in contacts
        ],
        "ground": ground,
        "ground_text": Ground(ground).label,
        "children_missing_education": ground in CME_GROUNDS,
        "deleted_on": deleted_on.isoformat(),
        "destination": destination,
    }


def delete_from_register(
    *,
    pupil: Pupil,
    ground: str,
    deleted_on: dt.date,
    user,
    recorded_by_name: str,
    recorded_by_position: str = "",
    destination: str = "",
    enquiries: str = "",
    today: dt.date | None = None,
) -> RegisterDeletion:
    """Record the deletion and end the pupil's time on roll on `deleted_on` (one transaction)."""
    today = today or timezone.localdate()
    if ground not in Ground.values:
        raise DeletionRefused("Choose one of the grounds in the 2024 regulations.")
    if deleted_on < today:
        raise DeletionRefused(
            f"A deletion is never backdated: choose today ({today:%d %b %Y}) or a later date, "
            f"not {deleted_on:%d %b %Y}."
        )
    if ground in CME_GROUNDS and not enquiries.strip():
        raise DeletionRefused(
            "Write down the enquiries the school and the local authority made together to find the pupil: "
            "this ground needs them."
        )
    if ground in (Ground.OTHER_SCHOOL, Ground.DUAL_ENDED) and not destination.strip():
        raise DeletionRefused("Name the school the pupil is registered at now.")
    with transaction.atomic():
        enrolment = (
            Enrolment.objects.select_for_update()
            .filter(pupil=pupil, admission_date__lte=deleted_on, leaving_date__isnull=True)
            .order_by("-admission_date")
            .first()
        )
        if enrolment is None:
            raise DeletionRefused(
                f"{pupil.name} is not on roll on {deleted_on:%d %b %Y}, so there is nothing to delete."
            )
        last = (
            Mark.objects.filter(pupil=pupil, date__gt=deleted_on)
            .exclude(source=Mark.Source.CLOSURE)
            .aggregate(last=Max("date"))["last"]
        )
        if last is not None:
            raise DeletionRefused(
                f"{pupil.name} has marks up to {last:%d %b %Y}: the last day on roll cannot be before them."
            )
        if (check := GROUND_CHECKS.get(ground)) and (problem := check(pupil, deleted_on)):
            raise DeletionRefused(problem)
        reason = f"Deleted from the admission register: {Ground(ground).label}"
        enrolment.leaving_date = deleted_on
        enrolment._change_reason = reason
        enrolment._history_user = user
        enrolment.save()
        notify = ground not in UNNOTIFIED_GROUNDS
        deletion = RegisterDeletion(
            school_id=pupil.school_id,
            pupil=pupil,
            enrolment=enrolment,
            ground=ground,
            deleted_on=deleted_on,
            destination=destination.strip(),
            enquiries=enquiries.strip(),
            notify_la=notify,
            notification=notification_for(pupil, ground=ground, deleted_on=deleted_on, destination=destination.strip()),
            recorded_by=user,
            recorded_by_name=recorded_by_name,
            recorded_by_position=recorded_by_position,
        )
        deletion._history_user = user
        deletion.save()
    return deletion


# --- the notifications, for the office to print and export -----------------------------------

CSV_HEADINGS = [
    "School",
    "URN",
    "LA",
    "UPN",
    "Legal surname",
    "Legal forename",
    "Date of birth",
    "Sex",
    "NC year",
    "Address",
    "Parents and contacts",
    "Contact numbers",
    "Ground",
    "Children missing education",
    "Deleted on (last day on roll)",
    "Destination",
    "Enquiries",
    "Recorded by",
    "Recorded at",
]


def notifications(school, *, cme_only: bool = False):
    """The deletions the LA is told of, newest first."""
    qs = RegisterDeletion.objects.filter(school=school, notify_la=True).select_related("pupil")
    if cme_only:
        qs = qs.filter(ground__in=CME_GROUNDS)
    return qs


def csv_row(deletion: RegisterDeletion) -> list[str]:
    n = deletion.notification
    parents = n.get("parents", [])
    return [
        n.get("school", ""),
        n.get("urn", ""),
        n.get("la_number", ""),
        n.get("upn", ""),
        n.get("legal_surname", ""),
        n.get("legal_forename", ""),
        n.get("date_of_birth", ""),
        n.get("sex", ""),
        str(n.get("year", "")),
        n.get("address", "").replace("\n", ", "),
        "; ".join(f"{p['name']} ({p['relationship']})" for p in parents),
        "; ".join(
            f"{p['name']}: {' · '.join(x for x in (p['telephone'], p['other_telephones'], p['email']) if x)}"
            for p in parents
        ),
        n.get("ground_text", ""),
        "yes" if n.get("children_missing_education") else "no",
        n.get("deleted_on", ""),
        n.get("destination", ""),
        deletion.enquiries,
        f"{deletion.recorded_by_name} ({deletion.recorded_by_position})".replace(" ()", ""),
        timezone.localtime(deletion.recorded_at).strftime("%Y-%m-%d %H:%M"),
    ]
