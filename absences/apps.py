from django.apps import AppConfig


class AbsencesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "absences"

    def ready(self):
        # Leave lives here, so the "not back within 10 school days of leave" deletion ground is checked here.
        from registers.leaving import register_ground_check
        from registers.models import Ground

        from .selectors.not_returned import leave_ground_problem

        register_ground_check(Ground.LEAVE_NOT_RETURNED, leave_ground_problem)
