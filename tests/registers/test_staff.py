from registers.models import Staff
from tests.factories import StaffFactory


def test_staff_position_is_mirrored_in_django_groups(school):
    staff = StaffFactory(school=school, position=Staff.Position.CLASS_TEACHER)
    assert list(staff.user.groups.values_list("name", flat=True)) == ["Class teacher"]
    staff.position = Staff.Position.ATTENDANCE_OFFICER
    staff.save()
    assert list(staff.user.groups.values_list("name", flat=True)) == ["Attendance officer"]
