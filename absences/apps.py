from django.apps import AppConfig


class AbsencesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "absences"

    def ready(self):
        from registers.signals import office_waiting

        from .selectors.waiting import answer_office_waiting

        office_waiting.connect(answer_office_waiting, dispatch_uid="absences.office_waiting")
