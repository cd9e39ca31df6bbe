from django.apps import AppConfig


class LessonsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lessons"
    verbose_name = "Lessons"

    def ready(self):
        from importlib.util import find_spec

        if find_spec("lessons.receivers"):  # the internal-truancy check, once it is built
            from . import receivers  # noqa: F401
        from . import pupil_panel  # noqa: F401  (answers the pupil page's panels signal)
