"""Who keeps the timetable: the people who bring the school's data in from the MIS (office, data
manager, attendance officer, headteacher — `registers.permissions.imports_school_data`), for
their own school only. Registered when the timetable's URLs load (`timetable_urls`)."""

import rules

from registers.permissions import imports_school_data, is_superuser, require_school

NOT_ALLOWED = "The timetable is kept by the office, the data manager, the attendance officer and the headteacher."

rules.add_perm("lessons.edit_timetable", imports_school_data | is_superuser)


def timetable_school(request):
    """The school whose timetable the user keeps; 403 for anyone else."""
    return require_school(request, "lessons.edit_timetable", message=NOT_ALLOWED)
