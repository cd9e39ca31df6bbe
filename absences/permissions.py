"""Who may act on what families tell the school: a parent for the children they have parental
responsibility for, the office team for their own school, the head (or a delegate the school
names) for leave requests."""

from django.core.exceptions import PermissionDenied

from registers.models import Contact, Pupil
from registers.permissions import OFFICE_TEAM, staff_of

from .models import deciders_for


def parent_contacts(user):
    """The user's contact records with parental responsibility (one per child)."""
    if user is None or not user.is_authenticated:
        return Contact.objects.none()
    return Contact.objects.filter(user=user, parental_responsibility=True)


def parent_pupils(user):
    """The children a signed-in parent may see: only those they have parental responsibility for."""
    return Pupil.objects.filter(pk__in=parent_contacts(user).values("pupil_id")).select_related("school", "group")


def is_office(user, school) -> bool:
    staff = staff_of(user)
    return bool(staff and staff.position in OFFICE_TEAM and staff.school_id == school.pk)


def can_decide_leave(user, school) -> bool:
    staff = staff_of(user)
    return bool(staff and deciders_for(school).filter(pk=staff.pk).exists())


def require_office(user, school):
    if not is_office(user, school):
        raise PermissionDenied("Only the school's office team can do this.")


def office_school(user):
    """The school whose office team the user is in, or None."""
    staff = staff_of(user)
    if staff is None or staff.school_id is None or not is_office(user, staff.school):
        return None
    return staff.school


def leave_school(user):
    """The school whose leave requests the user may see (its office team, and anyone it names to
    decide leave), or None."""
    staff = staff_of(user)
    if staff is None or staff.school_id is None:
        return None
    if not (is_office(user, staff.school) or can_decide_leave(user, staff.school)):
        return None
    return staff.school


def may_see_evidence(user, evidence) -> bool:
    """A private file: only for the family it belongs to and the school's office and head."""
    owner = evidence.report or evidence.leave_request
    return parent_pupils(user).filter(pk=owner.pupil_id).exists() or (
        is_office(user, evidence.school) or can_decide_leave(user, evidence.school)
    )
