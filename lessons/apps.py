from django.apps import AppConfig


class LessonsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lessons"
    verbose_name = "Lessons"

    def ready(self):
        from registers.audit_triggers import MARK_KIND, REGISTER_KIND, Guard, audit

        from . import prefill  # noqa: F401  (suggests the statutory register's marks from the lesson holding it)

        # Lesson marks and registers are guarded in the database like the statutory ones.
        audit(
            Guard(
                "lessons.LessonMark",
                ("id", "school_id", "pupil_id", "register_id", "date", "created_at"),
                "lesson mark",
                MARK_KIND,
                ("date", "recorded_at", "created_at"),
            )
        )
        audit(
            Guard(
                "lessons.LessonRegister",
                ("id", "school_id", "lesson_id", "date", "session", "created_at"),
                "lesson register",
                REGISTER_KIND,
                ("date", "taken_at", "created_at"),
            )
        )
        # The internal-truancy check and the office's counts; who sees and clears alerts.
        from . import receivers, truancy_permissions  # noqa: F401
        from .imports import register as register_timetable_import

        register_timetable_import()  # the Imports page offers the timetable files
        from . import pupil_panel  # noqa: F401  (answers the pupil page's panels signal)
