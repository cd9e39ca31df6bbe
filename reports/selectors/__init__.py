"""Figures for leaders, one module per question: `periods` (which term, half-term or year),
`cohorts` (groups of pupils and bands), `trends` (week by week, day of the week, codes used),
`benchmarks`, `governors` (the termly report), `trust` (the trust view), `glance` (the governors'
home page), `analysis` (the leaders' drill-down with names), `schools` (which school or trust a
report is about) and `exports` (what the exports page lists).

The session counts come from `registers.selectors` (`counted_marks`, `pupil_figures`,
`total_figures`), so the reports agree with the pupil page, the dashboard and the checks.
Nothing loops over marks in Python: marks are aggregated in the database (per pupil, per
school day, per weekday and session, per code) and the small aggregated rows are then
arranged here. A cohort is a pupils queryset (a `Q` on Pupil); its figures are the sum of its
pupils' figures from one `pupil_figures` query, which is exactly `total_figures(pupils=…)`
for that cohort (tests/reports/test_selectors.py checks every cohort against it).

Governors see aggregates only: cells about fewer than five pupils are hidden, and the cells
from which a hidden one could be worked out (reports/suppression.py)."""
