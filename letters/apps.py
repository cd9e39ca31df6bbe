from django.apps import AppConfig


class LettersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "letters"

    def ready(self):
        from absences.family_letters import provide_family_letters
        from absences.services import leave_decided
        from interventions.policy.letter_templates import provide_letter_titles
        from interventions.signals import letters_requested

        from . import permissions  # noqa: F401  (registers the permissions)
        from .family import family_letters, open_family_letter
        from .selectors import template_titles
        from .signals import leave_decision_made, letters_for_accepted_alerts

        leave_decided.connect(leave_decision_made, dispatch_uid="letters.leave_decision_letter")
        # the officer's worklist: accepted proposals' letters, one batch per template
        letters_requested.connect(letters_for_accepted_alerts, dispatch_uid="letters.worklist_letters")
        provide_letter_titles(template_titles)  # the policy pages name the letters a rule proposes

        from registers.retention import register_sweeper

        from .retention import sweep_letters

        register_sweeper("letters", "Letters (and their PDFs)", sweep_letters, order=40)
        provide_family_letters(family_letters, open_family_letter)  # the parent portal's letters
