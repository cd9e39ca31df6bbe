"""Which school or trust a report is about: the user's own, or (for a trust leader or an
administrator) the one they pick. Whether they may see it is the permissions' question."""

from __future__ import annotations

from registers.models import School, Trust


def school_to_report_on(user, staff, chosen: str = "") -> School | None:
    """The school `?school=` names, else the user's own school, else the first of their trust's
    schools, else (an administrator) the first school."""
    if chosen.isdigit():
        return School.objects.filter(pk=chosen).first()
    if staff is not None and staff.school_id:
        return staff.school
    if staff is not None and staff.trust_id:
        return School.objects.filter(trust_id=staff.trust_id).order_by("name").first()
    if user.is_superuser:
        return School.objects.order_by("name").first()
    return None


def trust_schools(staff) -> list[School]:
    """The schools a trust leader (not attached to one school) may switch between."""
    if staff is not None and staff.trust_id and staff.school_id is None:
        return list(School.objects.filter(trust_id=staff.trust_id).order_by("name"))
    return []


def trust_by_pk(pk: int) -> Trust | None:
    return Trust.objects.filter(pk=pk).first()


def first_trust() -> Trust | None:
    """An administrator without a trust of their own sees the first."""
    return Trust.objects.order_by("name").first()
