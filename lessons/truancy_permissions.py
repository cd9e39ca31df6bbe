"""Who sees internal-truancy alerts and missing lesson registers, and who clears an alert by hand
(django-rules). The office team sees them (a head of year only their own years: the pages filter
by `lessons.truancy.years_looked_after`); the people who act on a pupil missing from a lesson —
the office, the attendance officer, heads of year, senior leaders and the DSL — clear them. Not
teachers, governors, trust leaders or parents."""

import rules

from registers.models import Staff
from registers.permissions import is_office_team, is_superuser, school_id_of, staff_of

P = Staff.Position
RESOLVERS = {
    P.OFFICE,
    P.ATTENDANCE_OFFICER,
    P.HEAD_OF_YEAR,
    P.SENIOR_ATTENDANCE_CHAMPION,
    P.HEADTEACHER,
    P.DSL,
}


@rules.predicate
def clears_truancy_alerts(user, obj=None):
    staff = staff_of(user)
    if staff is None or staff.position not in RESOLVERS:
        return False
    return obj is None or school_id_of(obj) == staff.school_id


rules.add_perm("lessons.view_truancy", is_office_team | is_superuser)
rules.add_perm("lessons.resolve_truancy", clears_truancy_alerts | is_superuser)
rules.add_perm("lessons.view_missing_lesson_registers", is_office_team | is_superuser)
