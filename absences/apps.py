from django.apps import AppConfig


class AbsencesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "absences"

    def ready(self):
        from registers.leaving import register_ground_check
        from registers.models import Ground
        from registers.retention import register_sweeper
        from registers.signals import known_reasons, office_waiting

        from .retention import sweep_evidence_files, sweep_parents_reports
        from .selectors.known_reasons import answer_known_reasons
        from .selectors.not_returned import leave_ground_problem
        from .selectors.waiting import answer_office_waiting

        # Leave lives here, so the "not back within 10 school days of leave" deletion ground is checked here.
        register_ground_check(Ground.LEAVE_NOT_RETURNED, leave_ground_problem)
        # What families sent, removed once its retention period is over (evidence before the reports).
        register_sweeper("evidence_files", "Evidence files", sweep_evidence_files, order=20)
        register_sweeper("parents_reports", "Parents' absence reports", sweep_parents_reports, order=30)
        # The office's home page counts what is waiting here (reports, leave, overdue N).
        office_waiting.connect(answer_office_waiting, dispatch_uid="absences.office_waiting")
        # Lessons asks why a pupil missing from a lesson may be out (a parent's report, granted leave).
        known_reasons.connect(answer_known_reasons, dispatch_uid="absences.known_reasons")
