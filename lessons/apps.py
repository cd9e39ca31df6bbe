from django.apps import AppConfig


class LessonsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lessons"
    verbose_name = "Lessons"

    def ready(self):
        from importlib.util import find_spec

        from .imports import register as register_timetable_import

        register_timetable_import()  # the Imports page offers the timetable files

        if find_spec("lessons.receivers"):  # the internal-truancy check, once it is built
            from . import receivers  # noqa: F401
