from django.apps import AppConfig


class LessonsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lessons"
    verbose_name = "Lessons"

    def ready(self):
        # The internal-truancy check and the office's counts; who sees and clears alerts.
        from . import receivers, truancy_permissions  # noqa: F401
