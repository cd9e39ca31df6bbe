"""Who may see the officer's dashboard, work alerts and cases, edit the policy and record legal
steps (django-rules; the office team's predicates come from registers.permissions)."""

import rules

from registers.models import Staff
from registers.permissions import is_office_team, is_superuser, school_id_of, staff_of

P = Staff.Position
CASEWORKERS = {
    P.ATTENDANCE_OFFICER,
    P.SENIOR_ATTENDANCE_CHAMPION,
    P.HEADTEACHER,
    P.DSL,
    P.HEAD_OF_YEAR,
}
POLICY_EDITORS = {P.ATTENDANCE_OFFICER, P.SENIOR_ATTENDANCE_CHAMPION, P.HEADTEACHER, P.DATA_MANAGER}
LEGAL_DECIDERS = {P.HEADTEACHER, P.SENIOR_ATTENDANCE_CHAMPION}
# Case pages: the DSL reads them; the others write. Notices (to improve, penalty) are issued
# by the attendance officer recording the headteacher's decision, or by senior leaders.
CASE_MANAGERS = CASEWORKERS - {P.DSL}
NOTICE_ISSUERS = {P.ATTENDANCE_OFFICER, P.SENIOR_ATTENDANCE_CHAMPION, P.HEADTEACHER}


def _position_predicate(positions, name):
    @rules.predicate(name=name)
    def predicate(user, obj=None):
        staff = staff_of(user)
        if staff is None or staff.position not in positions:
            return False
        return obj is None or school_id_of(obj) == staff.school_id

    return predicate


is_caseworker = _position_predicate(CASEWORKERS, "is_caseworker")
is_policy_editor = _position_predicate(POLICY_EDITORS, "is_policy_editor")
is_legal_decider = _position_predicate(LEGAL_DECIDERS, "is_legal_decider")
is_case_manager = _position_predicate(CASE_MANAGERS, "is_case_manager")
is_notice_issuer = _position_predicate(NOTICE_ISSUERS, "is_notice_issuer")
is_policy_reader = _position_predicate(CASEWORKERS | POLICY_EDITORS, "is_policy_reader")

# The dashboard: the office team (they see missing registers and unexplained absences too).
rules.add_perm("interventions.view_dashboard", is_office_team | is_superuser)
# Alerts and cases: the attendance officer and senior staff read them (the DSL too) ...
rules.add_perm("interventions.work_cases", is_caseworker | is_superuser)
# ... and all but the DSL, who only reads (README, "Roles"), decide them: accept, dismiss, snooze,
# run the checks.
rules.add_perm("interventions.decide_alerts", is_case_manager | is_superuser)
rules.add_perm("interventions.edit_policy", is_policy_editor | is_superuser)
# Reading the policy: everyone who works cases (DSL, heads of year) and the policy editors.
rules.add_perm("interventions.view_policy", is_policy_reader | is_superuser)
rules.add_perm("interventions.record_legal_step", is_legal_decider | is_superuser)
# Case pages: reading (the DSL too), working them, issuing notices.
rules.add_perm("interventions.view_cases", is_caseworker | is_superuser)
rules.add_perm("interventions.manage_cases", is_case_manager | is_superuser)
rules.add_perm("interventions.issue_notices", is_notice_issuer | is_superuser)
