from django.apps import AppConfig


class LettersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "letters"

    def ready(self):
        from absences.services import leave_decided
        from interventions.policy.letter_templates import provide_letter_titles

        from . import permissions  # noqa: F401  (registers the permissions)
        from .selectors import template_titles
        from .signals import leave_decision_made

        leave_decided.connect(leave_decision_made, dispatch_uid="letters.leave_decision_letter")
        provide_letter_titles(template_titles)  # the policy pages name the letters a rule proposes
