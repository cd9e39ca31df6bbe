"""Who may see the reports and exports (django-rules), built on the register's predicates.

The governors' report (aggregates, small cells suppressed, no names): governors and trust
leaders of the school or its trust, the school's office team (which includes the head), and
administrators. Teachers and parents do not see it. The leaders' analysis (names, drill-down)
and every export: the school's office team and administrators only."""

import rules

from registers.permissions import is_aggregate_reader, is_office_team, is_superuser, staff_of


@rules.predicate
def leads_trust(user, trust=None):
    staff = staff_of(user)
    if staff is None or staff.position != staff.Position.TRUST_LEADER or staff.trust_id is None:
        return False
    return trust is None or staff.trust_id == trust.pk


# Attendance at a glance: the home page of governors and trust leaders (their schools' figures).
rules.add_perm("reports.view_at_a_glance", is_aggregate_reader)
rules.add_perm("reports.view_governors_report", is_office_team | is_aggregate_reader | is_superuser)
rules.add_perm("reports.view_trust_report", leads_trust | is_superuser)
rules.add_perm("reports.view_pupil_analysis", is_office_team | is_superuser)
rules.add_perm("reports.export_pupil_data", is_office_team | is_superuser)
rules.add_perm("reports.edit_benchmarks", is_office_team | is_superuser)
# National figures are one row per year and phase shared by every school on the service, so only
# the service's administrators change them; a school's staff edit their own local figures.
rules.add_perm("reports.edit_national_benchmarks", is_superuser)
