"""Who may see and do what: one place, used by views, the API and templates (django-rules).

Least privilege: a teacher sees their own groups; the office team sees their school;
governors and trust leaders see aggregates only; a parent sees only their own children."""

import rules
from django.core.exceptions import PermissionDenied

from .models import School, Staff

P = Staff.Position
OFFICE_TEAM = {
    P.OFFICE,
    P.ATTENDANCE_OFFICER,
    P.SENIOR_ATTENDANCE_CHAMPION,
    P.HEADTEACHER,
    P.DSL,
    P.DATA_MANAGER,
    P.HEAD_OF_YEAR,
}
TEACHERS = {P.CLASS_TEACHER, P.FORM_TUTOR, P.SUBJECT_TEACHER}
AGGREGATE_ONLY = {P.GOVERNOR, P.TRUST_LEADER}


def staff_of(user):
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "staff", None)


def school_id_of(obj):
    if obj is None:
        return None
    if obj.__class__.__name__ == "School":
        return obj.pk
    return getattr(obj, "school_id", None)


def school_for(request) -> School | None:
    """The school whose pages the user sees: their own; an administrator with no staff record
    picks one (`?school=<id>`) or gets the first by name. The one answer to "which school is
    this user working in", for every page."""
    staff = staff_of(request.user)
    if staff is not None and staff.school_id:
        return staff.school
    if request.user.is_superuser:
        schools = School.objects.order_by("name")
        chosen = request.GET.get("school", "")
        picked = (
            schools.filter(pk=chosen).first() if chosen.isascii() and chosen.isdigit() and len(chosen) < 19 else None
        )
        return picked or schools.first()
    return None


def require_school(request, *perms: str, message: str = "You do not have access to this page.") -> School:
    """`school_for(request)`, if the user holds one of `perms` for it; 403 otherwise."""
    school = school_for(request)
    if school is None:
        raise PermissionDenied("Your account is not linked to a school.")
    if perms and not any(request.user.has_perm(perm, school) for perm in perms):
        raise PermissionDenied(message)
    return school


@rules.predicate
def is_staff_member(user):
    return staff_of(user) is not None


@rules.predicate
def is_office_team(user, obj=None):
    """Office, attendance officer, heads, DSL, data manager — of the object's school, if any."""
    staff = staff_of(user)
    if staff is None or staff.position not in OFFICE_TEAM:
        return False
    return obj is None or school_id_of(obj) == staff.school_id


@rules.predicate
def is_teacher(user):
    staff = staff_of(user)
    return staff is not None and staff.position in TEACHERS


@rules.predicate
def teaches_group(user, group):
    staff = staff_of(user)
    return staff is not None and group is not None and group.teachers.filter(pk=staff.pk).exists()


@rules.predicate
def teaches_pupil(user, pupil):
    staff = staff_of(user)
    return (
        staff is not None
        and pupil is not None
        and pupil.group_id is not None
        and (pupil.group.teachers.filter(pk=staff.pk).exists())
    )


@rules.predicate
def is_aggregate_reader(user, obj=None):
    """Governors and trust leaders: figures without names."""
    staff = staff_of(user)
    if staff is None or staff.position not in AGGREGATE_ONLY:
        return False
    if obj is None:
        return True
    school_id = school_id_of(obj)
    return school_id == staff.school_id or (
        staff.trust_id is not None and obj.__class__.__name__ == "School" and obj.trust_id == staff.trust_id
    )


@rules.predicate
def is_superuser(user, obj=None):
    return bool(user and user.is_superuser)


@rules.predicate
def register_belongs_to_teacher(user, register):
    return register is not None and teaches_group(user, register.group)


rules.add_perm("registers.view_school_pupils", is_office_team | is_superuser)
rules.add_perm("registers.view_pupil", is_office_team | teaches_pupil | is_superuser)
rules.add_perm("registers.amend_mark", is_office_team | is_superuser)
rules.add_perm("registers.take_register", register_belongs_to_teacher | is_office_team | is_superuser)
rules.add_perm("registers.view_aggregates", is_office_team | is_aggregate_reader | is_superuser)


# --- staff pages (pupil list, pupil page) -------------------------------------------------


@rules.predicate
def teaches_any_group(user):
    staff = staff_of(user)
    return staff is not None and staff.position not in AGGREGATE_ONLY and staff.groups.exists()


# The pupil list: the office team sees the school, a teacher the pupils of their groups.
rules.add_perm("registers.view_pupil_list", is_office_team | is_teacher | teaches_any_group | is_superuser)
# Characteristics (FSM, SEN, EAL, looked-after …) and contacts: the office team only.
rules.add_perm("registers.view_pupil_details", is_office_team | is_superuser)


# --- imports from the MIS (registers/import_views.py) ---------------------------------------

# Who brings the school's data in from the MIS: the office, the data manager, the attendance
# officer and the headteacher — not teachers, governors, parents, or the rest of the office team.
IMPORTERS = {P.OFFICE, P.DATA_MANAGER, P.ATTENDANCE_OFFICER, P.HEADTEACHER}


@rules.predicate
def imports_school_data(user, obj=None):
    staff = staff_of(user)
    if staff is None or staff.position not in IMPORTERS:
        return False
    return obj is None or school_id_of(obj) == staff.school_id


rules.add_perm("registers.import_data", imports_school_data | is_superuser)


# --- the admission register and the year (registers/roll_views.py) ---------------------------

# Who deletes a pupil's name from the admission register, sends the LA its notifications and rolls
# the school into a new year: the same people who keep the roll in step with the MIS.
rules.add_perm("registers.manage_roll", imports_school_data | is_superuser)
