"""Who may edit letter templates, produce letters and read them (django-rules). Parents never
reach these pages; the objects checked (template, letter, batch, letterhead, school) carry the
school, so staff of one school never see another's."""

import rules

from registers.models import Staff
from registers.permissions import is_superuser, school_id_of, staff_of

P = Staff.Position
EDITORS = {P.ATTENDANCE_OFFICER, P.HEADTEACHER, P.SENIOR_ATTENDANCE_CHAMPION}
PRODUCERS = {P.ATTENDANCE_OFFICER, P.OFFICE, P.HEADTEACHER, P.SENIOR_ATTENDANCE_CHAMPION}
READERS = PRODUCERS | {P.DSL}


def _position_predicate(positions, name):
    @rules.predicate(name=name)
    def predicate(user, obj=None):
        staff = staff_of(user)
        if staff is None or staff.position not in positions or staff.school_id is None:
            return False
        return obj is None or school_id_of(obj) == staff.school_id

    return predicate


is_letter_editor = _position_predicate(EDITORS, "is_letter_editor")
is_letter_producer = _position_predicate(PRODUCERS, "is_letter_producer")
is_letter_reader = _position_predicate(READERS, "is_letter_reader")

rules.add_perm("letters.edit_templates", is_letter_editor | is_superuser)
rules.add_perm("letters.produce", is_letter_producer | is_superuser)
rules.add_perm("letters.view_letter", is_letter_reader | is_superuser)
