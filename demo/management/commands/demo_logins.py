from django.core.management.base import BaseCommand

from demo.school import DEMO_PASSWORD
from registers.models import Staff

ROLE_ORDER = [
    "class_teacher",
    "office",
    "attendance_officer",
    "headteacher",
    "dsl",
    "governor",
    "trust_leader",
    "form_tutor",
    "subject_teacher",
    "head_of_year",
]
# The login each role is shown with, where the demo has several of that role.
PREFERRED = {"class_teacher": "teacher", "form_tutor": "tutor", "subject_teacher": "subject", "head_of_year": "hoy"}


class Command(BaseCommand):
    help = "Print the demo logins for each role."

    def handle(self, *args, **options):
        seen = set()
        lines = []
        for position in ROLE_ORDER:
            staff = Staff.objects.filter(position=position).select_related("user").order_by("user__username")
            staff = staff.filter(user__username=PREFERRED.get(position, "")) or staff
            member = staff.first()
            if member and position not in seen:
                seen.add(position)
                where = f" ({member.school.name})" if member.school_id and position in PREFERRED else ""
                lines.append(f"  {member.get_position_display():<30} {member.user.username:<12} {DEMO_PASSWORD}{where}")
        from django.contrib.auth import get_user_model

        if get_user_model().objects.filter(username="parent", contacts__isnull=False).exists():
            lines.append(f"  {'Parent/carer (two children)':<30} {'parent':<12} {DEMO_PASSWORD}")
        if not lines:
            self.stdout.write("No demo users: run `python manage.py seed_demo` first.")
            return
        self.stdout.write("\nDemo logins at http://127.0.0.1:8000/ (role, username, password):")
        self.stdout.write("\n".join(lines))
        self.stdout.write("  Administrator (Django admin)   create one with: python manage.py createsuperuser\n")
